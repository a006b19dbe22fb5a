"""Serve an app on a free loopback port with a real uvicorn, as ``tests/conftest.py`` does, for
tests that need settings of their own or routers the app factory does not include yet."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from fastapi import APIRouter, FastAPI

from services.ingest.http import server_config
from services.ingest.state import state_of
from tests.support import PATIENCE


def with_routers(app: FastAPI, *routers: APIRouter) -> FastAPI:
    """Include each router whose paths the app does not serve already."""
    served = {getattr(route, "path", None) for route in app.routes}
    for router in routers:
        if not any(getattr(route, "path", None) in served for route in router.routes):
            app.include_router(router)
    return app


@contextmanager
def serve(app: FastAPI) -> Iterator[str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    config = server_config(app, state_of(app).settings, host="127.0.0.1", port=port)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + PATIENCE
    while not server.started:
        assert time.monotonic() < deadline, "API did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
