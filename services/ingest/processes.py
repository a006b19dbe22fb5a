"""A small pool of child processes for the parser pool (services/ingest/parsing.py).

Why not ``concurrent.futures.ProcessPoolExecutor``: its queues are ``multiprocessing`` queues,
whose named semaphores start multiprocessing's resource tracker, a third Python process that
stays for the API's whole life (7 MB PSS); and each of its processes loads ``multiprocessing``
and ``concurrent.futures`` (3.6 MB) to read its queue. Here each child is a plain
``python -c`` with two pipes, so a burst of large documents adds the readers and their
documents, and nothing else (``bench/stalls.py``: see docs/performance.md). It also gives what
the standard pool lacks for this use: a child that does not answer within ``answer_seconds``
(a parser stuck in C, where the CPU-time signal cannot reach it) is killed.

One thread per child feeds it: a call is pickled to the child's job pipe (``fn`` by reference,
so any importable function), and its outcome, a value or the exception it raised, comes back
on the answer pipe. A child starts with the first call that finds no idle one, and ends when
the pool shuts down (after the calls it holds) or when it dies (its call raises
``ParserDied``; the next call starts another).
"""

from __future__ import annotations

import contextlib
import os
import pickle
import queue
import select
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_SIZE = struct.Struct("!Q")
_CHUNK = 1024 * 1024
_PROJECT = str(Path(__file__).resolve().parents[2])  # where `services` and `shared` import from
_CHILD = "from services.ingest.parser_process import serve; serve({jobs}, {answers})"


class ParserDied(Exception):
    """The child process ended (or was killed) before it answered."""


class ParserTimedOut(ParserDied):
    """The child did not answer within ``seconds`` and was killed."""

    def __init__(self, message: str, seconds: float) -> None:
        super().__init__(message)
        self.seconds = seconds


@dataclass(slots=True)
class _Call:
    future: Future[Any]
    fn: Callable[..., Any]
    args: tuple[Any, ...]
    kwargs: dict[str, Any] = field(default_factory=dict)


class _NotSent(ParserDied):
    """The child had ended before any of the call reached it (another child may take it)."""


class _Child:
    """One child process and its two pipes, both used without blocking, under a deadline."""

    def __init__(self) -> None:
        self.calls = 0
        jobs_in, self._jobs = os.pipe()
        self._answers, answers_out = os.pipe()
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [_PROJECT, env.get("PYTHONPATH")]))
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-c", _CHILD.format(jobs=jobs_in, answers=answers_out)],
                pass_fds=(jobs_in, answers_out),
                stdin=subprocess.DEVNULL,
                env=env,
            )
        except BaseException:
            self._close()
            raise
        finally:
            os.close(jobs_in)
            os.close(answers_out)
        os.set_blocking(self._jobs, False)
        os.set_blocking(self._answers, False)

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def ended(self) -> bool:
        return self.process.poll() is not None

    def call(self, call: _Call, answer_seconds: float) -> Any:
        """Run ``call`` in the child; its value, or raise what it raised (or ``ParserDied``:
        ``ParserTimedOut`` if the child has not answered within ``answer_seconds``)."""
        deadline = time.monotonic() + answer_seconds
        data = pickle.dumps((call.fn, call.args, call.kwargs), protocol=pickle.HIGHEST_PROTOCOL)
        self._send(memoryview(_SIZE.pack(len(data)) + data), deadline, answer_seconds)
        del data
        head = self._receive(_SIZE.size, deadline, answer_seconds)
        answer = self._receive(_SIZE.unpack(head)[0], deadline, answer_seconds)
        try:
            ok, value = pickle.loads(answer)
        except Exception as exc:  # a garbled answer: the child is not sound
            raise ParserDied(f"parser process {self.pid} sent an unreadable answer") from exc
        if ok:
            return value
        raise value

    def _send(self, job: memoryview, deadline: float, answer_seconds: float) -> None:
        sent = 0
        while sent < len(job):  # a stopped child reads nothing: the deadline covers this too
            self._wait(select.POLLOUT, self._jobs, deadline, answer_seconds)
            try:
                sent += os.write(self._jobs, job[sent : sent + _CHUNK])
            except BlockingIOError:
                continue
            except OSError as exc:  # a broken pipe: the child is gone
                kind = _NotSent if sent == 0 else ParserDied
                raise kind(f"parser process {self.pid} ended") from exc

    def _receive(self, size: int, deadline: float, answer_seconds: float) -> bytes:
        chunks, left = [], size
        while left:
            self._wait(select.POLLIN, self._answers, deadline, answer_seconds)
            try:
                chunk = os.read(self._answers, min(left, _CHUNK))
            except BlockingIOError:
                continue
            if not chunk:  # the pipe closed: the child ended, perhaps mid-answer
                raise ParserDied(f"parser process {self.pid} ended (code {self.process.poll()})")
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)

    def _wait(self, event: int, fd: int, deadline: float, answer_seconds: float) -> None:
        """Until ``fd`` is ready (or its other end closed); past ``deadline`` the child is
        killed. ``poll``, not ``select``: an API with a thousand connections has pipes whose
        descriptors ``select`` cannot take."""
        poller = select.poll()
        poller.register(fd, event)
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                self.process.kill()
                raise ParserTimedOut(
                    f"parser process {self.pid} gave no answer in {answer_seconds:g} s",
                    answer_seconds,
                )
            if poller.poll(min(left, 1.0) * 1000):
                return

    def end(self) -> None:
        """Close its job pipe (the child finishes and exits) and wait for it; kill a straggler."""
        self._close()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def _close(self) -> None:
        for fd in (self._jobs, self._answers):
            with contextlib.suppress(OSError):
                os.close(fd)


