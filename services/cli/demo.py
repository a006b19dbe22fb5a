"""``dateline demo``: push the bundled sample pages and print the normalised items."""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from services.cli.context import transaction
from shared.db import credentials
from shared.errors import NotFound

SAMPLES = Path(__file__).parent / "samples"
DEMO_PARTNER = "demo-belta"
DEMO_TIMEZONE = "Europe/Minsk"


def register(sub: Any) -> None:
    p = sub.add_parser("demo", help="push the sample items and print the results")
    p.add_argument(
        "--url",
        default="http://127.0.0.1:8000",
        help="a running `dateline up`; started here when none answers",
    )
    p.set_defaults(handler=cmd_demo)


def _alive(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _credentials() -> tuple[str, str]:
    with transaction() as conn:
        try:
            credentials.get_partner(conn, DEMO_PARTNER)
            key = credentials.rotate_key(conn, DEMO_PARTNER)
        except NotFound:
            _, key = credentials.create_partner(
                conn, slug=DEMO_PARTNER, timezone=DEMO_TIMEZONE, languages=("en", "ru")
            )
        token = credentials.create_token(conn, name="demo", role="editor")
    return key, token


def _run(url: str) -> int:
    key, token = _credentials()
    with httpx.Client(base_url=url, timeout=30) as client:
        for sample in sorted(SAMPLES.glob("*.txt")):
            answer = client.post(
                "/v1/items",
                content=sample.read_bytes(),
                headers={
                    "Authorization": f"Bearer {key}",
                    "Content-Type": "text/plain; charset=utf-8",
                },
            )
            print(f"POST {sample.name} -> {answer.status_code} {answer.text}", file=sys.stderr)
            answer.raise_for_status()
            status_url = answer.json()["status_url"]
            submission = _wait(client, status_url, token)
            for entry in submission["items"]:
                item = client.get(
                    f"/v1/items/{entry['item_id']}", headers={"Authorization": f"Bearer {token}"}
                ).json()
                print(json.dumps(item, ensure_ascii=False, indent=2))
    return 0


def _wait(client: httpx.Client, status_url: str, token: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        body: dict[str, Any] = client.get(
            status_url, headers={"Authorization": f"Bearer {token}"}
        ).json()
        if body["status"] in ("done", "failed", "dead"):
            return body
        time.sleep(0.2)
    raise TimeoutError(f"{status_url} did not finish within 60 s")


def cmd_demo(args: argparse.Namespace) -> int:
    if _alive(args.url):
        return _run(args.url)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    print(f"no Dateline at {args.url}; starting one at {url}", file=sys.stderr)
    stack = subprocess.Popen(
        [sys.executable, "-m", "services.cli", "up", "--port", str(port)],
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while not _alive(url):
            if stack.poll() is not None or time.monotonic() > deadline:
                print("the embedded stack did not start", file=sys.stderr)
                return 1
            time.sleep(0.2)
        return _run(url)
    finally:
        stack.terminate()
        stack.wait(60)
