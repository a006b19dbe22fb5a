"""Recovery never waits for a backlog: the sweeper tells a lost message from one still queued
(services/queue.py), on the real Redis and PostgreSQL, without a worker."""

from __future__ import annotations

import redis
from sqlalchemy import Engine, text

from services import queue
from services.queue import QUEUE, SWEEP_QUEUE, make_celery
from shared.core.embedded import redis_client_url
from shared.db import credentials, submissions


def _queued(db: Engine, count: int) -> list[str]:
    with db.begin() as conn:
        partner = credentials.create_partner(conn, slug="belta")[0].id
        return [
            submissions.accept(
                conn, partner_id=partner, raw=f"story {n}".encode(), content_type="text/plain",
                idempotency_key=None, request_id=None,
            ).id
            for n in range(count)
        ]  # fmt: skip


def _overdue(db: Engine) -> None:
    with db.begin() as conn:
        conn.execute(text("UPDATE submissions SET enqueued_at = now() - interval '1 hour'"))


def test_only_lost_messages_are_sent_again_however_long_the_backlog(
    db: Engine, servers, settings, redis_flush: None
) -> None:  # type: ignore[no-untyped-def]
    app = make_celery(settings, servers.redis_url, sender=True)
    client = redis.Redis.from_url(redis_client_url(servers.redis_url))
    waiting, taken, never_sent = _queued(db, 3)
    assert queue.enqueue(app, taken) and queue.enqueue(app, waiting)
    for n in range(200):  # a backlog of other work behind them
        assert queue.enqueue(app, f"other-{n}")
    _overdue(db)

    def sweep() -> list[str]:
        """What the sweeper does: find the lost, send them on the sweep queue."""
        with db.begin() as conn:
            due = submissions.due(conn, requeue_after=2, lost=lambda ids: queue.lost(app, ids))
        for submission_id in due:
            assert queue.enqueue(app, submission_id, queue=SWEEP_QUEUE)
        return due

    assert sweep() == [never_sent]  # the send failed, or Redis was flushed
    assert client.llen(SWEEP_QUEUE) == 1  # served beside the item queue, not behind it
    client.rpop(QUEUE)  # a worker took the head message (``taken``) and died before its claim
    _overdue(db)
    assert sweep() == [taken]  # it was sent before the message now at the head
    _overdue(db)
    assert sweep() == []  # ``waiting`` is still in the queue: no duplicate
    client.flushall()
    _overdue(db)
    assert sorted(sweep()) == sorted([waiting, taken, never_sent])


def test_a_taken_message_is_forgotten_and_recovery_goes_to_the_sweep_queue(
    db: Engine, servers, settings, redis_flush: None
) -> None:  # type: ignore[no-untyped-def]
    app = make_celery(settings, servers.redis_url, sender=True)
    client = redis.Redis.from_url(redis_client_url(servers.redis_url))
    [submission] = _queued(db, 1)
    assert queue.enqueue(app, submission, queue=SWEEP_QUEUE)
    assert client.llen(SWEEP_QUEUE) == 1 and client.llen(QUEUE) == 0
    assert client.zscore(queue.NUDGES, submission) is not None
    queue.taken(app, submission)
    assert client.zscore(queue.NUDGES, submission) is None
