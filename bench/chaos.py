"""Never lost, at scale: push many items while killing workers, Redis and PostgreSQL.

    .venv/bin/python bench/chaos.py [--items 10000] [--threads 8]

Starts ``dateline up`` (two workers, embedded PostgreSQL and Redis) in a temporary data folder
with short lease and sweep settings, then pushes ``--items`` distinct ninjs items from
``--threads`` client threads. Clients retry a 503, a timeout or a refused connection with the
identical bytes, as a partner would. Meanwhile it injects faults:

  * a worker process (a pool child or a worker's main process, in turn) SIGKILLed every 3–7 s;
  * Redis SIGKILLed twice and flushed (FLUSHALL) once;
  * PostgreSQL stopped (SIGSTOP on every server process) once for 20 s, then resumed.

``dateline up`` is expected to heal all of it on its own. At the end the script prints, and
checks: every submission answered 2xx is ``done``; every pushed uri exists exactly once with
exactly one version; none is ``failed`` or ``dead``; the longest processing stall after each
fault (how long, from the fault, until the next submission was done); and the 503s seen.
Exit status 0 when every check holds.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil
import redis
from sqlalchemy import text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from shared.core.embedded import EmbeddedPostgres, EmbeddedRedis, redis_client_url  # noqa: E402
from shared.db.engine import make_engine  # noqa: E402

SETTINGS = {
    "DATELINE_LEASE_SECONDS": "10",
    "DATELINE_TASK_TIME_LIMIT": "8",
    "DATELINE_SWEEP_INTERVAL": "1",
    "DATELINE_REQUEUE_AFTER": "3",
    "DATELINE_MAX_ATTEMPTS": "50",
    "DATELINE_RATE_LIMIT_PER_MINUTE": "0",
    "DATELINE_WORKER_PING_SECONDS": "5",
    "DATELINE_LOG_LEVEL": "WARNING",
}
PENDING = text("SELECT count(*) FROM submissions WHERE status IN ('queued', 'processing')")
PENDING = text("SELECT count(*) FROM submissions WHERE status IN ('queued', 'processing')")
PLAN = {15.0: "redis-kill", 30.0: "postgres-stop", 60.0: "redis-flush", 80.0: "redis-kill"}
LAST_FAULT = max(PLAN) + 20
BODY = (
    "The regional council approved a plan on {day} to build {n} new cycle lanes across the "
    "city centre, officials said. Work on the first lanes begins in spring and the whole "
    "network of {n} routes is due to open within three years, the transport department said. "
    "Story number {n} of the chaos run."
)


@dataclass
class Run:
    started: float = field(default_factory=time.monotonic)
    accepted: dict[str, str] = field(default_factory=dict)  # uri -> submission id
    statuses: Counter[int] = field(default_factory=Counter)
    retries: Counter[str] = field(default_factory=Counter)
    faults: list[tuple[float, str]] = field(default_factory=list)
    done_at: list[tuple[float, int]] = field(default_factory=list)  # (time, done count)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def now(self) -> float:
        return time.monotonic() - self.started

    def fault(self, what: str) -> None:
        with self.lock:
            self.faults.append((self.now(), what))
        print(f"{self.now():7.1f} s  {what}", flush=True)


def dateline(data_dir: Path, env: dict[str, str], *args: str) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "services.cli", "--data-dir", str(data_dir), *args],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return out.stdout


def item(n: int) -> tuple[str, bytes]:
    uri = f"urn:chaos:{n}"
    doc = {
        "uri": uri,
        "type": "text",
        "version": "1",
        "headline": f"Council backs {n} new cycle lanes",
        "body_text": BODY.format(n=n, day="Tuesday"),
        "language": "en",
    }
    return uri, json.dumps(doc).encode()


def push_all(run: Run, url: str, key: str, items: int, threads: int) -> None:
    def one(client: httpx.Client, n: int) -> None:
        uri, body = item(n)
        while True:
            try:
                answer = client.post(
                    "/v1/items",
                    content=body,
                    headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
                )
            except httpx.HTTPError as exc:
                with run.lock:
                    run.retries[type(exc).__name__] += 1
                time.sleep(0.5)
                continue
            with run.lock:
                run.statuses[answer.status_code] += 1
            if answer.status_code in (200, 202):
                with run.lock:
                    run.accepted[uri] = answer.json()["submission_id"]
                return
            if answer.status_code == 503 or answer.status_code >= 500:
                time.sleep(float(answer.headers.get("retry-after", "1")))
                continue
            raise SystemExit(f"item {n} refused: {answer.status_code} {answer.text}")

    clients = [httpx.Client(base_url=url, timeout=30) for _ in range(threads)]
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(lambda n: one(clients[n % threads], n), range(items)))
    for client in clients:
        client.close()


def _command(process: psutil.Process) -> str:
    """The command line, or "" for a process that is gone or a zombie (``up`` adopts and reaps
    the servers' orphans, so a killed one shows up among its children for a moment)."""
    try:
        return " ".join(process.cmdline()) + " "
    except psutil.Error:
        return ""


def workers(up: int) -> tuple[list[int], list[int]]:
    """(worker main processes, their pool children) under ``dateline up``."""
    mains = [p for p in psutil.Process(up).children() if " worker " in _command(p)]
    children = []
    for main in mains:
        try:
            children.extend(c.pid for c in main.children())
        except psutil.Error:
            continue
    return [p.pid for p in mains], children


def postgres_processes(data_dir: Path) -> list[psutil.Process]:
    pid = int((data_dir / "postgres" / "postmaster.pid").read_text().split()[0])
    postmaster = psutil.Process(pid)
    return [postmaster, *postmaster.children(recursive=True)]


def inject(run: Run, up: int, data_dir: Path, stop: threading.Event) -> None:
    """Kill a worker process every 3–7 s; at set times kill Redis, flush it, stop PostgreSQL."""
    plan = dict(PLAN)
    kill_next = 5.0
    main_turn = False
    redis_url = EmbeddedRedis(data_dir).running_url()
    while not stop.wait(0.2):
        now = run.now()
        for at, what in sorted(plan.items()):
            if now >= at:
                del plan[at]
                if what == "redis-kill":
                    [server] = [
                        p for p in psutil.Process(up).children() if "redis-server" in _command(p)
                    ]
                    server.kill()
                    run.fault("Redis SIGKILLed")
                elif what == "redis-flush":
                    assert redis_url is not None
                    redis.Redis.from_url(redis_client_url(redis_url)).flushall()
                    run.fault("Redis flushed (FLUSHALL)")
                else:
                    stopped = postgres_processes(data_dir)
                    for p in stopped:
                        p.suspend()
                    run.fault(f"PostgreSQL stopped ({len(stopped)} processes) for 20 s")
                    stop.wait(20)
                    for p in stopped:
                        p.resume()
                    run.fault("PostgreSQL resumed")
                break
        if now >= kill_next:
            mains, children = workers(up)
            pool = mains if main_turn else children
            if pool:
                victim = random.choice(pool)
                os.kill(victim, signal.SIGKILL)
                run.fault(f"worker {'main' if main_turn else 'pool child'} {victim} SIGKILLed")
                main_turn = not main_turn
            kill_next = now + random.uniform(3, 7)


def watch(run: Run, database_url: str, stop: threading.Event) -> None:
    """Record how many submissions are done, twice a second."""
    engine = make_engine(database_url)
    while not stop.wait(0.5):
        try:
            with engine.connect() as conn:
                conn.execute(text("SET statement_timeout = 2000"))
                done = conn.execute(
                    text("SELECT count(*) FROM submissions WHERE status = 'done'")
                ).scalar_one()
            run.done_at.append((run.now(), int(done)))
        except Exception:  # PostgreSQL stopped: nothing to record
            continue
    engine.dispose()


def stalls(run: Run) -> list[tuple[str, float]]:
    """For each fault: seconds from the fault until the done count next went up."""
    out = []
    for at, what in run.faults:
        before = max((d for t, d in run.done_at if t <= at), default=0)
        after = next((t for t, d in run.done_at if t > at and d > before), None)
        out.append((what, (after - at) if after is not None else float("inf")))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--port", type=int, default=18123)
    parser.add_argument(
        "--drain", type=float, default=1800, help="seconds to wait for the work after the faults"
    )
    args = parser.parse_args()
    random.seed(7)
    data_dir = Path(tempfile.mkdtemp(prefix="dateline-chaos-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATELINE_")}
    env.update(SETTINGS)
    log = (data_dir / "up.log").open("w")  # closed when the script ends
    up = subprocess.Popen(
        [sys.executable, "-m", "services.cli", "up", "--data-dir", str(data_dir),
         "--port", str(args.port)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=log, text=True,
    )  # fmt: skip
    try:
        assert up.stdout is not None
        print(up.stdout.readline().strip(), flush=True)
        key = json.loads(dateline(data_dir, env, "partners", "add", "chaos", "--json"))["key"]
        token = json.loads(
            dateline(data_dir, env, "tokens", "add", "chaos", "--role", "editor", "--json")
        )["token"]
        database_url = EmbeddedPostgres(data_dir, keep_running=True).start()
        url = f"http://127.0.0.1:{args.port}"
        run = Run()
        stop, calm = threading.Event(), threading.Event()
        helpers = [
            threading.Thread(target=inject, args=(run, up.pid, data_dir, calm), daemon=True),
            threading.Thread(target=watch, args=(run, database_url, stop), daemon=True),
        ]
        for helper in helpers:
            helper.start()
        push_all(run, url, key, args.items, args.threads)
        pushed_at = run.now()
        print(f"{pushed_at:7.1f} s  all {args.items} items accepted", flush=True)
        while run.now() < LAST_FAULT + 10:  # the whole fault plan runs, however fast the push
            time.sleep(1)
        calm.set()  # faults end; now everything accepted must get done
        helpers[0].join(60)
        calm_at = run.now()
        print(f"{calm_at:7.1f} s  faults stopped; waiting for the work to drain", flush=True)
        engine = make_engine(database_url)
        while True:
            with engine.connect() as conn:
                pending = conn.execute(PENDING).scalar_one()
            if not pending or run.now() - calm_at > args.drain:
                break
            time.sleep(1)
        stop.set()
        helpers[1].join(30)
        finished = run.now()
        with engine.connect() as conn:
            by_status = dict(
                conn.execute(text("SELECT status, count(*) FROM submissions GROUP BY status")).all()
            )
            per_uri = conn.execute(
                text(
                    "SELECT i.uri, count(DISTINCT i.id), count(v.id) FROM items i "
                    "LEFT JOIN item_versions v ON v.item_id = i.id GROUP BY i.uri"
                )
            ).all()
        engine.dispose()
        with httpx.Client(base_url=url, timeout=30) as client:
            answered = Counter(
                client.get(
                    f"/v1/submissions/{sid}", headers={"Authorization": f"Bearer {token}"}
                ).json()["status"]
                for sid in list(run.accepted.values())[:: max(1, len(run.accepted) // 500)]
            )
        uris = {uri: (items, versions) for uri, items, versions in per_uri}
        missing = [u for u in run.accepted if u not in uris]  # not stored (yet)
        doubled = [u for u, (i, v) in uris.items() if (i, v) != (1, 1)]
        kills = Counter(what.split(" ")[1] for _, what in run.faults if what.startswith("worker"))
        print()
        print(f"items pushed        {args.items} by {args.threads} threads")
        print(f"accepted (2xx)      {len(run.accepted)}  answers: {dict(run.statuses)}")
        print(f"client retries      503: {run.statuses.get(503, 0)}, errors: {dict(run.retries)}")
        print(f"faults injected     worker kills {dict(kills)}, " + ", ".join(
            w for _, w in run.faults if not w.startswith("worker")
        ))  # fmt: skip
        print(f"submissions         {by_status}")
        print(f"sampled via API     {dict(answered)}")
        print(f"lost (not stored)   {len(missing)}")
        print(f"duplicated          {len(doubled)}")
        print(
            f"time                pushed in {pushed_at:.0f} s, faults until {calm_at:.0f} s, "
            f"all done at {finished:.0f} s"
        )
        print("stalls after faults (s until the next submission was done):")
        for what, stall in stalls(run):
            print(f"  {stall:6.1f}  {what}")
        # A stop's own length is not a stall to recover from: its resumption is measured.
        longest = max((s for w, s in stalls(run) if "stopped" not in w), default=0.0)
        print(f"longest stall       {longest:.1f} s (after a fault ended)")
        ok = (
            not missing
            and not doubled
            and set(by_status) == {"done"}
            and by_status["done"] == len(run.accepted) == args.items
        )
        print("RESULT", "all done exactly once" if ok else "FAILED")
        return 0 if ok else 1
    finally:
        up.send_signal(signal.SIGTERM)
        try:
            up.wait(60)
        except subprocess.TimeoutExpired:
            up.kill()
        # This script joined the embedded PostgreSQL too, so `up` left it running: stop it.
        postmaster = data_dir / "postgres" / "postmaster.pid"
        if postmaster.exists():
            with contextlib.suppress(ValueError, OSError):
                os.kill(int(postmaster.read_text().split()[0]), signal.SIGINT)


if __name__ == "__main__":
    sys.exit(main())
