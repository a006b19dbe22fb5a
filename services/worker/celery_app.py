"""The worker's Celery app (``celery -A services.worker.celery_app worker``).

The database engine is built lazily in each worker process, after prefork's fork.
"""

from __future__ import annotations

import gc
import logging
import os
from functools import lru_cache
from typing import Any

from celery.signals import worker_init, worker_process_init
from sqlalchemy import Engine

from services import queue
from services.logs import configure_logging, quiet_periodic_tasks
from services.queue import PROCESS_SUBMISSION, PRUNE, SWEEP, SWEEP_QUEUE, make_celery
from services.runtime import resolve
from services.worker import pipeline, webhooks
from shared.core.errors import TransientError
from shared.core.memory import return_large_buffers
from shared.core.settings import Settings
from shared.db import clusters, submissions, subscriptions
from shared.db.engine import make_engine
from shared.reading.timestamps import warm_up

logger = logging.getLogger(__name__)
# Celery ships no types (pyproject.toml, [tool.mypy]): its decorators below make untyped
# functions, hence their narrow ``type: ignore[untyped-decorator]``.

settings = Settings()
configure_logging(settings.log_level)
_runtime = resolve(settings, need_redis=True, keep_running=True, start_redis=False)
if _runtime.redis_url is None:
    raise RuntimeError("no Redis: set DATELINE_REDIS_URL or run `dateline up`")
DATABASE_URL = _runtime.database_url
app = make_celery(settings, _runtime.redis_url)
warm_up()  # before the pool forks: every child starts with dateparser ready
return_large_buffers()  # a large submission's memory leaves with it (shared/core/memory.py)


@lru_cache(maxsize=1)
def _engine(pid: int) -> Engine:
    return make_engine(DATABASE_URL, pool_size=2)


def engine() -> Engine:
    return _engine(os.getpid())


deliver = webhooks.register(app, engine, settings)
# Celery's per-run lines for the scheduled tasks are DEBUG; the tasks log what they find.
quiet_periodic_tasks(entry["task"] for entry in app.conf.beat_schedule.values())


@worker_init.connect  # type: ignore[untyped-decorator]
def _share_with_the_pool(**_: Any) -> None:
    """Just before the pool forks: what the worker loaded is left out of the garbage
    collector's passes. A full pass in a pool process writes to every object it tracks, so
    each page of the parent's objects it shares would become a copy of its own (about 35 MB
    per pool process, measured): frozen, they stay shared."""
    gc.collect()
    gc.freeze()


@worker_process_init.connect  # type: ignore[untyped-decorator]
def _fresh_pool(**_: Any) -> None:
    _engine.cache_clear()


@app.task(name=PROCESS_SUBMISSION, bind=True, max_retries=settings.max_attempts)  # type: ignore[untyped-decorator]
def process_submission(self: Any, submission_id: str) -> str:
    queue.taken(app, submission_id)
    try:
        return pipeline.process_submission(engine(), settings, submission_id)
    except TransientError as exc:
        countdown = min(2**self.request.retries, settings.retry_backoff_max)
        logger.warning(
            "transient failure, retrying",
            extra={"submission_id": submission_id, "countdown": countdown},
        )
        raise self.retry(exc=exc, countdown=countdown) from exc


@app.task(name=SWEEP)  # type: ignore[untyped-decorator]
def sweep() -> int:
    """Re-send submissions whose message was lost and reclaim expired leases, on the sweep
    queue, so recovery never waits behind a backlog (services/queue.py)."""
    with engine().begin() as conn:
        due = submissions.due(
            conn,
            requeue_after=settings.requeue_after,
            lost=lambda waiting: queue.lost(app, waiting),
        )
    for submission_id in due:
        queue.enqueue(app, submission_id, queue=SWEEP_QUEUE)
    if due:
        logger.info("sweeper re-sent submissions", extra={"count": len(due)})
    return len(due)


@app.task(name=PRUNE)  # type: ignore[untyped-decorator]
def prune() -> int:
    """Forget LSH buckets older than the dedupe window and finished webhook deliveries older
    than a week, in small batches; returns how many rows went."""
    total = 0
    for step in (
        lambda conn: clusters.prune(conn, window_hours=settings.dedupe_window_hours),
        subscriptions.prune_deliveries,
    ):
        while True:
            with engine().begin() as conn:
                gone = step(conn)
            total += gone
            if gone == 0:
                break
    if total:
        logger.info("pruned expired buckets and deliveries", extra={"count": total})
    return total
