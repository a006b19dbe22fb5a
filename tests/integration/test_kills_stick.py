"""A kill sticks on real PostgreSQL (docs/api.md, Verdicts and versions): a version recorded
after it leaves the item canceled everywhere the store looks, not only in its document."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from sqlalchemy import Engine, select

from shared.core.model import NormalisedItem, ParseContext, ParsedItem, PubStatus, Verdict
from shared.db import credentials, item_reads, items, submissions
from shared.db.item_reads import ItemQuery
from shared.db.tables import items as items_table
from shared.db.tables import partners
from shared.reading.normalise import normalise

STORY = (
    "The national rail operator will add forty new regional trains to its timetable from "
    "June, the transport ministry said on Tuesday. The trains will run on the busiest commuter "
    "lines around the capital and replace carriages built in the nineteen eighties. Fares will "
    "not change this year, a ministry spokesman told reporters after the cabinet meeting."
)


def _item(uri: str, version: str, pubstatus: PubStatus, received_at: datetime) -> NormalisedItem:
    parsed = ParsedItem(
        format="ninjs",
        uri=uri,
        version=version,
        headline="Trains",
        body_text=STORY,
        pubstatus=pubstatus,
        language="en",
        versioncreated=datetime(2023, 5, 2, 9, int(version), tzinfo=UTC),
    )
    return normalise(parsed, ParseContext(received_at=received_at), namespace="test")


def _store(db: Engine, slug: str, item: NormalisedItem) -> items.Stored:
    """Store one item for partner ``slug`` (made on first use), arriving now: inside the
    dedupe window, where copies are looked for."""
    with db.begin() as conn:
        partner_id = conn.execute(select(partners.c.id).where(partners.c.slug == slug)).scalar()
        if partner_id is None:
            partner_id = credentials.create_partner(conn, slug=slug)[0].id
        submission = submissions.accept(
            conn,
            partner_id=partner_id,
            raw=str(time.time_ns()).encode(),
            content_type="application/json",
            idempotency_key=None,
            request_id=None,
        )
        [stored] = items.store_batch(
            conn,
            partner_id=partner_id,
            batch=[item],
            submission_id=submission.id,
            received_at=datetime.now(UTC),
        )
    return stored


def _kill_then_update(db: Engine) -> str:
    now = datetime.now(UTC)
    first = _store(db, "alpha", _item("a:1", "1", PubStatus.USABLE, now))
    killed = _store(db, "alpha", _item("a:1", "2", PubStatus.CANCELED, now))
    later = _store(db, "alpha", _item("a:1", "3", PubStatus.USABLE, now))
    assert [first.verdict, killed.verdict, later.verdict] == [
        Verdict.NEW,
        Verdict.KILLED,
        Verdict.NEW_VERSION,
    ]
    assert first.item_id is not None and first.item_id == later.item_id
    return first.item_id


def test_a_version_after_a_kill_leaves_the_item_canceled(db: Engine) -> None:
    item_id = _kill_then_update(db)
    with db.connect() as conn:
        row = conn.execute(
            select(items_table.c.pubstatus, items_table.c.version, items_table.c.doc).where(
                items_table.c.id == item_id
            )
        ).one()
        listed = {
            status: [i["id"] for i in item_reads.search(conn, ItemQuery(pubstatus=status))[0]]
            for status in PubStatus
        }
    assert (row.pubstatus, row.version, row.doc["pubstatus"]) == ("canceled", "3", "canceled")
    assert listed == {PubStatus.USABLE: [], PubStatus.WITHHELD: [], PubStatus.CANCELED: [item_id]}


def test_a_copy_of_a_killed_then_updated_item_is_not_its_near_duplicate(db: Engine) -> None:
    _kill_then_update(db)
    copy = _store(db, "beta", _item("b:1", "1", PubStatus.USABLE, datetime.now(UTC)))
    assert copy.verdict == Verdict.NEW
