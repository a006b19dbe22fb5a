"""Where a push is parsed, so that no document can stall the API for the others.

A small document (up to ``DATELINE_INLINE_PARSE_BYTES``, 128 KiB: almost every wire item) is
parsed in the request's own thread: the parsers are linear, so that costs milliseconds. A larger
one is parsed in a **pool of parser processes** (``DATELINE_PARSE_PROCESSES``, 2, at a lower CPU
priority than the API), so its CPU time never holds the API's interpreter, and

* **one partner has at most ``DATELINE_PARSES_PER_PARTNER`` (1) documents in the pool at once**;
  its other large pushes wait their turn (their bodies are already bounded by the body budget),
  so one partner saturating its share leaves the others' large pushes a free process;
* **a document has ``DATELINE_PARSE_CPU_SECONDS`` (10 s) of CPU time**; over it, the answer is
  a ``422 too_complex`` and nothing is stored. A process that gives no answer in 30 s + 6×
  that budget (a parser stuck in C code, where the CPU-time signal cannot reach it) is killed,
  with the same answer. A pool process that dies is replaced; its document's partner gets a
  ``503`` (``Retry-After``) and may send it again.

The pool's processes (services/ingest/processes.py) start with the first large document and end
after ``IDLE_SECONDS`` without one, so the memory a burst of large documents took is given back;
each is also replaced after 200 documents.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import Executor
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager, nullcontext
from contextvars import ContextVar

from fastapi import FastAPI, Request

from services.ingest.parser_process import Job, Refusal, TooComplex, run
from services.ingest.processes import ChildProcesses, ParserDied, ParserTimedOut
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

    def __init__(self, settings: Settings, executor: Executor | None = None) -> None:
        self.settings = settings
        self._in_flight = 0
        self._last_used = 0.0
        self._executor = executor
        self._own = executor is None  # a pool made here is closed here
        self._turns: defaultdict[int, asyncio.Semaphore] = defaultdict(
            lambda: asyncio.Semaphore(settings.parses_per_partner)
        )
        self.waiting: defaultdict[int, int] = defaultdict(int)  # for tests and metrics

    def inline(self, raw: bytes) -> bool:
        """Whether a body this size is parsed in the request's thread."""
        return len(raw) <= self.settings.inline_parse_bytes

    def _pool(self) -> Executor:
        if self._executor is None:
            self._executor = ChildProcesses(
                self.settings.parse_processes,
                # A backstop for a parser stuck in C, which the CPU-time signal cannot stop;
                # generous, for a process at a lower priority on a busy machine.
                answer_seconds=30 + 6 * self.settings.parse_cpu_seconds,
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
            if self._in_flight == 0 and not any(self.waiting.values()):
                # The last large document for now: the API's heap it took goes back.
                self._trim()

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

    def once_large(
        self, request: Request, partner_id: int, stack: AsyncExitStack
    ) -> tuple[int, Callable[[], Awaitable[object]]] | None:
        """For a body of unknown length (chunked): the size from which it may be one the pool
        will read, and what takes its partner's turn then, held in ``stack`` (bounded as in
        ``before_the_body``). None for a body whose length was declared.

        The size is half the inline limit: a chunked push waiting for the turn holds what it has
        read by then, and taking it at the first full 64 KiB read rather than past the limit (at
        192 KiB) leaves a partner's queue of waiting pushes a third of the bytes. A chunked
        body that ends between the two waits for its partner's turn without needing one; chunked
        wire items are rare, and such a wait lasts one large document."""
        if "content-length" in request.headers:
            return None
        patience = self.settings.read_timeout_seconds / 2

        def take_turn() -> Awaitable[object]:
            return stack.enter_async_context(self.turn(partner_id, patience=patience))

        return self.settings.inline_parse_bytes // 2, take_turn

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
        try:
            outcome = await loop.run_in_executor(self._pool(), run, job)
        except ParserTimedOut as exc:
            raise TooComplex(
                f"the document was not read within {exc.seconds:g} s",
                errors=[{"field": "", "message": "too complex to read in time"}],
            ) from exc
        except ParserDied as exc:  # its thread starts another process for the next document
            raise Unavailable("a parser process died; send the document again") from exc
        finally:
            self._in_flight -= 1
            self._last_used = loop.time()
            loop.call_later(self.idle_seconds, self._close_if_idle, loop)
        if isinstance(outcome, Refusal):
            raise outcome.error()
        return outcome

    def _close_if_idle(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._in_flight == 0 and loop.time() - self._last_used >= self.idle_seconds:
            self.close()
            self._trim()  # the burst of large documents is over: so is its heap

    def _trim(self) -> None:
        """``malloc_trim`` in a thread: on a fragmented heap of a few hundred MB it takes tens
        of milliseconds, which the event loop's other requests should not wait for."""
        asyncio.get_running_loop().run_in_executor(None, give_back_free_memory)

    @property
    def running(self) -> bool:
        """Whether the pool's processes are up."""
        return self._executor is not None

    def close(self) -> None:
        if self._own and self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None


def pool_of(app: FastAPI) -> ParsePool:
    """The app's parser pool, made on first use (its processes on the first large document)."""
    state = state_of(app)
    return state.one(ParsePool, lambda: ParsePool(state.settings))
