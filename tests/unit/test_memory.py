"""Large buffers are returned to the system (shared/core/memory.py; Linux with glibc)."""

from __future__ import annotations

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
