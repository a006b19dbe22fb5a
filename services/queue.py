"""The Celery configuration and the one way to send work: task names, ids only.

Recovery does not wait for a backlog to drain. Every message sent is recorded in a Redis sorted
set (``NUDGES``: submission id → when it was sent) and forgotten when a worker takes it. The
sweeper can then tell a queued submission whose message is lost from one whose message still
waits: no record at all (Redis was flushed, or the send failed), or a record older than the
message now at the head of the queue (the queue is first in, first out, so that message was
taken and never processed: a killed worker's prefetch). Lost ones, and expired leases, are sent
again on the sweep queue, which workers read beside the item queue (kombu serves their queues
in turn), so a recovered submission waits for at most a few messages, not for the backlog.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from queue import Empty, SimpleQueue
from typing import Any, Protocol

import orjson
from celery import Celery

from shared.core.embedded import celery_broker_url, redis_client_url
from shared.core.settings import Settings

logger = logging.getLogger(__name__)

PROCESS_SUBMISSION = "dateline.process_submission"
SWEEP = "dateline.sweep"
PRUNE = "dateline.prune"
DELIVER = "dateline.deliver"  # webhook deliveries (services/worker/webhooks.py)
QUEUE = "dateline"
SWEEP_QUEUE = "dateline-sweep"  # its own queue: a backlog of items never delays recovery
WORKER_QUEUES = f"{SWEEP_QUEUE},{QUEUE}"
NUDGES = "dateline:nudges"
NUDGES_KEPT_SECONDS = 7 * 24 * 3600  # records older than this are pruned by the sweeper
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
            "deliver": {
                "task": DELIVER,
                "schedule": settings.webhook_interval,
                # A run not started within its interval is superseded by the next one.
                "options": {"queue": SWEEP_QUEUE, "expires": settings.webhook_interval},
            },
        },
        timezone="UTC",
    )
    return app


# Until when sends through each Celery app (by ``id``) are skipped after a failure: a broker
# that is down is that app's, not every app's in the process (tests serve several at once).
_broker_down_until: dict[int, float] = {}


def _broker_down(app: Celery) -> bool:
    return time.monotonic() < _broker_down_until.get(id(app), 0.0)


def _broker_failed(app: Celery) -> None:
    _broker_down_until[id(app)] = time.monotonic() + BROKER_BACKOFF_SECONDS


@contextmanager
def redis_of(app: Celery, timeout: float | None = None) -> Iterator[Any]:
    """The broker's own Redis client, on a connection from Celery's pool: its channel (and the
    Redis connection under it) is kept for the next caller, not made and pinged each time.
    ``timeout``: how long to wait for a free connection when the pool's are all in use."""
    with app.pool.acquire(block=True, timeout=timeout) as conn:
        yield conn.default_channel.client


def message(submission_id: str, queue: str = QUEUE) -> bytes:
    """The message ``send_task(PROCESS_SUBMISSION, args=[submission_id], queue=queue)`` would
    store: Celery's task protocol 2 in kombu's Redis envelope (JSON, base64 body).

    Built here because Celery's own send path costs more CPU than the rest of an accept, and
    because this way the message and its ``NUDGES`` record go to Redis in one round trip.
    ``tests/integration/test_fast_publish.py`` holds it to what Celery itself sends."""
    task_id = str(uuid.uuid4())
    body = orjson.dumps(
        [[submission_id], {}, {"callbacks": None, "errbacks": None, "chain": None, "chord": None}]
    )
    return orjson.dumps(
        {
            "body": base64.b64encode(body).decode(),
            "content-encoding": "utf-8",
            "content-type": "application/json",
            "headers": {
                "lang": "py",
                "task": PROCESS_SUBMISSION,
                "id": task_id,
                "shadow": None,
                "eta": None,
                "expires": None,
                "group": None,
                "group_index": None,
                "retries": 0,
                "timelimit": [None, None],
                "root_id": task_id,
                "parent_id": None,
                "argsrepr": repr([submission_id]),
                "kwargsrepr": "{}",
                "origin": _ORIGIN,
                "ignore_result": None,
                "replaced_task_nesting": 0,
                "stamped_headers": None,
                "stamps": {},
            },
            "properties": {
                "correlation_id": task_id,
                "reply_to": _REPLY_TO,
                "delivery_mode": 2,
                "delivery_info": {"exchange": "", "routing_key": queue},
                "priority": 0,
                "body_encoding": "base64",
                "delivery_tag": str(uuid.uuid4()),
            },
        }
    )


_ORIGIN = f"{os.getpid()}@{socket.gethostname()}"
_REPLY_TO = str(uuid.uuid4())


def enqueue(app: Celery, submission_id: str, *, queue: str = QUEUE) -> bool:
    """Send the submission's message and record it in ``NUDGES``, in one round trip to Redis.
    Best effort: the submission row is the truth and the sweeper re-sends lost messages.

    After a failure, sends are skipped for ``BROKER_BACKOFF_SECONDS``: a Redis that is down
    costs each push nothing, not a timeout."""
    return _send(app, [submission_id], queue)


def _send(app: Celery, submission_ids: list[str], queue: str) -> bool:
    """``enqueue`` for several submissions: still one round trip, with two commands."""
    if _broker_down(app):
        return False
    try:
        with redis_of(app) as client:
            pipe = client.pipeline(transaction=False)
            # kombu's key for priority 0; LPUSH of several keeps their order for BRPOP
            pipe.lpush(queue, *(message(i, queue) for i in submission_ids))
            pipe.zadd(NUDGES, dict.fromkeys(submission_ids, time.time()))
            pipe.execute()
    except Exception:  # any broker failure: the sweeper covers it
        _broker_failed(app)
        logger.warning(
            "enqueue failed; the sweeper will send it",
            extra={"submission_id": submission_ids[0], "count": len(submission_ids)},
        )
        return False
    return True


