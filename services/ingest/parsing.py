"""Where a push is parsed, so that no document can stall the API for the others.

A small document (up to ``DATELINE_INLINE_PARSE_BYTES``, 128 KiB: almost every wire item) is
parsed in the request's own thread: the parsers are linear, so that costs milliseconds. A larger
one is parsed in a **pool of parser processes** (``DATELINE_PARSE_PROCESSES``, 2, at a lower CPU
priority than the API), so its CPU time never holds the API's interpreter, and

* **one partner has at most ``DATELINE_PARSES_PER_PARTNER`` (1) documents in the pool at once**;
  its other large pushes wait their turn (their bodies are already bounded by the body budget),
  so one partner saturating its share leaves the others' large pushes a free process;
* **a document has ``DATELINE_PARSE_CPU_SECONDS`` (10 s) of CPU time**; over it, the answer is
  a ``422 too_complex`` and nothing is stored. A pool process that dies is replaced; its
  document's partner gets a ``503`` (``Retry-After``) and may send it again.

The pool's processes start with the first large document and end after ``IDLE_SECONDS`` without
one, so the memory a burst of large documents took is given back.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from contextvars import ContextVar
from multiprocessing import get_context

from fastapi import FastAPI, Request

from services.ingest.parser_process import Job, Refusal, TooComplex, run, start
from services.ingest.state import state_of
from shared.core.errors import RateLimited, Unavailable
from shared.core.memory import give_back_free_memory
from shared.core.model import NormalisedItem
from shared.core.settings import Settings

__all__ = ["Job", "ParsePool", "TooComplex", "pool_of"]

IDLE_SECONDS = 30.0
# The partner whose turn this request holds (``ParsePool.turn``), if any.
_HELD: ContextVar[int | None] = ContextVar("dateline_parse_turn", default=None)


class ParsePool:
    idle_seconds = IDLE_SECONDS
    recycle_after = 200

    def __init__(self, settings: Settings, executor: Executor | None = None) -> None:
        self.settings = settings
        self._in_flight = 0
        self._read = 0  # documents the current pool has read
        self._last_used = 0.0
        self._executor = executor
        self._own = executor is None  # a pool made here is replaced when it breaks
        self._turns: defaultdict[int, asyncio.Semaphore] = defaultdict(
            lambda: asyncio.Semaphore(settings.parses_per_partner)
        )
        self.waiting: defaultdict[int, int] = defaultdict(int)  # for tests and metrics

    def inline(self, raw: bytes) -> bool:
        """Whether a body this size is parsed in the request's thread."""
        return len(raw) <= self.settings.inline_parse_bytes

    def _pool(self) -> Executor:
        if self._executor is None:
            self._executor = ProcessPoolExecutor(
                max_workers=self.settings.parse_processes,
                mp_context=get_context("spawn"),  # never fork a process that runs threads
                initializer=start,
                # Not max_tasks_per_child: on Python 3.11 to 3.15b3 a process that exits at its
                # limit may leave queued documents with no process to read them (CPython
                # gh-115634); a whole new pool every ``recycle_after`` documents, below, instead.
            )
        return self._executor

    @asynccontextmanager
    async def turn(self, partner_id: int, patience: float | None = None) -> AsyncIterator[None]:
        """Hold one of the partner's turns in the pool (``prepare`` within it takes no other).
        Raises ``RateLimited`` if none comes within ``patience`` seconds."""
        turn = self._turns[partner_id]
        self.waiting[partner_id] += 1
        try:
            await asyncio.wait_for(turn.acquire(), patience)
        except TimeoutError:
            error = RateLimited(
                "this partner's large documents are read a few at a time and the others are "
                "still waiting; retry when one is done"
            )
            error.retry_after = 5
            raise error from None
        finally:
            self.waiting[partner_id] -= 1
        held = _HELD.set(partner_id)
        try:
            yield
        finally:
            _HELD.reset(held)
            turn.release()

    def before_the_body(
        self, request: Request, partner_id: int
    ) -> AbstractAsyncContextManager[None]:
        """A push that declares a body the pool will read waits for its partner's turn before
        its body is read: a partner's large documents in waiting hold a connection each, not
        their bytes. The wait is bounded well within the read deadline (``RateLimited``
        after it). Any other push goes straight on."""
        declared = request.headers.get("content-length", "")
        if not (declared.isdigit() and int(declared) > self.settings.inline_parse_bytes):
            return nullcontext()
        return self.turn(partner_id, patience=self.settings.read_timeout_seconds / 2)

    async def prepare(self, job: Job, partner_id: int) -> list[NormalisedItem]:
        """Parse ``job`` in the pool, in the partner's turn; raises what ``prepare`` raises, or
        ``TooComplex``, or ``Unavailable`` if the pool process died."""
        if _HELD.get() == partner_id:
            return await self._run(job)
        async with self.turn(partner_id):
            return await self._run(job)

    async def _run(self, job: Job) -> list[NormalisedItem]:
        loop = asyncio.get_running_loop()
        self._in_flight += 1
        executor = self._pool()
        try:
            outcome = await loop.run_in_executor(executor, run, job)
        except BrokenProcessPool as exc:
            if executor is self._executor:  # not one a concurrent job has replaced already
                self._replace()
            raise Unavailable("a parser process died; send the document again") from exc
        finally:
            self._in_flight -= 1
            self._read += 1
            if self._read >= self.recycle_after and executor is self._executor:
                # What long use took is given back: the next document starts a new pool, and
                # this one ends once the documents it has are read.
                self._replace()
            self._last_used = loop.time()
            loop.call_later(self.idle_seconds, self._close_if_idle, loop)
        if isinstance(outcome, Refusal):
            raise outcome.error()
        return outcome

    def _close_if_idle(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._in_flight == 0 and loop.time() - self._last_used >= self.idle_seconds:
            self.close()
            give_back_free_memory()  # the burst of large documents is over: so is its heap

    @property
    def running(self) -> bool:
        """Whether the pool's processes are up."""
        return self._executor is not None

    def _replace(self) -> None:
        if self._own and self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=False)
            self._executor, self._read = None, 0

    def close(self) -> None:
        if self._own and self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor, self._read = None, 0


def pool_of(app: FastAPI) -> ParsePool:
    """The app's parser pool, made on first use (its processes on the first large document)."""
    state = state_of(app)
    return state.one(ParsePool, lambda: ParsePool(state.settings))
