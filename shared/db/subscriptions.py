"""Webhook subscriptions and their delivery outbox.

    pending ──claim (lease, attempts+1)──▶ sent
     │ ▲            │
     │ └── retry ◀──┤  after 5 s, 5 min, 30 min, 2 h, 5 h, then every 10 h (~3.2 days in all)
     │              └──▶ failed  (schedule exhausted, 410 Gone, or the subscription disabled)
     └──▶ superseded  (a newer delivery of the same item to the same subscription; never sent)

Payloads are snapshots of the item, so the newest delivery of an item always carries its
current state: enqueueing one supersedes that (subscription, item)'s pending older ones, and a
retried ``item.created`` can never land after the ``item.killed`` that followed it. A delivery
of an embargoed item is not due before the embargo (a kill is due at once). Finished
deliveries (sent, failed, superseded) are pruned after ``KEEP_DELIVERIES``.

Deliveries are written in the worker's store transaction (``enqueue_deliveries``), so an item is
announced if and only if it is stored. Which stored items are announced: a new item
(``item.created``) and a new current version (``item.updated``) of a canonical item — not a
near duplicate, which the item list hides too — and every kill (``item.killed``), near duplicate
or not, since a publisher that holds the item must take it down. Duplicates and stale versions
change nothing a publisher shows and are not announced. A kill ignores the ``pubstatus``
filter: it is how a usable item stops being usable.

A claim pushes ``next_attempt_at`` past the sender's time limit (a lease) and increments
``attempts``, the fencing token: a sender that lost its lease cannot record an outcome. A
subscription whose deliveries fail for three days (no success in between) is disabled when a
delivery exhausts its schedule, and its pending deliveries fail with it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, delete, func, insert, literal, select, tuple_, update
from sqlalchemy.dialects.postgresql import distinct_on

from shared.core.errors import Invalid, NotFound
from shared.core.ids import new_id
from shared.core.model import PubStatus, Verdict, rfc3339
from shared.db import item_reads, items
from shared.db.tables import deliveries, partners, subscriptions
from shared.output.webhooks import check_url, encodable, new_secret

FILTERS = ("partner", "language", "subject", "pubstatus")
PUBSTATUS = tuple(PubStatus)
EVENTS = {
    Verdict.NEW: "item.created",
    Verdict.NEW_VERSION: "item.updated",
    Verdict.KILLED: "item.killed",
}
_PRIORITY = ("item.killed", "item.created", "item.updated")
RETRY_DELAYS = (5, 300, 1800, 7200, 18000, *(36000,) * 7)  # seconds after attempt n fails
DISABLE_AFTER = timedelta(days=3)
KEEP_DELIVERIES = timedelta(days=7)
FINISHED = ("sent", "failed", "superseded")
MAX_FILTER = 200
_LANGUAGE = re.compile(r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$")
_PUBLIC = (
    subscriptions.c.id, subscriptions.c.url, subscriptions.c.filters, subscriptions.c.created_at,
    subscriptions.c.created_by, subscriptions.c.disabled_at, subscriptions.c.disabled_reason,
    subscriptions.c.failing_since,
)  # fmt: skip


def create(
    conn: Connection,
    *,
    url: str,
    filters: Any = None,
    created_by: str | None = None,
    allow_private: bool = False,
) -> dict[str, Any]:
    """A new active subscription, its secret included (the only time it is returned).
    Raises ``Invalid`` naming ``/url`` or ``/filters/<name>``."""
    check_url(url, allow_private=allow_private)
    clean = validate_filters(conn, filters)
    row = conn.execute(
        insert(subscriptions)
        .values(id=new_id(), url=url, secret=new_secret(), filters=clean, created_by=created_by)
        .returning(*_PUBLIC, subscriptions.c.secret)
    ).one()
    return dict(row._mapping)


def validate_filters(conn: Connection, raw: Any) -> dict[str, str]:
    """The filters as stored: known names only, non-empty strings, an existing partner."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise Invalid("filters must be an object", errors=[_error("", "must be an object")])
    errors, clean = [], {}
    for name, value in raw.items():
        problem = _filter_problem(name, value)
        if problem:
            errors.append(_error(name, problem))
        elif value is not None:
            clean[name] = value
    partner = clean.get("partner")
    if (
        partner
        and conn.execute(select(partners.c.id).where(partners.c.slug == partner)).first() is None
    ):
        errors.append(_error("partner", f"no partner {partner!r}"))
    if errors:
        raise Invalid("the subscription's filters are invalid", errors=errors)
    return clean


