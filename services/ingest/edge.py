"""The one ASGI layer in front of the routes.

It is a plain ASGI callable, not ``@app.middleware("http")``: each of those wraps every request
in a task group and memory streams, which cost more than the rest of an accept. It

* refuses a NUL in the path or in the decoded query (PostgreSQL text cannot hold U+0000) before
  any route or query sees it;
* gives each request an id (the client's ``X-Request-ID``, at most 64 characters, or a new one),
  kept in ``request.state.request_id`` and sent back as ``X-Request-ID``;
* sizes the event loop's thread pool, on first use (it belongs to the running loop), to
  ``DATELINE_API_THREADS``: the database pool keeps as many connections, so no request pays for
  a connect.
"""

from __future__ import annotations

import uuid

import anyio.to_thread
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.ingest import problems


class Edge:
    def __init__(self, app: ASGIApp, *, threads: int) -> None:
        self.app = app
        self.threads = threads
        self._sized = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if not self._sized:
            anyio.to_thread.current_default_thread_limiter().total_tokens = self.threads
            self._sized = True
        rid = (_header(scope, b"x-request-id") or uuid.uuid4().hex)[:64]
        scope.setdefault("state", {})["request_id"] = rid
        echoed = rid.encode("latin-1", "replace")

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"x-request-id", echoed)]
            await send(message)

        query: bytes = scope.get("query_string", b"")
        if "\x00" in scope["path"] or b"%00" in query or b"\x00" in query:
            answer = problems.problem(
                400, "malformed", "Malformed request", "the path or query contains a NUL character"
            )
            await answer(scope, receive, send_with_id)
            return
        await self.app(scope, receive, send_with_id)


def _header(scope: Scope, name: bytes) -> str | None:
    headers: list[tuple[bytes, bytes]] = scope.get("headers", [])
    for key, value in headers:
        if key == name:
            return value.decode("latin-1")
    return None


__all__ = ["Edge"]
