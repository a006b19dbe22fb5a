"""Measure ingest and end-to-end throughput on this machine, with baselines from the same run.

    .venv/bin/python bench/pipeline.py [--items 2000] [--threads 16] [--concurrency 2]

Starts embedded PostgreSQL and Redis in a temporary folder, the API (`dateline api`) and a
Celery worker as separate processes, and prints:
  * baseline: GET /healthz requests/s (the HTTP stack alone, same client, same server);
  * ingest:   POST /v1/items of unique plain-text pages (auth, validation, durable insert,
              enqueue) requests/s, and its ratio to the baseline;
  * worker:   submissions processed/s draining the queue (claim, parse, normalise, store);
  * prepare:  parse + normalise items/s in one process (the CPU floor of the worker), and the
              worker's ratio to it.
Figures vary run to run on a shared machine; compare ratios, not absolutes.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from shared.core.embedded import EmbeddedPostgres, EmbeddedRedis  # noqa: E402
from shared.core.model import Profile  # noqa: E402
from shared.db import credentials  # noqa: E402
from shared.db.engine import make_engine, migrate  # noqa: E402
from shared.reading.prepare import prepare  # noqa: E402

PAGE = (ROOT / "services" / "cli" / "samples" / "belta-style-en.txt").read_text()


def page(n: int) -> bytes:
    return PAGE.replace("14 new rural", f"{n} new rural").encode()


def rate(count: int, seconds: float) -> float:
    return count / seconds if seconds else float("inf")


def hammer(url: str, n: int, threads: int, call) -> float:  # type: ignore[no-untyped-def]
    clients = [httpx.Client(base_url=url, timeout=60) for _ in range(threads)]
    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(lambda i: call(clients[i % threads], i), range(n)))
    elapsed = time.perf_counter() - started
    for c in clients:
        c.close()
    return rate(n, elapsed)


def wait_port(url: str) -> None:
    for _ in range(200):
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError("API did not start")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--concurrency", type=int, default=2)
    args = parser.parse_args()

    data = Path(tempfile.mkdtemp(prefix="dateline-bench-"))
    pg, redis = EmbeddedPostgres(data), EmbeddedRedis(data)
    db_url, redis_url = pg.start(), redis.start()
    engine = make_engine(db_url)
    migrate(engine)
    with engine.begin() as conn:
        _, key = credentials.create_partner(conn, slug="bench", timezone="Europe/Minsk")
    env = {
        **os.environ,
        "DATELINE_DATABASE_URL": db_url,
        "DATELINE_REDIS_URL": redis_url,
        "DATELINE_LOG_LEVEL": "WARNING",
    }
    port = 18000 + os.getpid() % 1000
    url = f"http://127.0.0.1:{port}"
    api = subprocess.Popen(
        [sys.executable, "-m", "services.cli", "api", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stderr=subprocess.DEVNULL,
    )
    worker = None
    try:
        wait_port(url)
        auth = {"Authorization": f"Bearer {key}", "Content-Type": "text/plain; charset=utf-8"}
        hammer(url, 200, args.threads, lambda c, i: c.get("/healthz"))  # warm-up
        base = hammer(url, args.items, args.threads, lambda c, i: c.get("/healthz"))

        def post(client: httpx.Client, i: int) -> None:
            answer = client.post("/v1/items", content=page(i), headers=auth)
            assert answer.status_code == 202, answer.text

        ingest = hammer(url, args.items, args.threads, post)

        started = time.perf_counter()
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "services.worker.celery_app",
                "worker",
                "-Q",
                "dateline-sweep,dateline",
                "-c",
                str(args.concurrency),
                "--without-gossip",
                "--without-mingle",
                "-l",
                "WARNING",
            ],
            cwd=ROOT,
            env=env,
            stderr=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
        )
        first = None
        while True:
            with engine.connect() as conn:
                done = conn.execute(
                    text(
                        "SELECT count(*), min(finished_at), max(finished_at) FROM submissions "
                        "WHERE status = 'done'"
                    )
                ).one()
            if done[0] and first is None:
                first = time.perf_counter()
            if done[0] >= args.items:
                break
            if time.perf_counter() - started > 600:
                raise RuntimeError(f"only {done[0]} of {args.items} processed in 600 s")
            time.sleep(0.2)
        drained = rate(args.items, (done[2] - done[1]).total_seconds())

        profile = Profile(timezone="Europe/Minsk")
        now = datetime.now(UTC)
        n = 500
        t0 = time.perf_counter()
        for i in range(n):
            prepare(page(i), "text/plain", namespace="bench", profile=profile, received_at=now)
        floor = rate(n, time.perf_counter() - t0)
    finally:
        for proc in (worker, api):
            if proc is not None:
                proc.terminate()
                proc.wait(30)
        engine.dispose()
        redis.stop()
        pg.stop()

    print(f"{'stage':<44}{'per second':>12}{'ratio':>10}")
    print(f"{'baseline: GET /healthz':<44}{base:>12.0f}{1:>10.2f}")
    print(f"{'ingest: POST /v1/items (202, durable)':<44}{ingest:>12.0f}{ingest / base:>10.2f}")
    print(f"{'prepare: parse + normalise, one process':<44}{floor:>12.0f}{1:>10.2f}")
    print(
        f"{f'worker: prefork -c{args.concurrency}, submissions done':<44}{drained:>12.0f}"
        f"{drained / floor:>10.2f}"
    )


if __name__ == "__main__":
    main()
