"""Can one client stall the others? Each attack of the edge issue, replayed against a running
stack, with a well-behaved partner and an editor measured meanwhile.

    .venv/bin/python bench/stalls.py [--seconds 20]

Starts ``dateline up`` (embedded PostgreSQL and Redis, one API process) in a temporary data
folder. Throughout, a *victim* partner pushes a small story every 0.2 s and an *editor* reads
``GET /v1/items?limit=50`` every 0.2 s, one request at a time. Each attack runs for
``--seconds``, after a quiet phase of the same length:

  big-html     one partner key, 45 concurrent pushes of a 700 KB HTML page, over and over
  big-html-chunked  the same, sent chunked (no Content-Length)
  unsigned     200 uploads to /v1/push/{slug} with a made-up signature, each stalled after
               1 MB of a declared 5 MB body
  slowloris    300 connections that send half a request head and then one byte every 5 s
  big-reads    5 editors reading ``limit=200`` pages of large items in a loop
  streams      400 SSE streams opened (80 tokens x 5)

It prints, per phase, the victim's and the editor's p50/p99 latency (goal: p99 < 1 s during
every attack) and the API process's memory (PSS of ``dateline up``'s own process, where the API
runs, plus its parser-pool processes): before, the most seen during, and 10 s after (goal: at
most +50 MB during, back within 10 % after); the line per attack also splits the 10 s figure
into the API and the pool, and samples again once the idle pool has ended. Figures vary with
the machine; compare phases of the same run.
"""

from __future__ import annotations

import argparse
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import httpx
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.stack import running_up  # noqa: E402

SETTINGS = {
    "DATELINE_RATE_LIMIT_PER_MINUTE": "0",
    "DATELINE_LOG_LEVEL": "ERROR",
    "DATELINE_STREAM_POLL_SECONDS": "1",
}
STORY = (
    "Story {n}\n\nMINSK, 7 January (BelTA) - The regional council approved a plan to build "
    "new cycle lanes across the city centre, officials said on Friday. Story {n} of the run."
)


def big_html(kilobytes: int = 700) -> bytes:
    paragraph = (
        "<p>The ministry said the new schedule would add forty regional trains and keep fares "
        "unchanged this year, while the opposition asked for a review of the budget.</p>\n"
    )
    count = kilobytes * 1024 // len(paragraph)
    return (
        "<!DOCTYPE html><html lang='en'><head><title>Big page</title></head><body>"
        "<article><h1>Rail operator adds forty trains</h1>"
        "<time datetime='2026-12-01T10:00:00Z'>1 December 2026</time>"
        + paragraph * count
        + "</article></body></html>"
    ).encode()


@dataclass
class Probe:
    latencies: list[tuple[float, float]] = field(default_factory=list)  # (at, seconds)
    errors: int = 0

    def between(self, start: float, end: float) -> list[float]:
        return sorted(s for at, s in self.latencies if start <= at < end)


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    return values[min(len(values) - 1, int(len(values) * p))]


def probe(target: Callable[[httpx.Client, int], int], out: Probe, stop: threading.Event) -> None:
    with httpx.Client(timeout=60) as client:
        n = 0
        while not stop.is_set():
            n += 1
            started = time.monotonic()
            try:
                status = target(client, n)
                if status >= 400:
                    out.errors += 1
            except httpx.HTTPError:
                out.errors += 1
            out.latencies.append((started, time.monotonic() - started))
            stop.wait(0.2)


def pair(values: list[float]) -> str:
    """p50 / p99 in milliseconds."""
    return f"{percentile(values, 0.5) * 1000:.0f} / {percentile(values, 0.99) * 1000:.0f} ms"


def rss_mb(up: psutil.Process) -> float:
    """``up``'s own memory (the API runs in it) plus its parser-pool processes', in MB."""
    return sum(rss_parts(up))


def parser_process(command: str) -> bool:
    """Whether a child's command line is a parser-pool process's (or multiprocessing's, as
    the pool's processes were before, so that older code can be measured alike)."""
    return "parser_process" in command or "multiprocessing" in command


