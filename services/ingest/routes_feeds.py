"""Feeds for publishing systems: ``GET /v1/feed.atom`` (Atom 1.0, the item list's filters) and
``GET /v1/stream`` (Server-Sent Events of new and updated items, resumable by ``Last-Event-ID``)."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Header, Request, Response
from fastapi.responses import StreamingResponse
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from starlette.types import Receive, Scope, Send

from services.ingest import streams
from services.ingest.auth import EditorPrincipal
from services.ingest.filters import ItemFilters, page_url
from services.ingest.state import state_of
from shared.core.errors import InputError, Invalid
from shared.core.settings import Settings
from shared.db import changes, credentials, item_reads
from shared.output import atom as atom_out

logger = logging.getLogger(__name__)
router = APIRouter()

_MAX_EVENT_ID = 2**63 - 1


@router.get("/v1/feed.atom", response_class=Response)
def feed_atom(request: Request, _: EditorPrincipal, query: ItemFilters) -> Response:
    """The items ``GET /v1/items`` would list, newest first, as an Atom feed; ``link rel=next``
    names the next page when there is one."""
    engine: Engine = state_of(request).engine
    with engine.connect() as conn:
        page, nxt = item_reads.search(conn, query)
    self_href = f"{request.url.path}?{request.url.query}" if request.url.query else request.url.path
    body = atom_out.feed(
        page,
        feed_id=str(request.url.remove_query_params("cursor")),
        title=_title(request),
        self_href=self_href,
        next_href=page_url(request, nxt),
        now=datetime.now(UTC),
    )
    return Response(body, media_type=atom_out.MEDIA_TYPE)


def _title(request: Request) -> str:
    shown = [f"{k}={v}" for k, v in request.query_params.items() if k not in ("cursor", "limit")]
    return "Dateline items" + (f" ({', '.join(shown)})" if shown else "")


@router.get("/v1/stream", response_class=StreamingResponse)
async def stream(
    request: Request,
    principal: EditorPrincipal,
    partner: str | None = None,
    language: str | None = None,
    include_duplicates: bool = False,
    last_event_id: Annotated[str | None, Header()] = None,
) -> StreamingResponse:
    """``event: item`` per new or updated item (``id`` its current version id, ``data`` the
    contract item), in id order, from now on or after ``Last-Event-ID``; a comment line when
    nothing else was sent for the heartbeat interval. Ends when the client goes away, or when
    its token, checked again every ``DATELINE_STREAM_RECHECK_SECONDS``, is no longer good. A
    token over ``DATELINE_STREAMS_PER_TOKEN`` open streams, or a process serving
    ``DATELINE_MAX_STREAMS``, gets a ``429``."""
    engine: Engine = state_of(request).engine
    mark = _resume_from(last_event_id)
    hub = streams.hub_of(request.app)
    slot = hub.admit(principal.key_id, changes.Filters(partner, language, include_duplicates))
    try:
        if mark is None:
            mark = await anyio.to_thread.run_sync(_newest, engine)
        hub.start(slot, mark)
        return _Stream(
            _events(request, slot),
            release=lambda: hub.release(slot),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
    except BaseException:
        hub.release(slot)
        raise


class _Stream(StreamingResponse):
    """A streaming response that frees its stream slot however the response ends (finished,
    the client gone, cancelled), even if its body was never started."""

    def __init__(self, *args: Any, release: Callable[[], None], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._release = release

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self._release()


def _resume_from(header: str | None) -> int | None:
    if header is None or not header.strip():
        return None
    value = header.strip()
    if not value.isascii() or not value.isdigit() or int(value) > _MAX_EVENT_ID:
        raise Invalid(
            "Last-Event-ID must be an event id this stream sent",
            errors=[{"field": "last-event-id", "message": "not a non-negative integer"}],
        )
    return int(value)


def _newest(engine: Engine) -> int:
    with engine.connect() as conn:
        return changes.newest_version_id(conn)


def _still_an_editor(engine: Engine, bearer: str | None) -> bool:
    """Whether the stream's credential still grants reading (not revoked, still an editor)."""
    try:
        with engine.connect() as conn:
            return credentials.authenticate(conn, bearer).has_role("editor")
    except InputError:
        return False
    except OperationalError:
        return True  # the database is away: the next check decides


# Changes written to the client in one go (then the token check may run again).
_WRITE_BATCH = 100


async def _events(request: Request, slot: streams.Stream) -> AsyncIterator[str]:
    """The stream's bytes: what the shared poller queues for it, heartbeats, the token check."""
    settings: Settings = state_of(request).settings
    poll = settings.stream_poll_seconds
    heartbeat = settings.stream_heartbeat_seconds
    recheck = settings.stream_recheck_seconds
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    bearer = token.strip() if scheme.lower() == "bearer" else None
    try:
        yield f"retry: {int(poll * 1000) + 1000}\n\n"
        quiet_since = checked_at = time.monotonic()
        # A client that goes away cancels this generator: Starlette listens for the disconnect
        # while it streams (and a write to a closed connection fails at the next heartbeat).
        while True:
            if time.monotonic() - checked_at >= recheck:
                checked_at = time.monotonic()
                engine = state_of(request).engine
                if not await anyio.to_thread.run_sync(_still_an_editor, engine, bearer):
                    yield ": credential revoked\n\n"
                    return
            if slot.overflowed and slot.queue.empty():
                yield ": too far behind; reconnect with Last-Event-ID\n\n"
                return
            wait = min(recheck, max(0.0, heartbeat - (time.monotonic() - quiet_since)))
            found = await _next_changes(slot.queue, wait)
            if found:
                yield "".join(_event(change) for change in found)
                quiet_since = time.monotonic()
            elif time.monotonic() - quiet_since >= heartbeat:
                yield ": heartbeat\n\n"
                quiet_since = time.monotonic()
    finally:
        streams.hub_of(request.app).release(slot)


async def _next_changes(
    queue: asyncio.Queue[changes.Change], timeout: float
) -> list[changes.Change]:
    """What is waiting (at most ``_WRITE_BATCH``), waiting up to ``timeout`` for the first."""
    found: list[changes.Change] = []
    if queue.empty():
        with anyio.move_on_after(timeout):
            found.append(await queue.get())
        if not found:
            return found
    while len(found) < _WRITE_BATCH and not queue.empty():
        found.append(queue.get_nowait())
    return found


def _event(change: changes.Change) -> str:
    data = json.dumps(change.item, ensure_ascii=False, separators=(",", ":"))
    return f"event: item\nid: {change.version_id}\ndata: {data}\n\n"


def open_streams() -> int:
    """How many streams this process is serving now."""
    return streams.open_streams()
