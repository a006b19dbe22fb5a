"""PostgreSQL on the event loop, for the push path's insert (services/ingest/intake.py).

A push handed to a thread pays for the hand-offs between the loop's thread and the worker
thread (the GIL passed back and forth, a future, a wake-up) in every step under load; a small
push is checked on the loop and its one insert is sent from there too. ``LoopPool`` keeps a few
autocommit ``psycopg.AsyncConnection``s for it, made on first use inside the running loop. A
database that cannot be reached fails within ``CONNECT_TIMEOUT`` seconds with psycopg's
``OperationalError`` (a ``503``, services/ingest/problems.py); a connection that broke, or was
left mid-statement by a cancelled request, is closed rather than kept, and a failure to reach
the database drops the idle ones too (after a restart they are all stale).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Any

import psycopg
from psycopg import AsyncConnection
from psycopg.pq import TransactionStatus
from sqlalchemy import Engine

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