def rss_parts(up: psutil.Process) -> tuple[float, float]:
    """``up``'s own memory, and its parser-pool processes' together, in MB: PSS, so that the
    pages the pool shares with the API (the interpreter, lxml) count once, as ``free`` sees them."""
    pool = 0
    for child in up.children():
        try:
            if parser_process(" ".join(child.cmdline())):
                pool += child.memory_full_info().pss
        except psutil.Error:
            pass
    return up.memory_full_info().pss / 2**20, pool / 2**20


# --- the attacks: each runs until ``stop`` is set ---------------------------------------------


def attack_big_html(
    url: str, key: str, stop: threading.Event, chunked: bool = False, **_: object
) -> None:
    page = big_html()

    def pusher(n: int) -> None:
        with httpx.Client(timeout=120) as client:
            while not stop.is_set():
                body = page.replace(b"Big page", f"Big page {n} {time.time_ns()}".encode())
                try:
                    client.post(
                        f"{url}/v1/items",
                        # an iterator: sent chunked, without a Content-Length
                        content=iter([body[i : i + 65536] for i in range(0, len(body), 65536)])
                        if chunked
                        else body,
                        headers={"Authorization": f"Bearer {key}", "Content-Type": "text/html"},
                    )
                except httpx.HTTPError:
                    stop.wait(0.5)

    threads = [threading.Thread(target=pusher, args=(n,), daemon=True) for n in range(45)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def _raw(url: str) -> socket.socket:
    host, port = url.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=30)


def attack_unsigned(url: str, slug: str, stop: threading.Event, **_: object) -> None:
    held = []
    chunk = b"x" * (1024 * 1024)
    for _n in range(200):
        if stop.is_set():
            break
        try:
            conn = _raw(url)
            conn.sendall(
                f"POST /v1/push/{slug} HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                "x-superdesk-signature: sha1=0000000000000000000000000000000000000000\r\n"
                f"Content-Length: {5 * 1024 * 1024}\r\n\r\n".encode()
            )
            conn.sendall(chunk)
            held.append(conn)
        except OSError:
            pass
    stop.wait()
    for conn in held:
        conn.close()


def attack_slowloris(url: str, stop: threading.Event, **_: object) -> None:
    held = []
    for n in range(300):
        try:
            conn = _raw(url)
            conn.sendall(b"POST /v1/items HTTP/1.1\r\nHost: t\r\nX-Slow-%d: " % n)
            held.append(conn)
        except OSError:
            pass
    while not stop.wait(5):
        for conn in list(held):
            try:
                conn.sendall(b"a")
            except OSError:
                held.remove(conn)
    for conn in held:
        conn.close()


