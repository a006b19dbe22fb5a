"""``dateline demo``: push the bundled sample pages and show what Dateline made of them.

The demo uses one partner, ``demo-belta``, and one editor token named ``demo``, created on the
first run; their secrets are kept in the data folder (``demo-credentials.json``, readable by its
owner only) and used again on every later run. A stored credential that no longer works (revoked,
or a different database) is replaced: the partner gets a new key (``rotate-key``: at most two stay
active) and a new editor token is made. Pushing the same samples again sends the same bytes, which
Dateline answers with the existing submission, so later runs add nothing to the data.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httpx
    from sqlalchemy import Connection

SAMPLES = Path(__file__).parent / "samples"
DEMO_PARTNER = "demo-belta"
DEMO_TIMEZONE = "Europe/Minsk"
DEMO_TOKEN_NAME = "demo"
CREDENTIALS_FILE = "demo-credentials.json"
START_SECONDS = 300.0  # how long to wait for a `dateline up` started here (a busy machine)
WAIT_SECONDS = 120.0  # how long to wait for one submission to be processed
HEADLINE_WIDTH = 60


def register(sub: Any) -> None:
    p = sub.add_parser("demo", help="push the sample items and show what came out")
    p.add_argument(
        "--url",
        default="http://127.0.0.1:8000",
        help="a running `dateline up`; started here when none answers",
    )
    p.add_argument("--json", action="store_true", help="print the items as a JSON array")
    p.set_defaults(handler=cmd_demo)


def _alive(url: str) -> bool:
    import httpx

    try:
        return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def credentials_path() -> Path:
    from shared.core.settings import Settings

    return Settings().data_dir / CREDENTIALS_FILE


def _load(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, str)}


def _save(path: Path, data: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        json.dump(data, out, indent=2)
        out.write("\n")
    os.replace(temporary, path)


def _works(conn: Connection, secret: str | None, kind: str) -> bool:
    """Whether ``secret`` is an active credential of the demo partner (or an editor token)."""
    from shared.core.errors import Unauthorized
    from shared.db import credentials

    if not secret:
        return False
    try:
        principal = credentials.authenticate(conn, secret)
    except Unauthorized:
        return False
    if kind == "partner":
        return principal.partner is not None and principal.partner.slug == DEMO_PARTNER
    return principal.kind == kind


def demo_credentials() -> tuple[str, str, Path]:
    """The demo partner's key and the demo editor token, created once and kept in the data
    folder; a stored one that no longer works is replaced."""
    from services.cli.context import transaction
    from shared.core.errors import NotFound
    from shared.db import credentials

    path = credentials_path()
    stored = _load(path)
    key, token = stored.get("key"), stored.get("token")
    with transaction() as conn:
        if not _works(conn, key, "partner"):
            try:
                credentials.get_partner(conn, DEMO_PARTNER)
                key = credentials.rotate_key(conn, DEMO_PARTNER)
            except NotFound:
                _, key = credentials.create_partner(
                    conn, slug=DEMO_PARTNER, timezone=DEMO_TIMEZONE, languages=("en", "ru")
                )
        if not _works(conn, token, "editor"):
            token = credentials.create_token(conn, name=DEMO_TOKEN_NAME, role="editor")
    assert key is not None and token is not None
    if (key, token) != (stored.get("key"), stored.get("token")):
        _save(path, {"partner": DEMO_PARTNER, "key": key, "token": token})
    return key, token, path


class DemoFailed(Exception):
    pass


def _push_samples(url: str, key: str, token: str) -> list[tuple[dict[str, Any], str]]:
    """Each sample pushed and processed: (item, verdict) for every item it made."""
    import httpx

    editor = {"Authorization": f"Bearer {token}"}
    found: list[tuple[dict[str, Any], str]] = []
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
            if answer.status_code not in (200, 202):
                raise DemoFailed(
                    f"pushing {sample.name} was answered {answer.status_code}: {answer.text}"
                )
            submission = _wait(client, answer.json()["status_url"], editor)
            if submission["status"] != "done":
                raise DemoFailed(
                    f"{sample.name} was not processed ({submission['status']}): "
                    f"{submission.get('error')}"
                )
            for entry in submission["items"]:
                item = client.get(f"/v1/items/{entry['item_id']}", headers=editor)
                item.raise_for_status()
                found.append((item.json(), str(entry["verdict"])))
    return found


def _wait(client: httpx.Client, status_url: str, headers: dict[str, str]) -> dict[str, Any]:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        body: dict[str, Any] = client.get(status_url, headers=headers).json()
        if body["status"] in ("done", "failed", "dead"):
            return body
        time.sleep(0.2)
    raise DemoFailed(
        f"{status_url} was not processed within {WAIT_SECONDS:.0f} s: are the workers running?"
    )


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def _dateline(dateline: dict[str, Any] | None) -> str:
    if not dateline:
        return ""
    if dateline.get("text"):
        return str(dateline["text"])
    parts = [dateline.get("located"), dateline.get("date")]
    text = ", ".join(str(p) for p in parts if p)
    return f"{text} ({dateline['source']})" if dateline.get("source") else text


def table(found: list[tuple[dict[str, Any], str]]) -> str:
    """A short table: headline, dateline, UTC time (``versioncreated``), verdict."""
    rows = [("headline", "dateline", "UTC time", "verdict")]
    rows += [
        (
            _cut(item.get("headline") or "", HEADLINE_WIDTH),
            _dateline(item.get("dateline")),
            item.get("versioncreated") or "",
            verdict,
        )
        for item, verdict in found
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(4)]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )


def _run(url: str, args: argparse.Namespace, *, stays_up: bool) -> int:
    key, token, path = demo_credentials()
    try:
        found = _push_samples(url, key, token)
    except DemoFailed as exc:
        print(f"dateline demo: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps([item for item, _ in found], ensure_ascii=False, indent=2))
        return 0
    print(table(found))
    print()
    print(
        f"{len(found)} items from the bundled samples, pushed as the partner {DEMO_PARTNER} "
        f"({DEMO_TIMEZONE}); `dateline demo --json` prints them whole."
    )
    if stays_up:
        print(f"The wire desk: {url}/desk (the demo editor token is in {path}).")
    else:
        print(
            "To browse them on the wire desk, run `dateline up`; "
            f"the demo editor token is in {path}."
        )
    return 0


def _start_stack(port: int) -> tuple[subprocess.Popen[str], threading.Event]:
    """``dateline up`` on ``port``; the event is set when it says it is up (workers too)."""
    stack = subprocess.Popen(
        [sys.executable, "-m", "services.cli", "up", "--port", str(port)],
        env=os.environ.copy(),
        stdout=subprocess.PIPE,
        text=True,
    )
    up = threading.Event()

    def read() -> None:
        assert stack.stdout is not None
        for line in stack.stdout:  # read to the end: a full pipe would block the stack
            if line.startswith("Dateline is up"):
                up.set()

    threading.Thread(target=read, daemon=True).start()
    return stack, up


def cmd_demo(args: argparse.Namespace) -> int:
    if _alive(args.url):
        return _run(args.url, args, stays_up=True)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    print(f"no Dateline at {args.url}; starting one at {url} for the demo", file=sys.stderr)
    stack, up = _start_stack(port)
    try:
        deadline = time.monotonic() + START_SECONDS
        while not up.wait(0.2):
            if stack.poll() is not None or time.monotonic() > deadline:
                print("dateline demo: the embedded stack did not start", file=sys.stderr)
                return 1
        return _run(url, args, stays_up=False)
    finally:
        stack.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            stack.wait(60)
        if stack.poll() is None:
            stack.kill()
            stack.wait()
