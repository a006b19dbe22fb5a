"""The HTTP server's own bounds (services/ingest/http.py), on a real uvicorn with the API's
protocol: a request head over 64 KiB is a 431, a head or body that does not arrive in time a
408, and while one client dawdles the server goes on answering the others."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import Engine, text

from services.ingest.app import create_app
from services.ingest.http import MAX_HEAD_BYTES
from services.queue import make_celery
from tests.api.served import serve
from tests.support import PATIENCE, partner_key

# Short deadlines: what is tested is that a slow client is cut off at all, and that the server
# stays responsive meanwhile; no assertion depends on how fast this machine is.
TIMEOUTS = {"header_timeout_seconds": 1.0, "read_timeout_seconds": 2.0}


@pytest.fixture(scope="module")
def url(settings, engine: Engine, servers) -> Iterator[str]:  # type: ignore[no-untyped-def]
    tight = settings.model_copy(update=TIMEOUTS)
    with serve(create_app(tight, engine, make_celery(tight, servers.redis_url))) as served:
        yield served


def _connect(url: str) -> socket.socket:
    parts = urlsplit(url)
    return socket.create_connection((parts.hostname, parts.port), timeout=PATIENCE)


def _answer(conn: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    received = b""
    while chunk := conn.recv(65536):
        received += chunk
    return received


def test_a_head_over_64_kib_is_a_431_and_the_connection_closes(url: str) -> None:
    with _connect(url) as conn:
        padding = b"x" * 1000
        head = b"GET /healthz HTTP/1.1\r\nHost: t\r\n" + b"".join(
            b"X-Pad-%d: %s\r\n" % (n, padding) for n in range(MAX_HEAD_BYTES // 1000 + 2)
        )
        conn.sendall(head + b"\r\n")
        answer = _answer(conn)
    assert answer.startswith(b"HTTP/1.1 431 "), answer[:80]


def test_a_head_just_under_the_limit_is_served(url: str) -> None:
    headers = {f"x-pad-{n}": "x" * 1000 for n in range(MAX_HEAD_BYTES // 1100)}
    assert httpx.get(f"{url}/healthz", headers=headers).status_code == 200


@pytest.mark.parametrize(
    "sent",
    [
        b"",  # connects and says nothing
        b"POST /v1/items HTTP/1.1\r\nHost: t\r\nContent-Type: text/plain\r\n",  # half a head
    ],
    ids=["silent", "half-head"],
)
def test_a_head_that_never_arrives_is_a_408_and_others_are_served_meanwhile(
    url: str, sent: bytes
) -> None:
    with _connect(url) as conn:
        conn.sendall(sent)
        assert httpx.get(f"{url}/healthz").status_code == 200  # not held up by the dawdler
        answer = _answer(conn)
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:80]


def test_a_body_that_stops_arriving_is_cut_off_and_nothing_is_stored(
    url: str, db: Engine, redis_flush: None
) -> None:
    key = partner_key(db, "slowpoke")
    started = time.monotonic()
    with _connect(url) as conn:
        conn.sendall(
            b"POST /v1/items HTTP/1.1\r\nHost: t\r\nContent-Type: text/plain\r\n"
            b"Authorization: Bearer " + key.encode() + b"\r\n"
            b"Content-Length: 1000\r\n\r\nLONDON, 3 Dec (Reuters) - The first forty bytes"
        )
        answer = _answer(conn)
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:80]
    assert time.monotonic() - started < PATIENCE
    assert httpx.get(f"{url}/healthz").status_code == 200
    with db.connect() as conn_db:
        assert conn_db.execute(text("SELECT count(*) FROM submissions")).scalar() == 0
