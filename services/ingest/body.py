"""Read a request body within the size limit (decoded size for gzip/deflate), and within the
process's budget for bodies being received.

Bodies arrive over time, and what has arrived is held until the last byte. ``BodyBudget`` bounds
that memory: at most ``DATELINE_MAX_BUFFERED_BYTES`` in all (else ``503``, try again in a second)
and ``DATELINE_BUFFERED_BYTES_PER_SENDER`` for one sender (a partner, or one slug of the signed
push endpoint whose signature is not checked yet; else ``429``), so many slow uploads from one
sender cannot take the memory, nor the share, of the others. A body is counted while it is
being received; the read deadline (services/ingest/http.py) bounds how long. When a burst of
bodies (``TRIM_AFTER_BYTES`` held at once) is over, the heap is trimmed: the connections' reads
(64 KiB each) are freed in between other allocations, and would otherwise stay counted.
"""

from __future__ import annotations

import asyncio
import zlib
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import Request

from services.ingest.state import state_of
from shared.core.errors import (
    Malformed,
    PayloadTooLarge,
    RateLimited,
    Unavailable,
    UnsupportedMediaType,
)
from shared.core.memory import give_back_free_memory

RETRY_AFTER = 1
TRIM_AFTER_BYTES = 8 * 1024 * 1024


class BodyBudget:
    """Bytes of request bodies held while they arrive, in all and per sender (one event loop:
    no lock is needed)."""

    def __init__(self, total: int, per_sender: int) -> None:
        self.total, self.per_sender = total, per_sender
        self.held = 0
        self.highest = 0  # the most held at once since the heap was last trimmed
        self.trimmed: asyncio.Future[bool] | None = None  # the last trim (for tests)
        self.by_sender: Counter[str] = Counter()

    @asynccontextmanager
    async def hold(self, sender: str) -> AsyncIterator[_Holding]:
        holding = _Holding(self, sender)
        try:
            yield holding
        finally:
            self.held -= holding.size
            self.by_sender[sender] -= holding.size
            if self.by_sender[sender] <= 0:
                del self.by_sender[sender]
            if self.held == 0 and self.highest >= TRIM_AFTER_BYTES:
                # The burst is over: so is the heap it took (in a thread: a fragmented heap of
                # a few hundred MB takes tens of milliseconds).
                self.highest = 0
                self.trimmed = asyncio.get_running_loop().run_in_executor(
                    None, give_back_free_memory
                )


class _Holding:
    def __init__(self, budget: BodyBudget, sender: str) -> None:
        self.budget, self.sender, self.size = budget, sender, 0

    def take(self, size: int) -> None:
        budget = self.budget
        if budget.by_sender[self.sender] + size > budget.per_sender:
            error = RateLimited(
                "too many bodies from this sender are still arriving; retry when one is done"
            )
            error.retry_after = RETRY_AFTER
            raise error
        if budget.held + size > budget.total:
            raise Unavailable("the server is receiving too many bodies at once; retry shortly")
        budget.held += size
        budget.highest = max(budget.highest, budget.held)
        budget.by_sender[self.sender] += size
        self.size += size


def budget_of(request: Request) -> BodyBudget:
    """The app's budget, made on first use from its settings."""
    state = state_of(request)
    settings = state.settings
    return state.one(
        BodyBudget,
        lambda: BodyBudget(settings.max_buffered_bytes, settings.buffered_bytes_per_sender),
    )


async def read_limited(
    request: Request,
    limit: int,
    *,
    sender: str = "anyone",
    past: tuple[int, Callable[[], Awaitable[object]]] | None = None,
) -> bytes:
    """The body, within ``limit`` bytes and the budget. ``past=(size, wait)``: once ``size``
    bytes or more have arrived, ``wait()`` is awaited before any more is read (a large body of
    unknown length waits for its partner's turn in the parser pool holding ``size`` bytes, not
    all of them)."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"the body is {declared} bytes; the limit is {limit}")
    chunks: list[bytes] = []
    size = 0
    async with budget_of(request).hold(sender) as holding:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise PayloadTooLarge(f"the body is over the limit of {limit} bytes")
            holding.take(len(chunk))
            chunks.append(chunk)
            if past is not None and size >= past[0]:
                await past[1]()
                past = None
        raw = b"".join(chunks)
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding in ("", "identity"):
        return raw
    if encoding not in ("gzip", "deflate"):
        raise UnsupportedMediaType(f"Content-Encoding {encoding!r} is not supported")
    return _inflate(raw, encoding, limit)


async def discard_limited(request: Request, limit: int) -> None:
    """Read a body we will refuse anyway, within the same limit, holding none of it."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"the body is {declared} bytes; the limit is {limit}")
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"the body is over the limit of {limit} bytes")


def _inflate(raw: bytes, encoding: str, limit: int) -> bytes:
    wbits = 16 + zlib.MAX_WBITS if encoding == "gzip" else zlib.MAX_WBITS
    inflater = zlib.decompressobj(wbits)
    try:
        out = inflater.decompress(raw, limit + 1)
    except zlib.error as exc:
        raise Malformed(f"the {encoding} body cannot be decoded: {exc}") from exc
    if len(out) > limit or inflater.unconsumed_tail:
        raise PayloadTooLarge(f"the decoded body is over the limit of {limit} bytes")
    if not inflater.eof or inflater.unused_data:
        raise Malformed(f"the {encoding} body is truncated or has trailing bytes")
    return out