def _filter_problem(name: str, value: Any) -> str | None:
    if name not in FILTERS:
        return f"unknown filter; use {', '.join(FILTERS)}"
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_FILTER:
        return f"must be a non-empty string of at most {MAX_FILTER} characters"
    if not encodable(value):
        return "must be valid Unicode text (no lone surrogates, no NUL)"
    if any(ord(c) < 0x20 for c in value):
        return "must not contain control characters"
    if name == "pubstatus" and value not in PUBSTATUS:
        return f"must be one of {', '.join(PUBSTATUS)}"
    if name == "language" and not _LANGUAGE.match(value):
        return "must be a language tag such as en or en-GB"
    return None


def _error(name: str, message: str) -> dict[str, str]:
    pointer = name.replace("~", "~0").replace("/", "~1")
    pointer = pointer.encode("utf-8", "backslashreplace").decode("utf-8")  # lone surrogates
    return {"field": f"/filters/{pointer}" if name else "/filters", "message": message}


def list_all(conn: Connection) -> list[dict[str, Any]]:
    """Every subscription, oldest first, without secrets."""
    rows = conn.execute(select(*_PUBLIC).order_by(subscriptions.c.created_at, subscriptions.c.id))
    return [dict(r._mapping) for r in rows]


def get(conn: Connection, subscription_id: str) -> dict[str, Any] | None:
    """One subscription without its secret, with its deliveries counted by status."""
    row = conn.execute(select(*_PUBLIC).where(subscriptions.c.id == subscription_id)).first()
    if row is None:
        return None
    counts = dict.fromkeys(("pending", "sent", "failed"), 0)
    for status, count in conn.execute(
        select(deliveries.c.status, func.count())
        .where(deliveries.c.subscription_id == subscription_id)
        .group_by(deliveries.c.status)
    ):
        counts[status] = count
    return {**row._mapping, "deliveries": counts}


def delete_one(conn: Connection, subscription_id: str) -> None:
    """Remove a subscription and its deliveries; raises ``NotFound``."""
    gone = conn.execute(delete(subscriptions).where(subscriptions.c.id == subscription_id))
    if gone.rowcount == 0:
        raise NotFound(f"no subscription {subscription_id!r}")


def events(stored: Iterable[items.Stored]) -> list[tuple[str, str]]:
    """(item id, event) for the stored results a publisher hears about (see the module doc)."""
    return [
        (s.item_id, EVENTS[s.verdict])
        for s in stored
        if s.item_id is not None and s.verdict in EVENTS
    ]


def enqueue_deliveries(conn: Connection, item_events: Sequence[tuple[str, str]]) -> int:
    """Insert one pending delivery per (matching active subscription, item), in the caller's
    transaction; an item met twice in a batch is announced once, by its strongest event.
    The subscriptions are key-share locked, so a concurrent DELETE waits for this commit."""
    if not item_events:
        return 0
    active = conn.execute(
        select(subscriptions.c.id, subscriptions.c.filters)
        .where(subscriptions.c.disabled_at.is_(None))
        .order_by(subscriptions.c.id)
        .with_for_update(read=True, key_share=True)
    ).all()
    if not active:
        return 0
    rows = []
    now = conn.execute(select(func.now())).scalar_one()
    for item_id, event in _strongest(item_events).items():
        item = item_reads.get(conn, item_id)
        if item is None or (event != "item.killed" and item["duplicate_of"] is not None):
            continue
        due = _not_before(item, event, now)
        rows += [
            {
                "subscription_id": s.id, "item_id": item_id, "event": event, "payload": item,
                "next_attempt_at": due,
            }
            for s in active
            if matches(s.filters, item, event)
        ]  # fmt: skip
    if rows:
        supersede(conn, [(r["subscription_id"], r["item_id"]) for r in rows])
        conn.execute(insert(deliveries), rows)
    return len(rows)


