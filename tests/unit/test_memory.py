"""Large buffers are returned to the system (shared/core/memory.py; Linux with glibc)."""

from __future__ import annotations

from shared.core.memory import return_large_buffers


def test_glibc_takes_the_fixed_threshold() -> None:
    assert return_large_buffers()
    assert return_large_buffers()  # idempotent: every process start calls it
