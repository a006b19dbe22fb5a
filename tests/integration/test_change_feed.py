"""The stream's change feed on real PostgreSQL: version ids are drawn in one order and committed
in another, so the feed only moves past an id once it is committed or long given up."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
from sqlalchemy import Engine, select, text

from services.worker.pipeline import process_submission
from shared.core.model import Profile
from shared.db import items
from shared.db.changes import ChangeFeed, Filters, newest_version_id
from shared.db.tables import partners
from shared.reading.prepare import prepare
from tests.support import partner_key, push

NINJS = "application/json"
STORIES = {
    1: ("Harbour cranes idle", "Dockworkers stopped the cranes at dawn over unpaid overtime."),
    2: ("Orchestra tours abroad", "Violinists and cellists boarded a chartered train for Vienna."),
}


def _story(n: int) -> bytes:
    headline, body = STORIES[n]
    return json.dumps(
        {"uri": f"urn:example:feed:{n}", "headline": headline, "body_text": body}
    ).encode()


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _feed(db: Engine, clock: Clock) -> ChangeFeed:
    with db.connect() as conn:
        mark = newest_version_id(conn)
    return ChangeFeed(db, Filters(), mark, gap_seconds=30.0, clock=clock)


def test_a_version_committed_after_a_later_one_is_still_sent_first(
    client: httpx.Client, db: Engine, settings
) -> None:  # type: ignore[no-untyped-def]
    key = partner_key(db, "alpha")
    slow_id, fast_id = (push(client, key, _story(n), NINJS).json()["submission_id"] for n in (1, 2))
    feed = _feed(db, Clock())
    with db.connect() as slow:
        transaction = slow.begin()
        partner_id = slow.execute(select(partners.c.id).where(partners.c.slug == "alpha")).scalar()
        batch = prepare(
            _story(1), NINJS, namespace="alpha", profile=Profile(), received_at=datetime.now(UTC)
        )
        items.store_batch(
            slow, partner_id=partner_id, batch=batch, submission_id=slow_id,
            received_at=datetime.now(UTC),
        )  # fmt: skip
        assert process_submission(db, settings, fast_id) == "done"  # a higher id, committed
        assert feed.poll() == []  # the lower id is in flight: wait for it
        transaction.commit()
    changes = feed.poll()
    assert [c.item["uri"] for c in changes] == ["urn:example:feed:1", "urn:example:feed:2"]
    assert changes[0].version_id < changes[1].version_id == feed.mark


def test_an_id_that_never_commits_is_given_up_after_the_gap_time(
    client: httpx.Client, db: Engine, settings
) -> None:  # type: ignore[no-untyped-def]
    key = partner_key(db, "alpha")
    submission_id = push(client, key, _story(2), NINJS).json()["submission_id"]
    clock = Clock()
    feed = _feed(db, clock)
    with db.connect() as conn:  # a worker that drew an id and rolled back
        conn.execute(text("SELECT nextval(pg_get_serial_sequence('item_versions', 'id'))"))
        conn.rollback()
    assert process_submission(db, settings, submission_id) == "done"
    assert feed.poll() == []
    clock.now = 29.0
    assert feed.poll() == []
    clock.now = 30.0
    assert [c.item["uri"] for c in feed.poll()] == ["urn:example:feed:2"]
    assert feed.poll() == []
