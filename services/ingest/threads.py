"""The push path's trips to a thread.

FastAPI's ``run_in_threadpool`` (anyio) costs a push more CPU than its insert: a condition
variable, a cancel scope and context copies per call. The push path sends its blocking work to a
plain ``ThreadPoolExecutor`` (a C queue) instead, under the same capacity limiter as FastAPI's
threads (sized to ``DATELINE_API_THREADS`` by the edge), so the two together never run more
threads than the database pool keeps connections for.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import anyio.to_thread
from starlette.requests import Request

from services.ingest.state import state_of

T = TypeVar("T")


class PushThreads(ThreadPoolExecutor):
    pass


async def in_thread(request: Request, func: Callable[..., T], *args: object) -> T:
    """``func(*args)`` in one of the app's push threads; the caller waits for it to finish."""
    state = state_of(request)
    threads = state.one(
        PushThreads,
        lambda: PushThreads(state.settings.api_threads, thread_name_prefix="dateline-push"),
    )
    async with anyio.to_thread.current_default_thread_limiter():
        return await asyncio.get_running_loop().run_in_executor(threads, func, *args)
