"""Push → readable at a steady rate: how long from a partner's 202 until the item can be read.

    .venv/bin/python bench/latency.py [--rate 100] [--seconds 60]

Starts ``dateline up`` (two workers) in a temporary data folder and pushes distinct small ninjs
stories at ``--rate`` per second for ``--seconds``, open loop (each push is sent at its own
scheduled time by a pool of client threads, however long earlier ones take). An item is readable
when the worker's store transaction commits, which also stamps its submission ``finished_at``;
the arrival time is the API's ``received_at``. Prints the rate reached, the client-side push
latency, and p50 / p95 / p99 / max of push → readable (goal: p95 < 1 s at 100 items/s).
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from sqlalchemy import text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.stack import running_up  # noqa: E402
from bench.stalls import pair, percentile  # noqa: E402
from shared.core.embedded import EmbeddedPostgres  # noqa: E402
from shared.db.engine import make_engine  # noqa: E402

SETTINGS = {"DATELINE_RATE_LIMIT_PER_MINUTE": "0", "DATELINE_LOG_LEVEL": "ERROR"}
PENDING = text("SELECT count(*) FROM submissions WHERE finished_at IS NULL")
DELAYS = text(
    "SELECT extract(epoch FROM finished_at - received_at) FROM submissions "
    "WHERE finished_at IS NOT NULL ORDER BY 1"
)


def story(n: int) -> bytes:
    return json.dumps(
        {
            "uri": f"urn:latency:{n}:{time.time_ns()}",
            "headline": f"Council approves plan number {n}",
            "body_text": f"The council approved plan {n} on Tuesday, officials said. " * 8,
            "language": "en",
        }
    ).encode()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--port", type=int, default=18126)
    args = parser.parse_args()
    with running_up("latency", args.port, SETTINGS) as stack:
        url = stack.url
        key = stack.cli("partners", "add", "steady")["key"]
        total = int(args.rate * args.seconds)
        local = threading.local()
        pushed: list[float] = []
        lock = threading.Lock()
        started = time.monotonic() + 0.5

        def push(n: int) -> None:
            due = started + n / args.rate
            time.sleep(max(0.0, due - time.monotonic()))
            client = getattr(local, "client", None)
            if client is None:
                client = local.client = httpx.Client(timeout=60)
            sent = time.monotonic()
            answer = client.post(
                f"{url}/v1/items",
                content=story(n),
                headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
            )
            assert answer.status_code == 202, answer.text
            with lock:
                pushed.append(time.monotonic() - sent)

        with ThreadPoolExecutor(max_workers=32) as pool:
            list(pool.map(push, range(total)))
        elapsed = time.monotonic() - started
        engine = make_engine(EmbeddedPostgres(stack.data_dir, keep_running=True).start())
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                if not conn.execute(PENDING).scalar_one():
                    break
            time.sleep(0.5)
        with engine.connect() as conn:
            delays = [float(d) for (d,) in conn.execute(DELAYS)]
        engine.dispose()
        pushed.sort()
        print(f"pushed {total} in {elapsed:.1f} s: {total / elapsed:.0f}/s (asked {args.rate:g}/s)")
        print(f"push answered (202)   p50 / p99 {pair(pushed)}")
        print(
            f"push → readable       p50 {percentile(delays, 0.5) * 1000:.0f} ms, "
            f"p95 {percentile(delays, 0.95) * 1000:.0f} ms, "
            f"p99 {percentile(delays, 0.99) * 1000:.0f} ms, max {max(delays) * 1000:.0f} ms "
            f"({len(delays)} items)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