def _not_before(item: dict[str, Any], event: str, now: datetime) -> datetime:
    """When a delivery is first due: now, or the item's embargo if later (kills never wait)."""
    embargoed = item.get("embargoed")
    if event == "item.killed" or not embargoed:
        return now
    return max(now, datetime.fromisoformat(embargoed))


def supersede(conn: Connection, pairs: Sequence[tuple[str, str]]) -> int:
    """Mark the pending deliveries of these (subscription, item) pairs ``superseded``: they are
    never sent (a sender holding one cannot record it: the status fences it out)."""
    done = conn.execute(
        update(deliveries)
        .where(
            deliveries.c.status == "pending",
            tuple_(deliveries.c.subscription_id, deliveries.c.item_id).in_(pairs),
        )
        .values(status="superseded", last_error="superseded by a newer delivery")
    )
    return int(done.rowcount or 0)


def prune_deliveries(conn: Connection, *, batch: int = 10_000) -> int:
    """Delete up to ``batch`` finished deliveries (sent, failed, superseded) created more than
    ``KEEP_DELIVERIES`` ago; returns how many went. Pending ones are never pruned."""
    cutoff = func.now() - literal(KEEP_DELIVERIES)
    doomed = (
        select(deliveries.c.id)
        .where(
            deliveries.c.status.in_(FINISHED),
            deliveries.c.next_attempt_at < cutoff,  # deliveries_due_idx; <= its last attempt
            deliveries.c.created_at < cutoff,
        )
        .limit(batch)
    )
    return int(conn.execute(delete(deliveries).where(deliveries.c.id.in_(doomed))).rowcount or 0)


def _strongest(item_events: Sequence[tuple[str, str]]) -> dict[str, str]:
    best: dict[str, str] = {}
    for item_id, event in item_events:
        if item_id not in best or _PRIORITY.index(event) < _PRIORITY.index(best[item_id]):
            best[item_id] = event
    return best


def matches(filters: dict[str, str], item: dict[str, Any], event: str) -> bool:
    """The filters of ``GET /v1/items`` applied to one contract item."""
    language = (item.get("language") or "").lower()
    wanted = filters.get("language", "").lower()
    checks = (
        "partner" not in filters or item.get("partner") == filters["partner"],
        not wanted or language == wanted or language.startswith(wanted + "-"),
        "subject" not in filters or _has_subject(item.get("subjects") or [], filters["subject"]),
        "pubstatus" not in filters
        or event == "item.killed"
        or item.get("pubstatus") == filters["pubstatus"],
    )
    return all(checks)


def _has_subject(subjects: list[dict[str, Any]], value: str) -> bool:
    scheme, sep, code = value.partition(":")
    for subject in subjects:
        if value in (subject.get("code"), subject.get("name")):
            return True
        if (
            sep
            and scheme
            and code
            and (subject.get("scheme"), subject.get("code")) == (scheme, code)
        ):
            return True
    return False


@dataclass(frozen=True, slots=True)
class Due:
    """A claimed delivery: everything the sender needs, and ``attempt``, its fencing token."""

    id: int
    subscription_id: str
    url: str
    secret: str = field(repr=False)
    event: str
    payload: dict[str, Any]
    created_at: datetime
    attempt: int


