"""The parser pool's processes (services/ingest/processes.py), with real child processes."""

from __future__ import annotations

import operator
import os
import resource
import signal
import time
from concurrent.futures import CancelledError
from pathlib import Path

import pytest

from services.ingest.processes import ChildProcesses, ParserDied, ParserTimedOut
from tests.support import PATIENCE


def test_calls_run_in_a_child_and_their_values_and_errors_come_back() -> None:
    pool = ChildProcesses(1)
    try:
        assert pool.submit(operator.add, 2, 3).result(PATIENCE) == 5
        assert pool.submit(os.getpid).result(PATIENCE) == pool.pids[0] != os.getpid()
        with pytest.raises(ZeroDivisionError):
            pool.submit(operator.truediv, 1, 0).result(PATIENCE)
        # An outcome that does not pickle is an error, and the child goes on.
        with pytest.raises(RuntimeError, match="lock"):
            pool.submit(eval, "__import__('threading').Lock()").result(PATIENCE)
        assert pool.submit(operator.mul, 6, 7).result(PATIENCE) == 42
        assert len(pool.pids) == 1
    finally:
        pool.shutdown()


def test_a_second_child_starts_only_when_the_first_is_busy() -> None:
    """Sequential documents are read by one process: a burst's memory, not the pool's size."""
    pool = ChildProcesses(2)
    try:
        for n in range(5):
            assert pool.submit(operator.neg, n).result(PATIENCE) == -n
        assert len(pool.pids) == 1
        busy = [pool.submit(eval, "__import__('time').sleep(0.3) or 1") for _ in range(2)]
        assert [call.result(PATIENCE) for call in busy] == [1, 1]
        assert len(pool.pids) == 2  # two at once: two processes
    finally:
        pool.shutdown()


def test_shutdown_runs_or_cancels_what_is_queued_and_the_children_end(tmp_path: Path) -> None:
    pool = ChildProcesses(1)
    fifo = tmp_path / "hold"
    os.mkfifo(fifo)
    first = pool.submit(eval, f"open({str(fifo)!r}).read()")  # held until the fifo is written
    queued = pool.submit(operator.neg, 1)
    (pid,) = _wait_for_pids(pool)  # its thread has taken the first call
    pool.shutdown(wait=False, cancel_futures=True)
    with pytest.raises(CancelledError):
        queued.result(PATIENCE)
    with pytest.raises(RuntimeError):
        pool.submit(operator.neg, 2)
    fifo.write_text("first")
    assert first.result(PATIENCE) == "first"  # the call in its child is answered
    pool.shutdown(wait=True)
    assert pool.pids == [] and not os.path.exists(f"/proc/{pid}")  # ended and reaped


def _wait_for_pids(pool: ChildProcesses) -> list[int]:
    deadline = time.monotonic() + PATIENCE
    while not pool.pids:
        assert time.monotonic() < deadline, "no child started"
        time.sleep(0.01)
    return pool.pids


def test_a_child_that_reads_nothing_is_killed_at_its_deadline_even_while_sent_a_large_call() -> (
    None
):
    pool = ChildProcesses(1)
    try:
        stuck = pool.submit(os.getpid).result(PATIENCE)
        pool.answer_seconds = 0.5
        os.kill(stuck, signal.SIGSTOP)  # reads nothing: 4 MB do not fit in the pipe
        with pytest.raises(ParserTimedOut):
            pool.submit(len, b"x" * (4 * 2**20)).result(PATIENCE)
        assert not os.path.exists(f"/proc/{stuck}")  # killed and reaped
        pool.answer_seconds = PATIENCE
        assert pool.submit(len, b"abc").result(PATIENCE) == 3  # by a new child
    finally:
        pool.shutdown()


def test_a_child_that_dies_during_a_call_costs_that_call_and_is_replaced() -> None:
    pool = ChildProcesses(1)
    try:
        first = pool.submit(os.getpid).result(PATIENCE)
        with pytest.raises(ParserDied):
            pool.submit(eval, "__import__('os').kill(__import__('os').getpid(), 9)").result(
                PATIENCE
            )
        assert not os.path.exists(f"/proc/{first}")  # reaped
        assert pool.submit(os.getpid).result(PATIENCE) not in (first, os.getpid())
    finally:
        pool.shutdown()


def test_a_child_that_dies_mid_answer_is_not_taken_at_its_word() -> None:
    """Half an answer (the child died while writing it) is the child's death, not the call's
    error: ``ParserDied``, and a new child for the next call."""
    pool = ChildProcesses(1)
    half = (
        "[os := __import__('os'),"
        " fd := int(open('/proc/self/cmdline').read().rpartition(',')[2].split(')')[0]),"
        " os.write(fd, (100).to_bytes(8, 'big') + b'abc'), os._exit(0)]"
    )
    try:
        first = pool.submit(os.getpid).result(PATIENCE)
        with pytest.raises(ParserDied):
            pool.submit(eval, half).result(PATIENCE)
        assert pool.submit(os.getpid).result(PATIENCE) != first
    finally:
        pool.shutdown()


def test_children_work_when_the_api_has_over_a_thousand_descriptors_open() -> None:
    """``select`` cannot take a descriptor over 1023: an API with many connections has them."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, 4096)), hard))
    assert resource.getrlimit(resource.RLIMIT_NOFILE)[0] > 1200, "too few descriptors here"
    held = [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]
    pool = ChildProcesses(1)
    try:
        assert pool.submit(operator.add, 1, 2).result(PATIENCE) == 3
        assert pool.submit(operator.add, 3, 4).result(PATIENCE) == 7
    finally:
        pool.shutdown()
        for fd in held:
            os.close(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
