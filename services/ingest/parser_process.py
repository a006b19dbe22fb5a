"""What runs in a parser process (services/ingest/parsing.py's pool): a document's parse and
normalise within its CPU-time budget.

Kept apart from the pool so that a parser process imports only the readers (about 30 MB) and
not the API it serves (FastAPI, SQLAlchemy, the routes: as much again): the pool's processes are
what a burst of large documents adds to the API's memory.
"""

from __future__ import annotations

import os
import signal
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.core.errors import DatelineError, Invalid
from shared.core.memory import give_back_free_memory, return_large_buffers
from shared.core.model import NormalisedItem, Profile


@dataclass(frozen=True, slots=True)
class Job:
    """What a pool process needs to parse one document (all of it picklable)."""

    raw: bytes
    content_type: str | None
    namespace: str
    profile: Profile
    received_at: datetime
    max_items: int
    max_body_bytes: int
    cpu_seconds: float


class TooComplex(Invalid):
    """A document that takes more CPU time to read than ``DATELINE_PARSE_CPU_SECONDS``."""

    code = "too_complex"
    title = "Too complex"


@dataclass(frozen=True, slots=True)
class Refusal:
    """A ``DatelineError`` carried back from a pool process (exceptions with keyword arguments
    do not survive pickling; their class, detail and entries do)."""

    kind: type[DatelineError]
    detail: str
    errors: list[dict[str, Any]]

    def error(self) -> DatelineError:
        return self.kind(self.detail, errors=self.errors)


class _OutOfTime(Exception):
    pass


def start() -> None:
    """A parser process's start: below the API's CPU priority (its own work and PostgreSQL's
    first), and giving a large document's buffers back once it is read."""
    os.nice(5)
    return_large_buffers()


def _out_of_time(signum: int, frame: object) -> None:
    raise _OutOfTime


def run(job: Job) -> list[NormalisedItem] | Refusal:
    """Parse and normalise ``job`` within its CPU-time budget (an interval timer on this
    process's CPU time, which interrupts the parser between two Python steps)."""
    from shared.reading.prepare import prepare

    timed = threading.current_thread() is threading.main_thread()  # a pool process: always
    if timed:
        signal.signal(signal.SIGVTALRM, _out_of_time)
        signal.setitimer(signal.ITIMER_VIRTUAL, job.cpu_seconds)
    try:
        return prepare(
            job.raw,
            job.content_type,
            namespace=job.namespace,
            profile=job.profile,
            received_at=job.received_at,
            max_items=job.max_items,
            max_body_bytes=job.max_body_bytes,
        )
    except _OutOfTime:
        error: DatelineError = TooComplex(
            f"the document took over {job.cpu_seconds:g} s of CPU time to read",
            errors=[{"field": "", "message": "too complex to read in time"}],
        )
        return Refusal(type(error), error.detail, error.errors)
    except DatelineError as exc:
        return Refusal(type(exc), exc.detail, exc.errors)
    finally:
        if timed:
            signal.setitimer(signal.ITIMER_VIRTUAL, 0)


def serve(jobs_fd: int, answers_fd: int) -> None:
    """A parser process's life (services/ingest/processes.py starts it): read a call from the
    job pipe, answer its outcome on the answer pipe, until the job pipe closes."""
    import pickle
    import struct

    size = struct.Struct("!Q")
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a terminal's Ctrl-C is the API's to handle
    start()
    with os.fdopen(jobs_fd, "rb") as jobs, os.fdopen(answers_fd, "wb") as answers:
        while len(head := jobs.read(size.size)) == size.size:
            fn, args, kwargs = pickle.loads(jobs.read(size.unpack(head)[0]))
            try:
                outcome: tuple[bool, Any] = (True, fn(*args, **kwargs))
            except Exception as exc:  # carried back and raised in the API
                outcome = (False, exc)
            del fn, args, kwargs
            try:
                data = pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL)
                if not outcome[0]:
                    pickle.loads(data)  # an exception that pickles may still not unpickle
            except Exception as exc:  # an outcome that does not travel
                data = pickle.dumps((False, RuntimeError(f"{outcome[1]!r}: {exc}")))
            del outcome
            try:
                answers.write(size.pack(len(data)))
                answers.write(data)
                answers.flush()
            except BrokenPipeError:
                return  # the API is gone
            del data
            give_back_free_memory()  # a large document's tree, freed but fragmented: a few ms
