"""Large buffers are returned to the system (shared/core/memory.py; Linux with glibc), and when."""

from __future__ import annotations

import asyncio

import pytest

from services.ingest import body
from shared.core.memory import give_back_free_memory, return_large_buffers


def test_glibc_takes_the_fixed_threshold() -> None:
    assert return_large_buffers()
    assert return_large_buffers()  # idempotent: every process start calls it


def _rss_mb() -> int:
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("VmRSS"))
    return int(line.split()[1]) // 1024


def test_free_pages_inside_a_fragmented_heap_go_back() -> None:
    blocks = [bytes(4000) + bytes([n % 256]) for n in range(20_000)]  # 80 MB from malloc
    kept = [*blocks[::16], bytes(4000)]  # one block in 16 stays, and one at the heap's top
    del blocks
    held = _rss_mb()
    assert give_back_free_memory()
    assert _rss_mb() < held - 40  # about 75 MB of the 80 were free pages between kept blocks
    assert len(kept) == 1251


def test_the_heap_is_trimmed_once_a_burst_of_bodies_is_over(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """services/ingest/body.py: many bodies held at once, then none: one trim; ordinary traffic
    (a few small bodies at a time) never trims."""
    trims: list[int] = []
    monkeypatch.setattr(body, "give_back_free_memory", lambda: trims.append(1))
    budget = body.BodyBudget(total=64 * 2**20, per_sender=32 * 2**20)

    async def scenario() -> None:
        for _ in range(1000):  # small pushes, one after another
            async with budget.hold("a") as holding:
                holding.take(4096)
        assert trims == []
        async with budget.hold("a") as first, budget.hold("b") as second:
            first.take(5 * 2**20)
            second.take(5 * 2**20)
            async with budget.hold("c") as third:
                third.take(1)
            assert trims == []  # not while bodies are still held
        assert budget.trimmed is not None and budget.held == 0
        await budget.trimmed  # in a thread
        assert trims == [1]
        async with budget.hold("a") as holding:
            holding.take(4096)
        assert trims == [1]  # once per burst

    asyncio.run(scenario())
