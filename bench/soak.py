"""Does memory come back? A long run of ordinary traffic, with the processes' memory sampled.

    .venv/bin/python bench/soak.py [--minutes 5] [--rest 60]

Starts ``dateline up`` in a temporary data folder. For ``--minutes``, four partners push small
stories (a few a second each), one of them also a 300 KB page every 5 s (parsed in the parser
pool), and two editors read pages of items and open single items. Every 15 s it prints the
resident memory (RSS) of the API (``up``'s own process), of its parser pool and of the workers
(main processes and pool children, summed; and the pool children alone, where the work is done),
and the workers' proportional memory (PSS: shared pages counted once, what the gauge measures).
Then the traffic stops, and after ``--rest`` seconds of quiet it prints the same once more:
memory that comes back is lower again then; memory that keeps growing over the run, and stays,
is a leak.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from pathlib import Path

import httpx
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.stack import running_up  # noqa: E402
from bench.stalls import STORY, big_html, parser_process  # noqa: E402

SETTINGS = {"DATELINE_RATE_LIMIT_PER_MINUTE": "0", "DATELINE_LOG_LEVEL": "ERROR"}


def memory(up: psutil.Process) -> dict[str, float]:
    """MB: RSS of the API (up itself), its parser pool, the Celery workers and their pool
    children alone; and the workers' PSS."""
    api = up.memory_info().rss
    pool = workers = children = pss = 0
    found = up.children(recursive=True)
    mains = {c.pid for c in found}
    for child in found:
        try:
            command = " ".join(child.cmdline())
            if parser_process(command):
                pool += child.memory_info().rss
            # Celery's only: PostgreSQL's parallel query workers ("postgres: parallel worker
            # for PID …", short-lived, with the shared buffers they touched) are not the workers.
            elif "celery" in command and " worker " in f" {command} ":
                full = child.memory_full_info()
                workers += full.rss
                pss += full.pss
                if child.ppid() in mains and child.ppid() != up.pid:  # forked by a worker
                    children += full.rss
        except psutil.Error:
            continue
    return {
        "api": api / 2**20, "pool": pool / 2**20, "workers": workers / 2**20,
        "children": children / 2**20, "workers_pss": pss / 2**20,
    }  # fmt: skip


def traffic(url: str, keys: list[str], token: str, stop: threading.Event) -> dict[str, int]:
    counts = {"pushes": 0, "pages": 0, "reads": 0, "errors": 0}
    page = big_html(300)

    def pusher(key: str, big: bool) -> None:
        with httpx.Client(timeout=60) as client:
            n = 0
            while not stop.is_set():
                n += 1
                try:
                    if big and n % 10 == 0:
                        body = page.replace(b"Big page", f"Big {n} {time.time_ns()}".encode())
                        kind, content_type = "pages", "text/html"
                    else:
                        body = STORY.format(n=f"{n}-{time.time_ns()}").encode()
                        kind, content_type = "pushes", "text/plain"
                    answer = client.post(
                        f"{url}/v1/items",
                        content=body,
                        headers={"Authorization": f"Bearer {key}", "Content-Type": content_type},
                    )
                    counts[kind if answer.status_code < 400 else "errors"] += 1
                except httpx.HTTPError:
                    counts["errors"] += 1
                stop.wait(0.5)

    def reader() -> None:
        auth = {"Authorization": f"Bearer {token}"}
        with httpx.Client(timeout=60, headers=auth) as client:
            while not stop.is_set():
                try:
                    listed = client.get(f"{url}/v1/items", params={"limit": 50}).json()
                    for item in listed.get("items", [])[:5]:
                        client.get(f"{url}/v1/items/{item['id']}")
                    counts["reads"] += 1
                except (httpx.HTTPError, ValueError):
                    counts["errors"] += 1
                stop.wait(0.5)

    threads = [
        threading.Thread(target=pusher, args=(key, n == 0), daemon=True)
        for n, key in enumerate(keys)
    ] + [threading.Thread(target=reader, daemon=True) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--rest", type=float, default=60.0)
    parser.add_argument("--port", type=int, default=18125)
    args = parser.parse_args()
    with running_up("soak", args.port, SETTINGS) as stack:
        url = stack.url
        keys = [stack.cli("partners", "add", f"agency-{n}")["key"] for n in range(4)]
        token = stack.cli("tokens", "add", "desk", "--role", "editor")["token"]
        process = psutil.Process(stack.process.pid)
        print("   time     API    pool  workers children  (RSS, MB)  workers PSS", flush=True)

        def sample(label: str) -> dict[str, float]:
            found = memory(process)
            print(
                f"{label:>7} {found['api']:7.0f} {found['pool']:7.0f} {found['workers']:8.0f} "
                f"{found['children']:8.0f} {found['workers_pss']:20.0f}",
                flush=True,
            )
            return found

        before = sample("before")
        stop = threading.Event()
        counts: dict[str, int] = {}
        runner = threading.Thread(
            target=lambda: counts.update(traffic(url, keys, token, stop)), daemon=True
        )
        started = time.monotonic()
        runner.start()
        samples = []
        while time.monotonic() - started < args.minutes * 60:
            time.sleep(15)
            samples.append(sample(f"{time.monotonic() - started:5.0f} s"))
        stop.set()
        runner.join(120)
        time.sleep(args.rest)
        after = sample("rest")
        peak = {k: max(s[k] for s in samples) for k in before}
        print(f"\ntraffic: {json.dumps(counts)}")
        for kind in ("api", "pool", "workers", "children", "workers_pss"):
            print(
                f"{kind:8} before {before[kind]:6.0f}  peak {peak[kind]:6.0f}  "
                f"after {args.rest:.0f} s of rest {after[kind]:6.0f} MB"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
