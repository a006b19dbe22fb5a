"""The dedupe store on real PostgreSQL: kills, re-checked versions, batches, and races between
transactions (deterministic, with two connections)."""

from __future__ import annotations

import random
import threading
import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, text

from shared.core.model import ParseContext, ParsedItem, Verdict
from shared.db import credentials, items, submissions
from shared.reading.normalise import normalise
from tests.support import PATIENCE

STORY = (
    "The national rail operator will add forty new regional trains to its timetable from "
    "June, the transport ministry said on Tuesday. The trains will run on the busiest commuter "
    "lines around the capital and replace carriages built in the nineteen eighties. Fares will "
    "not change this year, a ministry spokesman told reporters after the cabinet meeting."
)
OTHER = (
    "Heavy snow closed three mountain passes overnight and the weather service warned of "
    "avalanches in the northern valleys. Ski resorts asked visitors to stay off closed slopes "
    "while rescue teams checked the roads, and schools in two districts stayed shut on Monday."
)
CTX = ParseContext(received_at=datetime(2023, 5, 2, 9, 0, tzinfo=UTC))


def item(
    uri: str | None,
    body: str,
    *,
    headline: str = "Trains",
    version: str | None = None,
    pubstatus: str = "usable",
    kind: str = "text",
):  # type: ignore[no-untyped-def]
    parsed = ParsedItem(
        format="ninjs",
        uri=uri,
        version=version,
        headline=headline,
        body_text=body,
        pubstatus=pubstatus,
        type=kind,
        language="en",
        versioncreated=datetime(2023, 5, 2, 9, int(version or 0), tzinfo=UTC),
    )
    return normalise(parsed, CTX, namespace="test")


@pytest.fixture
def wire(db: Engine):  # type: ignore[no-untyped-def]
    partners: dict[str, int] = {}

    def partner(slug: str) -> int:
        if slug not in partners:
            with db.begin() as conn:
                partners[slug] = credentials.create_partner(conn, slug=slug)[0].id
        return partners[slug]

    def submission(conn, slug: str) -> str:  # type: ignore[no-untyped-def]
        return submissions.accept(
            conn,
            partner_id=partner(slug),
            raw=str(time.time_ns()).encode(),
            content_type="application/json",
            idempotency_key=None,
            request_id=None,
        ).id

    def store(slug: str, *batch, conn=None):  # type: ignore[no-untyped-def]
        def run(c):  # type: ignore[no-untyped-def]
            return items.store_batch(
                c,
                partner_id=partner(slug),
                batch=list(batch),
                submission_id=submission(c, slug),
                received_at=CTX.received_at,
            )

        if conn is not None:
            return run(conn)
        with db.begin() as c:
            return run(c)

    def row(item_id: str):  # type: ignore[no-untyped-def]
        with db.connect() as conn:
            return conn.execute(
                text("SELECT duplicate_of, cluster, pubstatus FROM items WHERE id = :i"),
                {"i": item_id},
            ).one()

    return store, row


def test_copies_of_a_killed_original_still_find_each_other(wire) -> None:  # type: ignore[no-untyped-def]
    store, row = wire
    [original] = store("alpha", item("a:1", STORY))
    store("alpha", item("a:1", STORY, version="2", pubstatus="canceled"))
    [b] = store("beta", item("b:1", STORY))
    [c] = store("gamma", item("c:1", STORY.replace("forty", "40")))
    assert (b.verdict, c.verdict) == (Verdict.NEW, Verdict.NEAR_DUPLICATE)
    assert row(c.item_id).duplicate_of == b.item_id
    assert row(original.item_id).pubstatus == "canceled"


def test_a_new_version_that_now_copies_another_story_joins_its_cluster(wire) -> None:  # type: ignore[no-untyped-def]
    store, row = wire
    [flash] = store("alpha", item("a:1", "Rail operator to add trains. More soon.", version="1"))
    [full] = store("beta", item("b:1", STORY))
    [update] = store("alpha", item("a:1", STORY, version="2"))
    assert update.verdict == Verdict.NEW_VERSION and update.item_id == flash.item_id
    assert tuple(row(flash.item_id)[:2]) == (full.item_id, full.item_id)


def test_a_copy_rewritten_into_another_story_leaves_the_cluster(wire) -> None:  # type: ignore[no-untyped-def]
    store, row = wire
    [original] = store("alpha", item("a:1", STORY))
    [copy] = store("beta", item("b:1", STORY, version="1"))
    assert row(copy.item_id).duplicate_of == original.item_id
    store("beta", item("b:1", OTHER, version="2"))
    assert tuple(row(copy.item_id)[:2]) == (None, copy.item_id)


def test_flashes_with_the_same_boilerplate_body_are_not_copies(wire) -> None:  # type: ignore[no-untyped-def]
    store, _ = wire
    store("alpha", item("a:1", "More to follow.", headline="Earthquake shakes Tokyo"))
    [other] = store("beta", item("b:1", "More to follow.", headline="Minister resigns"))
    assert other.verdict == Verdict.NEW


def test_a_picture_and_a_text_with_the_same_words_are_not_copies(wire) -> None:  # type: ignore[no-untyped-def]
    store, _ = wire
    store("alpha", item("a:1", STORY))
    [picture] = store("beta", item("b:1", STORY, kind="picture"))
    assert picture.verdict == Verdict.NEW