def due_deliveries(conn: Connection, *, limit: int, lease: float) -> list[Due]:
    """Claim up to ``limit`` due deliveries of active subscriptions, at most one per
    subscription (a slow receiver holds one sender thread, not a batch), oldest due first: each
    is hidden from other claims for ``lease`` seconds and its ``attempts`` incremented."""
    due = (
        deliveries.c.status == "pending",
        deliveries.c.next_attempt_at <= func.now(),
        subscriptions.c.disabled_at.is_(None),
    )
    first_per_subscription = (
        select(deliveries.c.id)
        .join(subscriptions, subscriptions.c.id == deliveries.c.subscription_id)
        .where(*due)
        .ext(distinct_on(deliveries.c.subscription_id))
        .order_by(deliveries.c.subscription_id, deliveries.c.next_attempt_at, deliveries.c.id)
    )
    ids = (
        conn.execute(
            select(deliveries.c.id)
            .join(subscriptions, subscriptions.c.id == deliveries.c.subscription_id)
            .where(deliveries.c.id.in_(first_per_subscription), *due)
            .order_by(deliveries.c.next_attempt_at, deliveries.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True, of=deliveries)
        )
        .scalars()
        .all()
    )
    if not ids:
        return []
    claimed = conn.execute(
        update(deliveries)
        .where(deliveries.c.id.in_(ids))
        .values(
            attempts=deliveries.c.attempts + 1,
            next_attempt_at=func.now() + timedelta(seconds=lease),
        )
        .returning(deliveries.c.id)
    )
    rows = conn.execute(
        select(
            deliveries.c.id, deliveries.c.subscription_id, subscriptions.c.url,
            subscriptions.c.secret, deliveries.c.event, deliveries.c.payload,
            deliveries.c.created_at, deliveries.c.attempts.label("attempt"),
        )
        .join(subscriptions, subscriptions.c.id == deliveries.c.subscription_id)
        .where(deliveries.c.id.in_(claimed.scalars().all()))
        .order_by(deliveries.c.id)
    ).all()  # fmt: skip
    return [Due(**r._mapping) for r in rows]


def _fenced(due: Due) -> Any:
    return update(deliveries).where(
        deliveries.c.id == due.id,
        deliveries.c.attempts == due.attempt,
        deliveries.c.status == "pending",
    )


def mark_sent(conn: Connection, due: Due) -> bool:
    """Record a 2xx answer; the subscription is no longer failing. False if the claim was lost."""
    done = conn.execute(_fenced(due).values(status="sent", sent_at=func.now(), last_error=None))
    if done.rowcount:
        conn.execute(
            update(subscriptions)
            .where(subscriptions.c.id == due.subscription_id)
            .values(failing_since=None)
        )
    return bool(done.rowcount)


def retry_delay(attempt: int) -> int | None:
    """Seconds to wait after failed attempt ``attempt`` (1-based); None once exhausted."""
    return RETRY_DELAYS[attempt - 1] if 1 <= attempt <= len(RETRY_DELAYS) else None


def mark_failed(conn: Connection, due: Due, error: str) -> str:
    """Record a failed attempt: ``retry`` (rescheduled), ``failed`` (schedule exhausted),
    ``disabled`` (exhausted after three days without a success: the subscription is disabled)
    or ``lost`` (another sender holds the delivery now)."""
    delay = retry_delay(due.attempt)
    values: dict[str, Any] = {"last_error": error[:500]}
    if delay is None:
        values["status"] = "failed"
    else:
        values["next_attempt_at"] = func.now() + timedelta(seconds=delay)
    if conn.execute(_fenced(due).values(**values)).rowcount == 0:
        return "lost"
    since = conn.execute(
        update(subscriptions)
        .where(subscriptions.c.id == due.subscription_id)
        .values(failing_since=func.coalesce(subscriptions.c.failing_since, func.now()))
        .returning(subscriptions.c.failing_since, func.now().label("now"))
    ).one()
    if delay is not None:
        return "retry"
    if since.now - since.failing_since >= DISABLE_AFTER:
        disable(conn, due.subscription_id, f"failing since {rfc3339(since.failing_since)}")
        return "disabled"
    return "failed"


def mark_gone(conn: Connection, due: Due) -> bool:
    """The receiver answered 410 Gone: the delivery fails and the subscription is disabled."""
    if conn.execute(_fenced(due).values(status="failed", last_error="HTTP 410")).rowcount == 0:
        return False
    disable(conn, due.subscription_id, "the receiver answered 410 Gone")
    return True


def disable(conn: Connection, subscription_id: str, reason: str) -> None:
    """Stop a subscription: no new deliveries, and its pending ones fail."""
    conn.execute(
        update(subscriptions)
        .where(subscriptions.c.id == subscription_id, subscriptions.c.disabled_at.is_(None))
        .values(disabled_at=func.now(), disabled_reason=reason)
    )
    conn.execute(
        update(deliveries)
        .where(deliveries.c.subscription_id == subscription_id, deliveries.c.status == "pending")
        .values(status="failed", last_error=f"subscription disabled: {reason}"[:500])
    )