class Sends(Protocol):
    """What hands a new submission's id over to be sent: ``Sender`` or ``LoopSender``."""

    def send(self, submission_id: str) -> None: ...


class Sender:
    """The API's sends, from one thread, with every message waiting in one round trip.

    A push hands its submission id over (``send``) and answers; under load a round trip then
    carries tens of messages instead of each push paying its own, and in a busy process the CPU
    of a round trip is mostly threads waking up. Best effort, as ``enqueue``: a message not sent
    (Redis away, or the process killed with milliseconds' worth still waiting) is sent again by
    the sweeper, as a failed send always was."""

    MAX_BATCH = 500

    def __init__(self, app: Celery, queue: str = QUEUE) -> None:
        self.app, self.queue = app, queue
        self._waiting: SimpleQueue[str] = SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def send(self, submission_id: str) -> None:
        if self._thread is None:
            with self._lock:
                if self._thread is None:  # started in the process that sends, after any fork
                    self._thread = threading.Thread(
                        target=self._run, name="dateline-sender", daemon=True
                    )
                    self._thread.start()
        self._waiting.put(submission_id)

    def _run(self) -> None:
        while True:
            batch = [self._waiting.get()]
            while len(batch) < self.MAX_BATCH:
                try:
                    batch.append(self._waiting.get_nowait())
                except Empty:
                    break
            _send(self.app, batch, self.queue)


class LoopSender:
    """``Sender`` for code on the event loop (the pushes served there: services/ingest/
    intake.py): the ids handed over while a round trip is out go together in the next one,
    sent by a task on the loop through an asynchronous Redis client, with no thread to wake.
    Best effort, as ``Sender``."""

    MAX_BATCH = Sender.MAX_BATCH

    def __init__(self, app: Celery, queue: str = QUEUE, client: Any = None) -> None:
        self.app, self.queue = app, queue
        self.client = self._given = client  # redis.asyncio.Redis, made on the loop when None
        self._waiting: list[str] = []
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def send(self, submission_id: str) -> None:
        self._waiting.append(submission_id)
        loop = asyncio.get_running_loop()
        if self._loop is not loop:  # a client and a task belong to the loop they were made on
            self._loop, self._task, self.client = loop, None, self._given
        if self._task is None or self._task.done():
            self._task = loop.create_task(self._drain())

    async def _drain(self) -> None:
        while self._waiting:
            batch = self._waiting[: self.MAX_BATCH]
            del self._waiting[: self.MAX_BATCH]
            await self._send(batch)

    async def _send(self, submission_ids: list[str]) -> None:
        if _broker_down(self.app):
            return
        if self.client is None:
            import redis.asyncio  # only the API's loop needs it

            url = redis_client_url(str(self.app.conf.broker_url))
            self.client = redis.asyncio.Redis.from_url(
                url, socket_timeout=1, socket_connect_timeout=1
            )
        try:
            pipe = self.client.pipeline(transaction=False)
            pipe.lpush(self.queue, *(message(i, self.queue) for i in submission_ids))
            pipe.zadd(NUDGES, dict.fromkeys(submission_ids, time.time()))
            await pipe.execute()
        except Exception:  # any broker failure: the sweeper covers it
            _broker_failed(self.app)
            logger.warning(
                "enqueue failed; the sweeper will send it",
                extra={"submission_id": submission_ids[0], "count": len(submission_ids)},
            )

    async def close(self) -> None:
        """Send what is waiting (within a second), then close the client."""
        if self._task is not None and not self._task.done():
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.shield(self._task), 1.0)
        if self.client is not None:
            await self.client.aclose()
        self._loop, self._task, self.client = None, None, self._given


def taken(app: Celery, submission_id: str) -> None:
    """A worker took the submission's message: forget its record (best effort)."""
    try:
        with redis_of(app) as client:
            client.zrem(NUDGES, submission_id)
    except Exception:  # a stale record costs at most one needless re-send
        logger.debug("could not forget a nudge", extra={"submission_id": submission_id})


def _message_id(raw: bytes | None) -> str | None:
    """The submission id a raw kombu message on the item queue carries, if it can be read."""
    if raw is None:
        return None
    try:
        message = json.loads(raw)
        body = message["body"]
        if message.get("properties", {}).get("body_encoding") == "base64":
            body = base64.b64decode(body)
        args = json.loads(body)[0]
        return str(args[0]) if args else None
    except (ValueError, KeyError, IndexError, TypeError):
        return None


def lost(app: Celery, waiting: list[str]) -> set[str]:
    """Of these queued submissions, the ones whose message is no longer in the broker."""
    with redis_of(app) as client:
        sent = client.zmscore(NUDGES, waiting)
        head = _message_id(client.lindex(QUEUE, -1))  # the next message to be taken
        head_sent = client.zscore(NUDGES, head) if head is not None else None
        client.zremrangebyscore(NUDGES, "-inf", time.time() - NUDGES_KEPT_SECONDS)
    gone = set()
    for submission_id, at in zip(waiting, sent, strict=True):
        if at is None or head is None or (head_sent is not None and at < head_sent):
            gone.add(submission_id)
    return gone
