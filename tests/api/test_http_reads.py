"""What a connection makes the API hold before its route reads the body (services/ingest/http.py):
one read of at most 64 KiB, not the event loop's 256 KiB, and nothing more of a large body."""

from __future__ import annotations

import asyncio
import hashlib
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI, Request

from services.ingest.http import READ_BYTES, server_config
from shared.core.settings import Settings
from tests.support import PATIENCE

BODY = bytes(range(256)) * 4096  # 1 MiB


@pytest.fixture
def held_route() -> Iterator[tuple[uvicorn.Server, int, threading.Event, threading.Event]]:
    entered, go = threading.Event(), threading.Event()
    app = FastAPI()

    @app.post("/hold")
    async def hold(request: Request) -> dict[str, Any]:
        entered.set()
        while not go.is_set():  # as a push waiting for its partner's turn
            await asyncio.sleep(0.01)
        body = await request.body()
        return {"length": len(body), "sha256": hashlib.sha256(body).hexdigest()}

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    settings = Settings(database_url="postgresql:///unused")
    server = uvicorn.Server(server_config(app, settings, host="127.0.0.1", port=port))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    _until(lambda: server.started, "the server did not start")
    try:
        yield server, port, entered, go
    finally:
        go.set()
        server.should_exit = True
        thread.join(PATIENCE)


def test_a_large_body_is_not_read_before_its_route_asks_for_it(
    held_route: tuple[uvicorn.Server, int, threading.Event, threading.Event],
) -> None:
    server, port, entered, go = held_route
    head = b"POST /hold HTTP/1.1\r\nhost: x\r\ncontent-length: %d\r\n\r\n" % len(BODY)
    with socket.create_connection(("127.0.0.1", port), timeout=PATIENCE) as client:
        sender = threading.Thread(target=client.sendall, args=(head + BODY,), daemon=True)
        sender.start()  # may block: the server does not read it all
        assert entered.wait(PATIENCE), "the route did not start"
        (connection,) = server.server_state.connections
        http: Any = connection
        _until(lambda: http.cycle is not None, "no request")
        # The route has not asked for the body: reading is paused, and what is held is one read.
        assert not http.transport.is_reading()
        assert len(http.cycle.body) <= READ_BYTES
        go.set()
        answer = b""
        while b"}" not in answer:
            chunk = client.recv(65536)
            assert chunk, "the connection closed without an answer"
            answer += chunk
    sender.join(PATIENCE)
    assert answer.startswith(b"HTTP/1.1 200")
    expected = f'"length":{len(BODY)},"sha256":"{hashlib.sha256(BODY).hexdigest()}"'
    assert expected.encode() in answer  # and then all of it arrives, intact


def _until(check: Any, what: str) -> None:
    deadline = time.monotonic() + PATIENCE
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.01)
