"""The Celery configuration and the one way to send work: task names, ids only."""

from __future__ import annotations

import logging
import time

from celery import Celery

from shared.embedded import celery_broker_url
from shared.settings import Settings

logger = logging.getLogger(__name__)

PROCESS_SUBMISSION = "dateline.process_submission"
SWEEP = "dateline.sweep"
PRUNE = "dateline.prune"
QUEUE = "dateline"
SWEEP_QUEUE = "dateline-sweep"  # its own queue: a backlog of items never delays recovery
WORKER_QUEUES = f"{SWEEP_QUEUE},{QUEUE}"
VISIBILITY_TIMEOUT = 3600
# A sender that found Redis away does not try again for this long: the sweeper sends instead.
BROKER_BACKOFF_SECONDS = 2.0
# How a sender (the API, the CLI) talks to Redis: one try, short socket timeouts, so a dead or
# hung Redis never holds a partner's push (the bytes are committed first; the sweeper nudges).
FAIL_FAST = {"max_retries": 0, "socket_connect_timeout": 1.0, "socket_timeout": 2.0}


def make_celery(settings: Settings, redis_url: str, *, sender: bool = False) -> Celery:
    """The Celery app; ``sender=True`` for processes that only send tasks (API, CLI)."""
    app = Celery("dateline", broker=celery_broker_url(redis_url), set_as_current=False)
    transport: dict[str, object] = {"visibility_timeout": VISIBILITY_TIMEOUT}
    if sender:
        transport.update(FAIL_FAST)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        result_backend=None,
        task_default_queue=QUEUE,
        task_serializer="json",
        accept_content=["json"],
        broker_connection_retry_on_startup=True,
        broker_transport_options=transport,
        task_time_limit=settings.task_time_limit,
        task_soft_time_limit=settings.task_time_limit * 0.8,
        worker_cancel_long_running_tasks_on_connection_loss=True,
        worker_hijack_root_logger=False,
        beat_schedule={
            "sweep": {
                "task": SWEEP,
                "schedule": settings.sweep_interval,
                # A sweep not run within its interval is superseded by the next one.
                "options": {"queue": SWEEP_QUEUE, "expires": settings.sweep_interval},
            },
            "prune": {
                "task": PRUNE,
                "schedule": settings.prune_interval,
                "options": {"queue": SWEEP_QUEUE, "expires": settings.prune_interval},
            },
        },
        timezone="UTC",
    )
    return app


_broker_down_until = 0.0


def enqueue(app: Celery, submission_id: str) -> bool:
    """Best effort: the submission row is the truth and the sweeper re-sends lost nudges.

    After a failure, sends are skipped for ``BROKER_BACKOFF_SECONDS``: a Redis that is down
    costs each push nothing, not a timeout."""
    global _broker_down_until
    if time.monotonic() < _broker_down_until:
        return False
    try:
        app.send_task(PROCESS_SUBMISSION, args=[submission_id], queue=QUEUE, retry=False)
    except Exception:  # any broker failure: the sweeper covers it
        _broker_down_until = time.monotonic() + BROKER_BACKOFF_SECONDS
        logger.warning(
            "enqueue failed; the sweeper will send it", extra={"submission_id": submission_id}
        )
        return False
    return True