def test_copies_inside_one_batch_link_to_the_earlier_member(wire) -> None:  # type: ignore[no-untyped-def]
    store, row = wire
    first, second, other = store(
        "alpha", item("a:1", STORY), item("a:2", STORY), item("a:3", OTHER)
    )
    assert [s.verdict for s in (first, second, other)] == [
        Verdict.NEW,
        Verdict.NEAR_DUPLICATE,
        Verdict.NEW,
    ]
    assert row(second.item_id).duplicate_of == first.item_id
    assert row(first.item_id).duplicate_of is None


def test_a_store_waiting_on_an_uncommitted_copy_sees_it_once_committed(db: Engine, wire) -> None:  # type: ignore[no-untyped-def]
    store, row = wire
    store("beta", item("b:0", OTHER))  # create the partners outside the race
    store("alpha", item("a:0", "Warm-up story about nothing in particular at all today."))
    first = db.connect()
    trans = first.begin()
    [mine] = store("alpha", item("a:1", STORY), conn=first)  # holds its band keys, uncommitted
    result: list = []  # type: ignore[type-arg]
    racer = threading.Thread(target=lambda: result.extend(store("beta", item("b:1", STORY))))
    racer.start()
    deadline = time.monotonic() + PATIENCE
    with db.connect() as watch:  # wait until the racer blocks on our keys
        while not watch.execute(text("SELECT count(*) FROM pg_locks WHERE NOT granted")).scalar():
            assert time.monotonic() < deadline, "the racer never waited"
            time.sleep(0.02)
    trans.commit()
    first.close()
    racer.join(PATIENCE)
    [theirs] = result
    assert theirs.verdict == Verdict.NEAR_DUPLICATE
    assert row(theirs.item_id).duplicate_of == mine.item_id


WORDS = [f"{a}{b}{c}" for a in "bdfgklmnprst" for b in ("a", "e", "i", "o", "u") for c in "nrst"]


def _random_story(seed: int) -> str:
    rng = random.Random(seed)
    return ". ".join(" ".join(rng.choice(WORDS) for _ in range(12)) for _ in range(6)) + "."


def test_batches_crossing_each_other_do_not_deadlock(db: Engine, wire) -> None:  # type: ignore[no-untyped-def]
    store, _ = wire
    store("alpha", item("a:0", "Warm-up story about nothing in particular at all today."))
    store("beta", item("b:0", "Another warm-up story about something else entirely now."))
    for round_ in range(5):
        x, y = _random_story(2 * round_), _random_story(2 * round_ + 1)
        barrier = threading.Barrier(2)
        errors: list[BaseException] = []

        def run(slug: str, batch: list, barrier=barrier, errors=errors) -> None:  # type: ignore[no-untyped-def, type-arg]
            try:
                barrier.wait()
                store(slug, *batch)
            except BaseException as exc:  # collected and asserted below
                errors.append(exc)

        threads = [
            threading.Thread(
                target=run, args=("alpha", [item(f"a:x{round_}", x), item(f"a:y{round_}", y)])
            ),
            threading.Thread(
                target=run, args=("beta", [item(f"b:y{round_}", y), item(f"b:x{round_}", x)])
            ),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert errors == []
    with db.connect() as conn:
        canonical = conn.execute(
            text("SELECT count(*) FROM items WHERE duplicate_of IS NULL AND uri LIKE '_:_%'")
        ).scalar()
    assert canonical == 2 + 10  # the warm-ups and one of each pair per round


def test_a_kill_of_an_older_version_reaches_the_change_feed(db: Engine, wire) -> None:  # type: ignore[no-untyped-def]
    from shared.db.changes import ChangeFeed, Filters

    store, _ = wire
    store("alpha", item("a:1", STORY, version="3"))
    with db.connect() as conn:
        mark = conn.execute(text("SELECT max(id) FROM item_versions")).scalar()
    store("alpha", item("a:1", STORY, version="1", pubstatus="canceled"))
    [change] = ChangeFeed(engine=db, filters=Filters(), mark=mark).poll()
    assert (change.item["pubstatus"], change.item["version"]) == ("canceled", "3")


def test_a_killed_original_hands_its_place_to_its_oldest_live_copy(wire) -> None:  # type: ignore[no-untyped-def]
    """Partner beta pushes alpha's text first, then kills it: alpha's story must not stay
    hidden behind a killed item."""
    store, row = wire
    [squatter] = store("beta", item("b:1", STORY))
    [real] = store("alpha", item("a:1", STORY))
    [late] = store("gamma", item("c:1", STORY.replace("forty", "40")))
    assert row(real.item_id).duplicate_of == squatter.item_id
    assert row(late.item_id).duplicate_of == squatter.item_id
    [kill] = store("beta", item("b:1", STORY, version="2", pubstatus="canceled"))
    assert kill.verdict == Verdict.KILLED
    assert tuple(row(real.item_id)) == (None, squatter.item_id, "usable")  # visible, same cluster
    assert row(late.item_id).duplicate_of == real.item_id


def test_a_killed_copy_leaves_its_original_as_it_was(wire) -> None:  # type: ignore[no-untyped-def]
    store, row = wire
    [original] = store("alpha", item("a:1", STORY))
    [copy] = store("beta", item("b:1", STORY))
    assert row(copy.item_id).duplicate_of == original.item_id
    store("beta", item("b:1", STORY, version="2", pubstatus="canceled"))
    assert row(original.item_id).duplicate_of is None
