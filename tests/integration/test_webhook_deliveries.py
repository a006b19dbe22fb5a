"""Webhook deliveries on real PostgreSQL, Redis and a real receiver on 127.0.0.1: the outbox
written with the items, signed sends, the retry schedule, disabling, claims and fencing,
superseding, embargoes, pruning and the one-run-at-a-time lock."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from sqlalchemy import Engine, text

from services.worker import webhooks
from services.worker.pipeline import process_submission
from shared.core.embedded import redis_client_url
from shared.db import credentials, item_reads, submissions, subscriptions
from tests.receiver import Receiver, clean_subscriptions, verify


@pytest.fixture
def wire(db: Engine, settings: Any) -> Iterator[Any]:
    """Partners alpha and beta; ``push(partner, **fields)`` stores a ninjs story in-process."""
    clean_subscriptions(db)
    with db.begin() as conn:
        ids = {s: credentials.create_partner(conn, slug=s)[0].id for s in ("alpha", "beta")}

    pushed: list[int] = []

    def push(partner: str, **fields: Any) -> list[dict[str, Any]]:
        doc = {
            "uri": "urn:example:1", "headline": "Council approves the city budget",
            "language": "en", "versioncreated": "2022-01-07T10:00:00Z",
            "body_text": "The city council approved next year's budget after a long debate.",
            **fields,
        }  # fmt: skip
        with db.begin() as conn:
            accepted = submissions.accept(
                conn, partner_id=ids[partner], raw=json.dumps(doc).encode() + b" " * len(pushed),
                content_type="application/json", idempotency_key=None, request_id=None,
            )  # fmt: skip
        pushed.append(1)  # identical bytes would be the same submission
        assert process_submission(db, settings, accepted.id) == "done"
        with db.connect() as conn:
            found = submissions.read(conn, accepted.id)
        assert found is not None
        return found["items"]  # type: ignore[no-any-return]

    yield push
    clean_subscriptions(db)


def _subscribe(db: Engine, url: str, **filters: str) -> dict[str, Any]:
    with db.begin() as conn:
        return subscriptions.create(conn, url=url, filters=filters, allow_private=True)


def _deliveries(db: Engine) -> list[dict[str, Any]]:
    with db.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT id, subscription_id, item_id, event, status, attempts, last_error, "
                "extract(epoch FROM next_attempt_at - now())::float8 AS due_in, "
                "sent_at IS NOT NULL AS sent FROM deliveries ORDER BY id"
            )
        )
        return [dict(r._mapping) for r in rows]


def scheduled(delivery: dict[str, Any], seconds: float) -> bool:
    """Whether the delivery is due ``seconds`` after it was last handled: ``due_in`` is read
    later, by as much as a busy machine takes, so it may have shrunk a little since."""
    return seconds - 10 < delivery["due_in"] <= seconds


def _subscription(db: Engine, sub_id: str) -> dict[str, Any]:
    with db.connect() as conn:
        found = subscriptions.get(conn, sub_id)
    assert found is not None
    return found


def _make_due(db: Engine, **values: Any) -> None:
    sets = ", ".join(f"{k} = :{k}" for k in values)
    with db.begin() as conn:
        conn.execute(
            text(f"UPDATE deliveries SET next_attempt_at = now() {', ' if sets else ''}{sets}"),
            values,
        )


def test_new_updated_and_killed_items_are_announced_to_matching_subscriptions(
    db: Engine, wire: Any
) -> None:
    everything = _subscribe(db, "http://127.0.0.1:9/all")
    beta_only = _subscribe(db, "http://127.0.0.1:9/beta", partner="beta")
    [new] = wire("alpha", version="1")
    wire("alpha", version="1")  # the same again: a duplicate
    [update] = wire("alpha", version="3", headline="Council approves the amended city budget")
    [stale] = wire("alpha", version="2")
    [kill] = wire("alpha", version="4", pubstatus="canceled")

    assert [e["verdict"] for e in (new, update, stale, kill)] == [
        "new", "new_version", "stale", "killed",
    ]  # fmt: skip
    item_id = new["item_id"]
    assert [(d["subscription_id"], d["item_id"], d["event"], d["status"], d["attempts"])
            for d in _deliveries(db)] == [
        (everything["id"], item_id, "item.created", "superseded", 0),
        (everything["id"], item_id, "item.updated", "superseded", 0),
        (everything["id"], item_id, "item.killed", "pending", 0),
    ]  # fmt: skip
    with db.connect() as conn:
        payloads = conn.execute(text("SELECT payload FROM deliveries ORDER BY id")).scalars().all()
        current = item_reads.get(conn, item_id)
    assert [p["version"] for p in payloads] == ["1", "3", "4"]
    assert payloads[-1] == current
    assert _subscription(db, beta_only["id"])["deliveries"] == {
        "pending": 0,
        "sent": 0,
        "failed": 0,
    }


def test_a_near_duplicate_copy_is_not_announced(db: Engine, wire: Any) -> None:
    _subscribe(db, "http://127.0.0.1:9/all")
    [original] = wire("alpha")
    [copy] = wire("beta", uri="urn:beta:7")
    assert (original["verdict"], copy["verdict"]) == ("new", "near_duplicate")
    assert [d["item_id"] for d in _deliveries(db)] == [original["item_id"]]


def test_a_due_delivery_is_sent_signed_and_marked_sent(db: Engine, wire: Any) -> None:
    with Receiver(200) as receiver:
        sub = _subscribe(db, receiver.url)
        [stored] = wire("alpha")
        assert webhooks.run(db, allow_private=True) == 1
        [request] = receiver.received

    [delivery] = _deliveries(db)
    assert (delivery["status"], delivery["attempts"], delivery["sent"], delivery["last_error"]) == (
        "sent", 1, True, None,
    )  # fmt: skip
    assert request.path == "/hooks/dateline"
    assert request.headers["webhook-id"] == str(delivery["id"])
    assert request.headers["content-type"] == "application/json"
    assert request.headers["host"] == receiver.url.split("/")[2]
    assert verify(sub["secret"], request)
    body = request.json()
    with db.connect() as conn:
        assert body["data"] == item_reads.get(conn, stored["item_id"])
    assert body["type"] == "item.created"
    assert body["timestamp"].endswith("Z")
    assert _subscription(db, sub["id"])["failing_since"] is None


def test_a_failing_receiver_gets_retries_on_the_schedule(db: Engine, wire: Any) -> None:
    with Receiver(500) as receiver:
        sub = _subscribe(db, receiver.url)
        wire("alpha")
        assert webhooks.run(db, allow_private=True) == 0
        assert webhooks.run(db, allow_private=True) == 0  # not due again yet
        assert len(receiver.received) == 1
        [first] = _deliveries(db)
        _make_due(db)
        webhooks.run(db, allow_private=True)
        [second] = _deliveries(db)
        assert len(receiver.received) == 2

    assert (first["status"], first["attempts"], first["last_error"]) == ("pending", 1, "HTTP 500")
    assert scheduled(first, 5)
    assert (second["status"], second["attempts"]) == ("pending", 2) and scheduled(second, 300)
    assert _subscription(db, sub["id"])["failing_since"] is not None
    assert receiver.received[0].headers["webhook-id"] == receiver.received[1].headers["webhook-id"]


def test_after_three_days_of_failure_the_subscription_is_disabled_and_its_deliveries_fail(
    db: Engine, wire: Any
) -> None:
    with Receiver(503) as receiver:
        sub = _subscribe(db, receiver.url)
        wire("alpha")
        wire(
            "alpha",
            uri="urn:example:2",
            headline="Ferry timetable changes",
            body_text="A different story about ferries and their new summer timetable.",
        )
        with db.begin() as conn:
            conn.execute(text("UPDATE subscriptions SET failing_since = now() - interval '4 days'"))
            conn.execute(text("UPDATE deliveries SET attempts = 12 WHERE id = 1"))
            conn.execute(
                text(
                    "UPDATE deliveries SET next_attempt_at = now() + interval '1 hour' WHERE id = 2"
                )
            )
        webhooks.run(db, allow_private=True)

    found = _subscription(db, sub["id"])
    assert found["disabled_at"] is not None
    assert found["disabled_reason"].startswith("failing since ")
    assert found["deliveries"] == {"pending": 0, "sent": 0, "failed": 2}
    assert [(d["attempts"], d["last_error"]) for d in _deliveries(db)] == [
        (13, "HTTP 503"),
        (0, f"subscription disabled: {found['disabled_reason']}"),
    ]
    wire(
        "alpha",
        uri="urn:example:3",
        headline="Another",
        body_text="Nothing alike at all, a third story on trams.",
    )
    assert len(_deliveries(db)) == 2  # a disabled subscription gets no new deliveries


def test_an_exhausted_delivery_fails_alone_when_the_receiver_recently_succeeded(
    db: Engine, wire: Any
) -> None:
    with Receiver(500) as receiver:
        sub = _subscribe(db, receiver.url)
        wire("alpha")
        _make_due(db, attempts=12)
        webhooks.run(db, allow_private=True)
    assert [(d["status"], d["attempts"]) for d in _deliveries(db)] == [("failed", 13)]
    assert _subscription(db, sub["id"])["disabled_at"] is None


def test_410_gone_disables_the_subscription_at_once(db: Engine, wire: Any) -> None:
    with Receiver(410) as receiver:
        sub = _subscribe(db, receiver.url)
        wire("alpha")
        webhooks.run(db, allow_private=True)
    found = _subscription(db, sub["id"])
    assert (found["disabled_reason"], found["deliveries"]) == (
        "the receiver answered 410 Gone", {"pending": 0, "sent": 0, "failed": 1},
    )  # fmt: skip


def test_redirects_are_not_followed(db: Engine, wire: Any) -> None:
    with Receiver(302, location="http://169.254.169.254/latest/meta-data") as receiver:
        _subscribe(db, receiver.url)
        wire("alpha")
        webhooks.run(db, allow_private=True)
        assert len(receiver.received) == 1
    [delivery] = _deliveries(db)
    assert (delivery["status"], delivery["last_error"]) == ("pending", "HTTP 302")


def test_a_private_target_is_refused_at_send_time_unless_allowed(db: Engine, wire: Any) -> None:
    with Receiver(200) as receiver:
        _subscribe(db, receiver.url)
        wire("alpha")
        webhooks.run(db, allow_private=False)
        assert receiver.received == []
    [delivery] = _deliveries(db)
    assert (delivery["status"], delivery["attempts"], delivery["last_error"]) == (
        "pending", 1, "127.0.0.1 resolves to a private or reserved address (127.0.0.1)",
    )  # fmt: skip


def test_a_receiver_that_is_down_is_a_network_error_retried(db: Engine, wire: Any) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    _subscribe(db, f"http://127.0.0.1:{port}/in")
    wire("alpha")
    webhooks.run(db, allow_private=True)
    [delivery] = _deliveries(db)
    assert (delivery["status"], delivery["attempts"]) == ("pending", 1) and scheduled(delivery, 5)
    assert delivery["last_error"].startswith("ConnectError")


def test_claims_skip_locked_rows_hold_a_lease_and_fence_out_a_stale_sender(
    db: Engine, wire: Any
) -> None:
    _subscribe(db, "http://127.0.0.1:9/in")
    wire("alpha")
    with db.connect() as first, db.connect() as second:
        with first.begin():
            [claimed] = subscriptions.due_deliveries(first, limit=10, lease=60)
            with second.begin():
                assert subscriptions.due_deliveries(second, limit=10, lease=60) == []  # locked
        with second.begin():
            assert subscriptions.due_deliveries(second, limit=10, lease=60) == []  # leased
    _make_due(db)
    with db.begin() as conn:
        [again] = subscriptions.due_deliveries(conn, limit=10, lease=60)
        assert (claimed.attempt, again.attempt) == (1, 2)
        assert subscriptions.mark_sent(conn, claimed) is False  # its lease was lost
        assert subscriptions.mark_failed(conn, claimed, "late") == "lost"
        assert subscriptions.mark_sent(conn, again) is True
    assert [(d["status"], d["attempts"]) for d in _deliveries(db)] == [("sent", 2)]


def test_deleting_a_subscription_drops_its_pending_deliveries(db: Engine, wire: Any) -> None:
    sub = _subscribe(db, "http://127.0.0.1:9/in")
    wire("alpha")
    assert len(_deliveries(db)) == 1
    with db.begin() as conn:
        subscriptions.delete_one(conn, sub["id"])
    assert _deliveries(db) == []


def test_a_kill_supersedes_the_pending_announcements_of_its_item_which_are_never_sent(
    db: Engine, wire: Any
) -> None:
    with Receiver(200) as receiver:
        _subscribe(db, receiver.url)
        wire("alpha", version="1")
        wire("alpha", version="2", pubstatus="canceled")
        _make_due(db)
        assert webhooks.run(db, allow_private=True) == 1
        assert webhooks.run(db, allow_private=True) == 0
        assert [r.json()["type"] for r in receiver.received] == ["item.killed"]
    assert [(d["event"], d["status"]) for d in _deliveries(db)] == [
        ("item.created", "superseded"), ("item.killed", "sent"),
    ]  # fmt: skip


def test_a_retried_announcement_is_superseded_even_while_it_waits_for_its_retry(
    db: Engine, wire: Any
) -> None:
    with Receiver(500) as receiver:
        _subscribe(db, receiver.url)
        wire("alpha", version="1")
        webhooks.run(db, allow_private=True)  # fails: retried in 5 s
        wire("alpha", version="2", pubstatus="canceled")
        receiver.status = 200
        _make_due(db)
        webhooks.run(db, allow_private=True)
        assert [r.json()["type"] for r in receiver.received] == ["item.created", "item.killed"]
    assert [(d["event"], d["status"], d["attempts"]) for d in _deliveries(db)] == [
        ("item.created", "superseded", 1), ("item.killed", "sent", 1),
    ]  # fmt: skip


def _insert_subscription(db: Engine, sub_id: str, url: str) -> None:
    """A subscription stored as-is, bypassing the checks of ``create`` (an older row)."""
    with db.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO subscriptions (id, url, secret, filters) VALUES (:id, :url, :s, '{}')"
            ),
            {"id": sub_id, "url": url, "s": "whsec_" + "A" * 43 + "="},
        )


def test_a_target_the_sender_cannot_parse_fails_alone_and_the_batch_is_recorded(
    db: Engine, wire: Any
) -> None:
    with Receiver(200) as receiver:
        _insert_subscription(db, "bad", "http://ex\u00adample.com/in")
        good = _subscribe(db, receiver.url)
        wire("alpha")
        assert webhooks.run(db, allow_private=True) == 1
        assert webhooks.run(db, allow_private=True) == 0  # nothing is sent twice
        assert len(receiver.received) == 1
    found = {d["subscription_id"]: d for d in _deliveries(db)}
    assert {k: (d["status"], d["attempts"], d["last_error"]) for k, d in found.items()} == {
        "bad": ("pending", 1, "unreadable URL (InvalidURL)"),
        good["id"]: ("sent", 1, None),
    }
    assert scheduled(found["bad"], 5)  # retried on the schedule, not looping every lease


def test_an_outcome_that_cannot_be_recorded_does_not_keep_the_others_from_being_recorded(
    db: Engine, wire: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = subscriptions.mark_sent

    def flaky(conn: Any, due: subscriptions.Due) -> bool:
        if due.id == 1:
            raise RuntimeError("database hiccup")
        return real(conn, due)

    monkeypatch.setattr(subscriptions, "mark_sent", flaky)
    with Receiver(200) as receiver:
        _subscribe(db, receiver.url)
        _subscribe(db, receiver.url)
        wire("alpha")
        assert webhooks.run(db, allow_private=True) == 1
    assert [(d["id"], d["status"], d["attempts"]) for d in _deliveries(db)] == [
        (1, "pending", 1), (2, "sent", 1),
    ]  # fmt: skip


def test_a_claim_takes_at_most_one_delivery_per_subscription(db: Engine, wire: Any) -> None:
    first = _subscribe(db, "http://127.0.0.1:9/a")
    second = _subscribe(db, "http://127.0.0.1:9/b")
    wire("alpha")
    wire(
        "alpha", uri="urn:example:2", headline="Ferry timetable changes",
        body_text="A different story about ferries and their new summer timetable.",
    )  # fmt: skip
    assert len(_deliveries(db)) == 4
    with db.begin() as conn:
        claimed = subscriptions.due_deliveries(conn, limit=10, lease=60)
    assert sorted(d.subscription_id for d in claimed) == sorted([first["id"], second["id"]])
    assert sorted(d.id for d in claimed) == [1, 2]  # the first story's: the oldest of each


def test_an_embargoed_story_is_not_due_before_its_embargo_but_its_kill_is_due_at_once(
    db: Engine, wire: Any
) -> None:
    _subscribe(db, "http://127.0.0.1:9/in")
    with db.connect() as conn:
        soon = conn.execute(text("SELECT now() + interval '2 hours'")).scalar_one()
    embargo = soon.strftime("%Y-%m-%dT%H:%M:%SZ")
    wire("alpha", version="1", embargoed=embargo)
    [created] = _deliveries(db)
    assert created["status"] == "pending" and 7100 < created["due_in"] <= 7200
    with db.begin() as conn:
        assert subscriptions.due_deliveries(conn, limit=10, lease=60) == []
    wire("alpha", version="2", embargoed=embargo, pubstatus="canceled")
    superseded, kill = _deliveries(db)
    assert (superseded["event"], superseded["status"]) == ("item.created", "superseded")
    assert 7000 < superseded["due_in"] <= created["due_in"]  # still the embargo (read later)
    assert (kill["event"], kill["status"]) == ("item.killed", "pending") and scheduled(kill, 0)


def test_finished_deliveries_older_than_a_week_are_pruned_pending_ones_never(
    db: Engine, wire: Any
) -> None:
    _subscribe(db, "http://127.0.0.1:9/in")
    for n in range(6):
        wire(
            "alpha", uri=f"urn:example:{n}", headline=f"Story number {n}",
            body_text=f"Story {n} about entirely unrelated matter number {n * 7919}.",
        )  # fmt: skip
    with db.begin() as conn:
        conn.execute(
            text(
                "UPDATE deliveries SET status = (ARRAY['sent','failed','superseded','pending',"
                "'sent','sent'])[id], created_at = now() - CASE WHEN id = 6 THEN interval '6 days' "
                "ELSE interval '8 days' END, next_attempt_at = now() - interval '8 days'"
            )
        )
        assert subscriptions.prune_deliveries(conn, batch=2) == 2
        assert subscriptions.prune_deliveries(conn, batch=2) == 2
        assert subscriptions.prune_deliveries(conn, batch=2) == 0
    assert [(d["id"], d["status"]) for d in _deliveries(db)] == [(4, "pending"), (6, "sent")]


def test_only_one_delivery_run_holds_the_lock_until_it_ends(servers: Any) -> None:
    client = redis.Redis.from_url(redis_client_url(servers.redis_url))
    key = "test:deliver:lock"
    client.delete(key)
    with webhooks.exclusive(client, key, 45) as first:
        with webhooks.exclusive(client, key, 45) as second:
            assert (first, second) == (True, False)
        assert 40 < client.ttl(key) <= 45  # the loser did not release the winner's lock
    assert client.exists(key) == 0
    with webhooks.exclusive(client, key, 45) as third:
        assert third is True
