"""PostgreSQL on the event loop, for the push path's insert (services/ingest/intake.py).

A push handed to a thread pays for the hand-offs between the loop's thread and the worker
thread (the GIL passed back and forth, a future, a wake-up) in every step under load; a small
push is checked on the loop and its one insert is sent from there too. ``LoopPool`` keeps a few
autocommit ``psycopg.AsyncConnection``s for it, made on first use inside the running loop. A
database that cannot be reached fails within ``CONNECT_TIMEOUT`` seconds with psycopg's
``OperationalError`` (a ``503``, services/ingest/problems.py); a connection that broke, or was
left mid-statement by a cancelled request, is closed rather than kept, and a failure to reach
the database drops the idle ones too (after a restart they are all stale).

``LoopInserts`` sends those inserts: at most two statements at once per process, and the pushes
that arrive while both are on their way go together in the next (``submissions.
insert_guarded_many``: one round trip and one commit for the group, each row with its own guard).
At a low rate that is one push per statement, with no added wait; under load it is what lets one
API process accept more pushes than the database could commit one at a time.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import AsyncConnection
from psycopg.pq import TransactionStatus
from sqlalchemy import Engine

from shared.core.errors import Unavailable
from shared.db.credentials import Guard
from shared.db.submissions import NewRow, insert_guarded_many

CONNECT_TIMEOUT = 5


class LoopPool:
    """At most ``size`` connections at once; idle ones are kept for the next push."""

    def __init__(self, engine: Engine, size: int) -> None:
        _, params = engine.dialect.create_connect_args(engine.url)
        self._params = dict(params)  # the engine's own, adapters included
        self._size = size
        self._idle: list[AsyncConnection[Any]] = []
        self._slots: asyncio.Semaphore | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[AsyncConnection[Any]]:
        loop = asyncio.get_running_loop()
        if self._slots is None or self._loop is not loop:  # connections belong to one loop
            self._slots, self._loop, self._idle = asyncio.Semaphore(self._size), loop, []
        slots = self._slots
        async with slots:
            conn = self._idle.pop() if self._idle else await self._connect()
            try:
                yield conn
            except psycopg.OperationalError:
                await self._drop(conn, *self._idle)
                self._idle.clear()
                raise
            except BaseException:
                if _reusable(conn):
                    self._idle.append(conn)
                else:
                    await self._drop(conn)
                raise
            if _reusable(conn):
                self._idle.append(conn)
            else:
                await self._drop(conn)

    async def close(self) -> None:
        """Close the idle connections (the server is stopping; its loop closes next)."""
        idle, self._idle = self._idle, []
        await self._drop(*idle)

    async def _connect(self) -> AsyncConnection[Any]:
        return await AsyncConnection.connect(
            autocommit=True, connect_timeout=CONNECT_TIMEOUT, **self._params
        )

    @staticmethod
    async def _drop(*conns: AsyncConnection[Any]) -> None:
        for conn in conns:
            with suppress(Exception):  # a connection already gone needs no goodbye
                await conn.close()


def _reusable(conn: AsyncConnection[Any]) -> bool:
    return not conn.closed and conn.info.transaction_status == TransactionStatus.IDLE


class LoopInserts:
    """Pushes' guarded inserts, grouped: a push whose insert finds ``flushes`` statements already
    on their way waits for the next one, which carries every insert that waited (up to ``rows``)
    as one statement and one commit. At a low rate each insert goes at once, alone; under load
    the database does one round trip and one commit for many pushes, not one each."""

    def __init__(self, pool: LoopPool, flushes: int = 2, rows: int = 64) -> None:
        self._pool = pool
        self._flushes = flushes
        self._rows = rows
        self._now: _Queue | None = None

    async def insert(self, row: NewRow, guard: Guard) -> bool:
        """Whether ``row`` was made (see ``submissions.insert_guarded_many``)."""
        loop = asyncio.get_running_loop()
        if self._now is None or self._now.loop is not loop:  # a queue belongs to one loop
            self._now = _Queue(loop)
        queue = self._now
        made: asyncio.Future[bool] = loop.create_future()
        queue.waiting.append((row, guard, made))
        if queue.running < self._flushes:
            queue.running += 1
            task = loop.create_task(self._drain(queue))
            queue.tasks.add(task)  # kept until done: the loop holds tasks only weakly
            task.add_done_callback(queue.tasks.discard)
        return await made

    async def _drain(self, queue: _Queue) -> None:
        try:
            while queue.waiting:
                group, queue.waiting = queue.waiting[: self._rows], queue.waiting[self._rows :]
                live = [entry for entry in group if not entry[2].done()]
                try:
                    await self._flush(live)
                finally:  # never leave a push waiting, whatever stopped the statement
                    for _, _, future in live:
                        _settle(future, exception=Unavailable("the insert did not finish"))
        finally:
            queue.running -= 1

    async def _flush(self, group: list[Waiting]) -> None:
        if not group:
            return
        try:
            async with self._pool.connection() as conn:
                made = await insert_guarded_many(conn, [(row, guard) for row, guard, _ in group])
        except psycopg.OperationalError as exc:  # the database is unreachable: every push hears
            for _, _, future in group:
                _settle(future, exception=exc)
        except Exception as exc:
            if len(group) == 1:
                _settle(group[0][2], exception=exc)
            else:  # one row the database refused must not fail the others: each alone
                for entry in group:
                    if not entry[2].done():
                        await self._flush([entry])
        else:
            for row, _, future in group:
                _settle(future, result=row.id in made)


Waiting = tuple[NewRow, Guard, "asyncio.Future[bool]"]


@dataclass
class _Queue:
    """The inserts waiting on one event loop, and the statements on their way there."""

    loop: asyncio.AbstractEventLoop
    waiting: list[Waiting] = field(default_factory=list)
    running: int = 0
    tasks: set[asyncio.Task[None]] = field(default_factory=set)


def _settle(
    future: asyncio.Future[bool], result: bool = False, exception: BaseException | None = None
) -> None:
    if future.done():  # its push was cancelled (the client went away) meanwhile
        return
    if exception is not None:
        future.set_exception(exception)
    else:
        future.set_result(result)
