"""The one ASGI layer in front of the routes.

It is a plain ASGI callable, not ``@app.middleware("http")``: each of those wraps every request
in a task group and memory streams, which cost more than the rest of an accept. It

* refuses a NUL in the path or in the decoded query (PostgreSQL text cannot hold U+0000) before
  any route or query sees it;
* gives each request an id (the client's ``X-Request-ID``, at most 64 characters, or a new one),
  kept in ``request.state.request_id`` and sent back as ``X-Request-ID``;
* sizes the event loop's thread pool, on first use (it belongs to the running loop), to
  ``DATELINE_API_THREADS``: the database pool keeps as many connections, so no request pays for
  a connect;
* serves the two push routes (``POST /v1/items``, ``POST /v1/push/{partner}``) itself: their
  handlers take a bare ``Request`` and raise what ``problems.answer`` turns into the same
  problem responses, so FastAPI's routing, middleware, dependency solving and exception
  handling, which cost as much CPU as the rest of a push, are not run for them. They stay
  declared in their routers for the OpenAPI description.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from functools import partial

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.ingest import problems, routes, routes_push

Handler = Callable[[Request], Awaitable[Response]]
SUPERDESK_PREFIX = "/v1/push/"


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
        handler = _push_handler(scope["path"]) if scope["method"] == "POST" else None
        if handler is None:
            await self.app(scope, receive, send_with_id)
            return
        request = Request(scope, receive)
        try:
            response = await handler(request)
        except Exception as exc:
            response = problems.answer(request, exc)
        await response(scope, receive, send_with_id)


def _push_handler(path: str) -> Handler | None:
    """The push route ``path`` names, as FastAPI's router would match it, or None."""
    if path == "/v1/items":
        return routes.push
    if path.startswith(SUPERDESK_PREFIX):
        slug = path[len(SUPERDESK_PREFIX) :]
        if slug and "/" not in slug:
            return partial(routes_push.superdesk_push, slug)
    return None


def _header(scope: Scope, name: bytes) -> str | None:
    headers: list[tuple[bytes, bytes]] = scope.get("headers", [])
    for key, value in headers:
        if key == name:
            return value.decode("latin-1")
    return None


__all__ = ["Edge"]