class ChildProcesses(Executor):
    """At most ``processes`` children, each fed by its own thread from one queue of calls."""

    def __init__(
        self, processes: int, answer_seconds: float = 300.0, calls_per_child: int = 200
    ) -> None:
        self.processes = processes
        self.answer_seconds = answer_seconds
        self.calls_per_child = calls_per_child
        self._calls: queue.SimpleQueue[_Call | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._idle = 0
        self._children: dict[int, _Child] = {}
        self._shut = False

    @property
    def pids(self) -> list[int]:
        """The children's process ids (for tests and metrics)."""
        with self._lock:
            return list(self._children)

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        with self._lock:
            if self._shut:
                raise RuntimeError("cannot schedule new calls after shutdown")
            self._calls.put(_Call(future, fn, args, kwargs))
            # _idle: threads waiting for a call, less calls waiting for a thread
            if self._idle <= 0 and len(self._threads) < self.processes:
                thread = threading.Thread(
                    target=self._feed, name=f"parser-{len(self._threads)}", daemon=True
                )
                self._threads.append(thread)
                thread.start()
            else:
                self._idle -= 1
        return future

    def _feed(self) -> None:
        """One thread's life: take calls, and run each in this thread's child."""
        child: _Child | None = None
        try:
            while (call := self._calls.get()) is not None:
                child = self._run(call, child)
                with self._lock:
                    self._idle += 1
        finally:
            if child is not None:
                self._forget(child)
                child.end()

    def _run(self, call: _Call, child: _Child | None) -> _Child | None:
        if not call.future.set_running_or_notify_cancel():
            return child
        try:
            if child is not None and child.ended:  # it died while idle (the OOM killer…)
                self._end(child)
                child = None
            if child is None:
                child = self._start()
            child.calls += 1
            try:
                outcome = child.call(call, self.answer_seconds)
            except _NotSent:  # it died since: the call goes to a new one instead
                self._end(child)
                child = None  # ended: not ended again below if no new one starts
                child = self._start()
                child.calls += 1
                outcome = child.call(call, self.answer_seconds)
        except ParserDied as exc:
            if child is not None:
                self._end(child)  # reaped before its call is answered
            call.future.set_exception(exc)
            return None
        except BaseException as exc:  # what the call raised in the child
            call.future.set_exception(exc)
        else:
            call.future.set_result(outcome)
        if child is not None and child.calls >= self.calls_per_child:
            # What long use took is given back: the next call starts a fresh child.
            self._end(child)
            return None
        return child

    def _end(self, child: _Child) -> None:
        self._forget(child)
        child.end()

    def _start(self) -> _Child:
        try:
            child = _Child()
        except OSError as exc:  # no process could be made (limits, memory)
            raise ParserDied(f"no parser process could be started: {exc}") from exc
        with self._lock:
            self._children[child.pid] = child
        return child

    def _forget(self, child: _Child) -> None:
        with self._lock:
            self._children.pop(child.pid, None)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """No new calls; the queued ones are run (or cancelled), then the children end."""
        with self._lock:
            self._shut = True
            threads = list(self._threads)
        if cancel_futures:
            while True:
                try:
                    call = self._calls.get_nowait()
                except queue.Empty:
                    break
                if call is not None:
                    call.future.cancel()
        for _ in threads:
            self._calls.put(None)
        if wait:
            for thread in threads:
                thread.join()
