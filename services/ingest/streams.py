"""The open ``GET /v1/stream`` connections of one API process, and the one poller that feeds them.

``admit`` gives a stream a slot, or refuses it with a ``429`` when its token already holds
``DATELINE_STREAMS_PER_TOKEN`` streams or the process serves ``DATELINE_MAX_STREAMS``.

However many streams are open, ONE task reads the change feed (``shared.db.changes.ChangeFeed``,
unfiltered) and hands each change to every stream whose filters it passes, through the stream's
own queue. It reads at most two positions of the feed: the *head*, where every live stream is,
polled every ``DATELINE_STREAM_POLL_SECONDS``; and, while a stream resumes from further back
(``Last-Event-ID``), a *catch-up* position that starts at the lowest mark such a stream needs and
reads on without pause until it reaches the head, where its streams join the others. So a stream
resuming from far back never holds up the live ones. Each stream takes only the changes above its
own mark, and only from a read that started at or below it: nothing is skipped or sent twice.

A stream whose client reads too slowly to keep ``QUEUE_LIMIT`` changes in hand is given no more
(its mark stays at the last change it was given) and ends; the client comes back with
``Last-Event-ID`` and catches up from there.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections import Counter
from dataclasses import dataclass, field

import anyio
from fastapi import FastAPI
from sqlalchemy import Engine

from services.ingest.state import state_of
from shared.core.errors import RateLimited
from shared.core.settings import Settings
from shared.db import changes

logger = logging.getLogger(__name__)

QUEUE_LIMIT = 2 * changes.BATCH  # changes waiting for one slow client before its stream ends
RETRY_AFTER = 5  # seconds a refused stream is told to wait

_hubs: weakref.WeakSet[StreamHub] = weakref.WeakSet()


@dataclass(eq=False)
class Stream:
    """One open stream: its filters, how far it has been sent, and the changes waiting for it."""

    key_id: str
    filters: changes.Filters
    mark: int | None = None  # the highest version id given (or resumed after); None: not started
    queue: asyncio.Queue[changes.Change] = field(default_factory=lambda: asyncio.Queue(QUEUE_LIMIT))
    overflowed: bool = False  # too far behind: given nothing more, ends once its queue is sent


class StreamHub:
    """The streams of one app (one API process) and their shared change poller."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine = engine
        self.settings = settings
        self.streams: set[Stream] = set()
        self.polls = 0  # change feed polls so far (one poller, however many streams)
        self._per_token: Counter[str] = Counter()
        self._head: changes.ChangeFeed | None = None  # where the live streams are
        self._behind_feed: changes.ChangeFeed | None = None  # for streams resuming from back
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        _hubs.add(self)

    @property
    def polling(self) -> bool:
        """Whether the poller runs (it does while a stream is open)."""
        return self._task is not None

    def admit(self, key_id: str, filters: changes.Filters) -> Stream:
        """A slot for a new stream of ``key_id``; ``RateLimited`` (429) over either cap."""
        if self._per_token[key_id] >= self.settings.streams_per_token:
            raise _refused(
                f"this token already has {self.settings.streams_per_token} open streams, "
                "the most one token may hold"
            )
        if len(self.streams) >= self.settings.max_streams:
            raise _refused(f"the server already serves {self.settings.max_streams} streams")
        stream = Stream(key_id, filters)
        self.streams.add(stream)
        self._per_token[key_id] += 1
        return stream

    def start(self, stream: Stream, mark: int) -> None:
        """Feed ``stream`` every change above ``mark`` from now on."""
        if stream not in self.streams:
            return  # already gone
        stream.mark = mark
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())
        self._wake.set()

    def release(self, stream: Stream) -> None:
        """Free the stream's slot (idempotent)."""
        if stream in self.streams:
            self.streams.discard(stream)
            self._per_token[stream.key_id] -= 1
            if self._per_token[stream.key_id] <= 0:
                del self._per_token[stream.key_id]
            self._wake.set()

    def _active(self) -> list[Stream]:
        return [s for s in self.streams if s.mark is not None and not s.overflowed]

    def _behind(self) -> list[Stream]:
        """The active streams below the head: the catch-up position serves them."""
        head = self._head
        if head is None:
            return []
        return [s for s in self._active() if s.mark is not None and s.mark < head.mark]

    async def _run(self) -> None:
        tick = self.settings.stream_poll_seconds
        head_due = 0.0
        try:
            while self._active():
                self._wake.clear()  # streams that start or end from here on wake the sleep below
                busy = False
                try:
                    if time.monotonic() >= head_due or (self._head and self._head.behind):
                        head_due = time.monotonic() + tick
                        busy = await self._read_head()
                    busy = await self._catch_up() or busy
                except Exception:  # a bug must not leave every stream unfed
                    logger.exception("stream poller step failed")
                    busy = False
                if busy:
                    continue
                # Sleep until the next tick, or until a stream starts (it may need the catch-up
                # position now) or the last one ends.
                with anyio.move_on_after(max(0.0, head_due - time.monotonic())):
                    await self._wake.wait()
        finally:
            self._task = None
            self._head = self._behind_feed = None

    async def _read_head(self) -> bool:
        """One poll at the head; True when it stopped a full step short (read on at once)."""
        active = self._active()
        if self._head is None:
            start = max(s.mark for s in active if s.mark is not None)
            self._head = self._feed(start)
        head = self._head
        low = head.mark
        found = await self._poll(head)
        if found is None:
            return False
        self._hand_out(found, low, head.mark, active)
        return head.behind

    async def _catch_up(self) -> bool:
        """One step of the catch-up position, for the streams below the head; True when it
        moved on and streams are still behind (read on at once)."""
        behind, head = self._behind(), self._head
        if not behind or head is None:
            self._behind_feed = None
            return False
        lowest = min(s.mark for s in behind if s.mark is not None)
        feed = self._behind_feed or self._feed(lowest)
        feed.rewind(lowest, settled=head.mark)  # what the head passed is not waited for again
        self._behind_feed = feed
        low = feed.mark
        found = await self._poll(feed)
        if found is None:
            return False
        self._hand_out(found, low, feed.mark, behind)
        if feed.mark >= head.mark:
            self._behind_feed = None  # its streams are at the head now
            return False
        return feed.mark > low  # (one waiting for a missing id tries again next tick)

    def _feed(self, mark: int) -> changes.ChangeFeed:
        return changes.ChangeFeed(
            self.engine,
            changes.Filters(include_duplicates=True),
            mark,
            gap_seconds=self.settings.stream_gap_seconds,
        )

    async def _poll(self, feed: changes.ChangeFeed) -> list[changes.Change] | None:
        """One poll of a feed; None when it failed."""
        self.polls += 1
        try:
            return await anyio.to_thread.run_sync(feed.poll)
        except Exception:
            # The database is away (or a poll failed): the streams stay open, heartbeats go on,
            # and the next tick tries again from the same mark.
            logger.warning("stream poll failed", exc_info=True)
            return None

    @staticmethod
    def _hand_out(found: list[changes.Change], low: int, high: int, streams: list[Stream]) -> None:
        """Give each stream the changes above its mark that pass its filters. A read of
        ``(low, high]`` serves only the streams at ``low`` or above (the others wait for a read
        from their own mark); each is then at ``high``."""
        for stream in streams:
            if stream.mark is None or stream.mark < low or stream.overflowed:
                continue
            for change in found:
                if change.version_id <= stream.mark or not stream.filters.matches(change):
                    continue
                try:
                    stream.queue.put_nowait(change)
                except asyncio.QueueFull:
                    stream.overflowed = True
                    break
                stream.mark = change.version_id
            if not stream.overflowed:
                stream.mark = max(stream.mark, high)


def _refused(detail: str) -> RateLimited:
    error = RateLimited(detail)
    error.retry_after = RETRY_AFTER
    return error


def hub_of(app: FastAPI) -> StreamHub:
    """The app's stream hub, made on first use (inside the app's event loop)."""
    state = state_of(app)
    return state.one(StreamHub, lambda: StreamHub(state.engine, state.settings))


def open_streams() -> int:
    """How many streams this process is serving now, over every app."""
    return sum(len(hub.streams) for hub in list(_hubs))