def attack_big_reads(url: str, token: str, stop: threading.Event, **_: object) -> None:
    def reader() -> None:
        with httpx.Client(timeout=120) as client:
            while not stop.is_set():
                try:
                    client.get(
                        f"{url}/v1/items",
                        params={"limit": 200},
                        headers={"Authorization": f"Bearer {token}"},
                    )
                except httpx.HTTPError:
                    stop.wait(0.5)

    threads = [threading.Thread(target=reader, daemon=True) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def attack_streams(url: str, stream_tokens: list[str], stop: threading.Event, **_: object) -> None:
    held = []
    for token in stream_tokens:
        for _n in range(5):
            try:
                conn = _raw(url)
                conn.sendall(
                    f"GET /v1/stream HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {token}\r\n"
                    "Accept: text/event-stream\r\n\r\n".encode()
                )
                held.append(conn)
            except OSError:
                pass
    stop.wait()
    for conn in held:
        conn.close()


ATTACKS: dict[str, Callable[..., None]] = {
    "big-html": attack_big_html,
    "big-html-chunked": partial(attack_big_html, chunked=True),
    "unsigned": attack_unsigned,
    "slowloris": attack_slowloris,
    "big-reads": attack_big_reads,
    "streams": attack_streams,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--port", type=int, default=18124)
    parser.add_argument("--only", nargs="*", choices=sorted(ATTACKS), help="run only these")
    args = parser.parse_args()
    with running_up("stalls", args.port, SETTINGS) as stack:
        url = stack.url
        victim = stack.cli("partners", "add", "victim")["key"]
        attacker = stack.cli("partners", "add", "attacker")["key"]
        stack.cli("partners", "add", "desk-push")
        stack.cli("signing", "set-secret", "desk-push")  # a slug that signs its pushes
        editor = stack.cli("tokens", "add", "editor", "--role", "editor")["token"]
        stream_tokens = [
            stack.cli("tokens", "add", f"s{n}", "--role", "editor")["token"] for n in range(80)
        ]
        # Large items for the big reads: 300 stories of about 40 KB.
        with httpx.Client(timeout=60) as client:
            long_body = " ".join(["The council met again to discuss the budget."] * 900)
            for n in range(300):
                client.post(
                    f"{url}/v1/items",
                    json={
                        "uri": f"urn:big:{n}",
                        "headline": f"Long story {n}",
                        "body_text": long_body,
                    },
                    headers={"Authorization": f"Bearer {attacker}"},
                )
        time.sleep(10)  # let the worker store them
        process = psutil.Process(stack.process.pid)

        def push_story(client: httpx.Client, n: int) -> int:
            return client.post(
                f"{url}/v1/items",
                content=STORY.format(n=f"{n}-{time.time_ns()}").encode(),
                headers={"Authorization": f"Bearer {victim}", "Content-Type": "text/plain"},
            ).status_code

        def read_items(client: httpx.Client, n: int) -> int:
            return client.get(
                f"{url}/v1/items", params={"limit": 50},
                headers={"Authorization": f"Bearer {editor}"},
            ).status_code  # fmt: skip

        pushes, reads = Probe(), Probe()
        stop_probes = threading.Event()
        probes = [
            threading.Thread(target=probe, args=(push_story, pushes, stop_probes), daemon=True),
            threading.Thread(target=probe, args=(read_items, reads, stop_probes), daemon=True),
        ]
        for t in probes:
            t.start()
        rows = []
        for name in args.only or list(ATTACKS):
            quiet_start = time.monotonic()
            time.sleep(args.seconds)
            before = rss_mb(process)
            stop = threading.Event()
            attack = threading.Thread(
                target=ATTACKS[name],
                kwargs={"url": url, "key": attacker, "slug": "desk-push", "token": editor,
                        "stream_tokens": stream_tokens, "stop": stop},
                daemon=True,
            )  # fmt: skip
            attack_start = time.monotonic()
            attack.start()
            peak, api_peak, pool_peak = before, 0.0, 0.0
            while time.monotonic() - attack_start < args.seconds:
                api_now, pool_now = rss_parts(process)
                peak = max(peak, api_now + pool_now)
                api_peak, pool_peak = max(api_peak, api_now), max(pool_peak, pool_now)
                time.sleep(0.5)
            stop.set()
            attack_end = time.monotonic()
            attack.join(120)
            time.sleep(10)
            after = rss_mb(process)
            api_after, pool_after = rss_parts(process)
            idle_end = time.monotonic() + 40  # the parser pool ends after 30 s without work
            while rss_parts(process)[1] and time.monotonic() < idle_end:
                time.sleep(1)
            settled = rss_mb(process)
            quiet = (
                pushes.between(quiet_start, attack_start),
                reads.between(quiet_start, attack_start),
            )
            during = (
                pushes.between(attack_start, attack_end),
                reads.between(attack_start, attack_end),
            )
            rows.append((name, quiet, during, before, peak, after))
            print(
                f"{name:10} push p99 {percentile(during[0], 0.99):6.3f} s  "
                f"read p99 {percentile(during[1], 0.99):6.3f} s  "
                f"PSS {before:5.0f} -> {peak:5.0f} -> {after:5.0f} MB "
                f"(highest: API {api_peak:.0f} MB, parser pool {pool_peak:.0f} MB; "
                f"10 s after: API {api_after:.0f} MB, parser pool {pool_after:.0f} MB; "
                f"once the pool is idle: {settled:.0f} MB)",
                flush=True,
            )
        stop_probes.set()
        print()
        print(
            "| attack | victim push p50 / p99 (quiet) | during | editor read p50 / p99 (quiet) "
            "| during | API PSS before → peak → 10 s after |"
        )
        print("|---|---|---|---|---|---|")
        for name, quiet, during, before, peak, after in rows:
            print(
                f"| {name} | {pair(quiet[0])} | {pair(during[0])} | {pair(quiet[1])} | "
                f"{pair(during[1])} | {before:.0f} → {peak:.0f} → {after:.0f} MB |"
            )
        print(f"\nprobe errors: victim {pushes.errors}, editor {reads.errors}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
