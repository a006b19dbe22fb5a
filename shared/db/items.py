"""Items and their versions: identity is (partner, uri); the current version is decided by
``shared.versions.compare`` under a row lock, so racing workers serialise per item."""

from __future__ import annotations

import base64
import binascii
import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    and_,
    exists,
    func,
    insert,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert

from shared.db import clusters
from shared.db import search as fulltext
from shared.db.tables import item_versions, items, partners
from shared.dedupe_verdict import Candidate, NewItem, Thresholds, decide
from shared.errors import Invalid
from shared.ids import new_id
from shared.model import NormalisedItem, Verdict, rfc3339
from shared.serialise import contract_item, item_doc
from shared.versions import VersionStamp, compare, numeric_version

CANCELED = "canceled"
DEFAULT_THRESHOLDS = Thresholds()


@dataclass(frozen=True, slots=True)
class Stored:
    item_id: str | None
    verdict: Verdict
    uri: str | None = None  # the identity used: a taken-over uri for an edited page resend


def store_batch(
    conn: Connection,
    *,
    partner_id: int,
    batch: Sequence[NormalisedItem],
    submission_id: str,
    received_at: datetime,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
    window_hours: float = 72.0,
) -> list[Stored]:
    """Record a submission's items and say what each was (docs/api.md, Verdicts and versions),
    in one transaction, in four steps that keep concurrent batches free of deadlocks:

    1. an id-less item that nearly matches an item of the same partner takes over that uri
       (an edited resend of a page);
    2. identities and versions, in uri order (row locks are always taken in the same order);
    3. the band keys of every live item, claimed in one statement in key order;
    4. verdicts in batch order: a new uri whose text matches an earlier item's, from any
       partner, is its near duplicate, in its cluster; a new current version of an item nobody
       copies is checked again (it may now match, or no longer match, another story).
    """
    conn.execute(text("SET LOCAL lock_timeout = '10s'"))  # never wait for the task's hard limit
    found = [clusters.sketch(item) for item in batch]
    prepared = [
        _take_over(conn, partner_id, item, sketch, thresholds, window_hours)
        for item, sketch in zip(batch, found, strict=True)
    ]
    records: dict[int, Recorded] = {}
    for index in sorted(range(len(prepared)), key=lambda i: prepared[i].uri):
        records[index] = _record(
            conn, partner_id, prepared[index], found[index], submission_id, received_at
        )
    live = [i for i in range(len(batch)) if records[i].live]
    owners = clusters.claim_many(conn, [(found[i], records[i].stored.item_id) for i in live])
    later = {records[i].stored.item_id for i in live if records[i].created}
    out = [records[i].stored for i in range(len(batch))]
    for index in live:
        record = records[index]
        item_id = record.stored.item_id
        later.discard(item_id)
        also = owners.get(item_id, ()) if item_id is not None else ()
        cands = clusters.candidates(
            conn, found[index], prepared[index], also=also, window_hours=window_hours
        )
        cands = [c for c in cands if c.item_id != item_id and c.item_id not in later]
        out[index] = _link(conn, partner_id, prepared[index], record, cands, thresholds)
    return out


def _take_over(
    conn: Connection,
    partner_id: int,
    item: NormalisedItem,
    found: clusters.Sketch,
    thresholds: Thresholds,
    window_hours: float,
) -> NormalisedItem:
    if not item.uri_derived:
        return item
    before = clusters.candidates(conn, found, item, window_hours=window_hours)
    early = decide(_facts(partner_id, item), before, thresholds)
    if early.takeover_uri is None:
        return item
    return dataclasses.replace(item, uri=early.takeover_uri)


def _link(
    conn: Connection,
    partner_id: int,
    item: NormalisedItem,
    record: Recorded,
    cands: list[Candidate],
    thresholds: Thresholds,
) -> Stored:
    """Set the item's place among copies: near duplicate of its best candidate, or its own."""
    stored = record.stored
    facts = dataclasses.replace(_facts(partner_id, item), uri_derived=False)  # no late takeover
    if not record.created and _copied(conn, stored.item_id):
        return stored  # an original keeps its cluster whatever its new version says
    decision = decide(facts, cands, thresholds)
    if decision.verdict == Verdict.NEAR_DUPLICATE:
        link = {"duplicate_of": decision.duplicate_of, "cluster": decision.cluster}
    elif record.created:
        return stored
    else:
        link = {"duplicate_of": None, "cluster": stored.item_id}
    conn.execute(update(items).where(items.c.id == stored.item_id).values(**link))
    if record.created and decision.verdict == Verdict.NEAR_DUPLICATE:
        return Stored(stored.item_id, Verdict.NEAR_DUPLICATE, stored.uri)
    return stored


def _copied(conn: Connection, item_id: str | None) -> bool:
    """Whether other items link to this one (it started a cluster others joined)."""
    return bool(conn.execute(select(exists().where(
        or_(items.c.duplicate_of == item_id, items.c.cluster == item_id), items.c.id != item_id
    ))).scalar())  # fmt: skip


def _facts(partner_id: int, item: NormalisedItem) -> NewItem:
    return NewItem(partner_id, item.uri, item.uri_derived, item.fingerprint)


@dataclass(frozen=True, slots=True)
class Recorded:
    stored: Stored
    created: bool  # a new (partner, uri)
    live: bool  # its text is now current and it is not killed: it takes part in dedupe


def _record(
    conn: Connection,
    partner_id: int,
    item: NormalisedItem,
    found: clusters.Sketch,
    submission_id: str,
    received_at: datetime,
) -> Recorded:
    """Identity and version: insert or lock the (partner, uri) row, record the version, make it
    current if it is newer. A kill also forgets the item's band keys."""
    processed_at = datetime.now(UTC)
    full = {
        **item_doc(item),
        "received_at": rfc3339(received_at),
        "processed_at": rfc3339(processed_at),
        "submission_id": submission_id,
    }
    fresh_id = new_id()
    created = (
        conn.execute(
            pg_insert(items)
            .values(
                id=fresh_id,
                partner_id=partner_id,
                uri=item.uri,
                uri_derived=item.uri_derived,
                version=item.version,
                versioncreated=item.versioncreated,
                received_at=received_at,
                language=item.language,
                pubstatus=item.pubstatus,
                fingerprint=item.fingerprint,
                cluster=fresh_id,
                versions=0,
                doc=full,
            )
            .on_conflict_do_nothing(index_elements=["partner_id", "uri"])
            .returning(items.c.id)
        ).first()
        is not None
    )
    current = conn.execute(
        select(items)
        .where(items.c.partner_id == partner_id, items.c.uri == item.uri)
        .with_for_update()
    ).one()
    if not created and _seen(conn, current.id, item):
        return Recorded(Stored(current.id, Verdict.DUPLICATE, item.uri), False, False)
    version_id = conn.execute(
        insert(item_versions)
        .values(
            item_id=current.id,
            version=item.version,
            version_num=numeric_version(item.version),
            versioncreated=item.versioncreated,
            fingerprint=item.fingerprint,
            pubstatus=item.pubstatus,
            submission_id=submission_id,
            received_at=received_at,
            processed_at=processed_at,
            doc=full,
        )
        .returning(item_versions.c.id)
    ).scalar_one()
    killed = item.pubstatus == CANCELED or current.pubstatus == CANCELED
    newer = (
        created
        or compare(
            VersionStamp(item.version, item.versioncreated, received_at),
            VersionStamp(current.version, current.versioncreated, current.received_at),
        )
        > 0
    )
    values: dict[str, Any] = {"versions": items.c.versions + 1}
    if newer:
        values.update(
            version=item.version,
            versioncreated=item.versioncreated,
            received_at=received_at,
            language=item.language,
            fingerprint=item.fingerprint,
            current_version_id=version_id,
            doc=full,
            search=fulltext.document(item),
            signature=found.signature,
        )
    if killed:
        values["pubstatus"] = CANCELED
        base = full if newer else current.doc
        values["doc"] = {**base, "pubstatus": CANCELED}
    if item.pubstatus == CANCELED:
        # The kill is the item's latest change, whatever its version: readers of the change
        # feed (the stream) must see it.
        values["current_version_id"] = version_id
    elif newer:
        values["pubstatus"] = item.pubstatus
    conn.execute(update(items).where(items.c.id == current.id).values(**values))
    if killed:
        clusters.forget(conn, current.id)
    if item.pubstatus == CANCELED and current.pubstatus != CANCELED:
        clusters.hand_over(conn, current.id)
    if item.pubstatus == CANCELED:
        return Recorded(Stored(current.id, Verdict.KILLED, item.uri), created, False)
    if created:
        return Recorded(Stored(current.id, Verdict.NEW, item.uri), True, not killed)
    verdict = Verdict.NEW_VERSION if newer else Verdict.STALE
    return Recorded(Stored(current.id, verdict, item.uri), False, newer and not killed)


def _seen(conn: Connection, item_id: str, item: NormalisedItem) -> bool:
    same_version = (
        item_versions.c.version.is_(None)
        if item.version is None
        else item_versions.c.version == item.version
    )
    return bool(
        conn.execute(
            select(
                exists().where(
                    item_versions.c.item_id == item_id,
                    same_version,
                    item_versions.c.fingerprint == item.fingerprint,
                    item_versions.c.pubstatus == item.pubstatus,
                )
            )
        ).scalar()
    )


def server_fields(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "partner": row.slug,
        "duplicate_of": row.duplicate_of,
        "cluster": row.cluster,
        "versions": row.versions,
    }


# What every read of an API item selects (with the partner joined for its slug).
ITEM_COLUMNS = (
    items.c.id,
    partners.c.slug,
    items.c.duplicate_of,
    items.c.cluster,
    items.c.versions,
    items.c.doc,
    items.c.versioncreated,
)


def get(conn: Connection, item_id: str) -> dict[str, Any] | None:
    row = conn.execute(
        select(*ITEM_COLUMNS)
        .join(partners, partners.c.id == items.c.partner_id)
        .where(items.c.id == item_id)
    ).first()
    return contract_item(row.doc, server_fields(row)) if row else None


def versions(conn: Connection, item_id: str) -> list[dict[str, Any]] | None:
    """Every recorded version of an item, newest first by version order; None if unknown."""
    head = conn.execute(
        select(*ITEM_COLUMNS, items.c.current_version_id)
        .join(partners, partners.c.id == items.c.partner_id)
        .where(items.c.id == item_id)
    ).first()
    if head is None:
        return None
    rows = conn.execute(
        select(item_versions.c.id, item_versions.c.doc)
        .where(item_versions.c.item_id == item_id)
        .order_by(
            item_versions.c.version_num.desc().nulls_last(),
            item_versions.c.versioncreated.desc(),
            item_versions.c.received_at.desc(),
            item_versions.c.id.desc(),
        )
    ).all()
    server = server_fields(head)
    return [
        {**contract_item(r.doc, server), "current": r.id == head.current_version_id} for r in rows
    ]


@dataclass(frozen=True, slots=True)
class ItemQuery:
    partner: str | None = None
    language: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    subject: str | None = None
    pubstatus: str | None = None
    q: str | None = None
    include_duplicates: bool = False
    limit: int = 50
    cursor: str | None = None


def _has_subject(value: str) -> ColumnElement[bool]:
    """A subject given as ``code``, ``scheme:code`` or its name (case as stored)."""
    subjects = items.c.doc["subjects"]
    scheme, sep, code = value.partition(":")
    wanted = [[{"code": value}], [{"name": value}]]
    if sep and scheme and code:
        wanted.append([{"scheme": scheme, "code": code}])
    return or_(*(subjects.contains(w) for w in wanted))


def encode_cursor(versioncreated: datetime, item_id: str) -> str:
    raw = f"{versioncreated.astimezone(UTC).isoformat()}|{item_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        stamp, item_id = raw.split("|", 1)
        if "\x00" in item_id or not item_id:  # PostgreSQL text cannot hold U+0000
            raise ValueError("no item id")
        found = datetime.fromisoformat(stamp)
        if found.tzinfo is None:
            raise ValueError("a naive stamp")
        return found, item_id
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise Invalid(
            "the cursor is not one this API issued",
            errors=[{"field": "cursor", "message": "unreadable"}],
        ) from exc


def language_matches(language: str) -> ColumnElement[bool]:
    """``en`` matches ``en`` and ``en-GB`` (case-insensitive), never ``eng``."""
    lang = language.lower()
    return or_(
        func.lower(items.c.language) == lang,
        func.lower(items.c.language).startswith(lang + "-", autoescape=True),
    )


def search(conn: Connection, query: ItemQuery) -> tuple[list[dict[str, Any]], str | None]:
    """Items newest first (versioncreated, then id), with a cursor for the next page."""
    stmt = select(*ITEM_COLUMNS).join(partners, partners.c.id == items.c.partner_id)
    if query.partner:
        stmt = stmt.where(partners.c.slug == query.partner)
    if query.language:
        stmt = stmt.where(language_matches(query.language))
    if query.since:
        stmt = stmt.where(items.c.versioncreated >= query.since)
    if query.until:
        stmt = stmt.where(items.c.versioncreated <= query.until)
    if query.pubstatus:
        stmt = stmt.where(items.c.pubstatus == query.pubstatus)
    if query.subject:
        stmt = stmt.where(_has_subject(query.subject))
    if query.q:
        stmt = stmt.where(fulltext.matches(query.q, query.language))
    if not query.include_duplicates:
        stmt = stmt.where(items.c.duplicate_of.is_(None))
    if query.cursor:
        stamp, last_id = decode_cursor(query.cursor)
        stmt = stmt.where(
            or_(
                items.c.versioncreated < stamp,
                and_(items.c.versioncreated == stamp, items.c.id < last_id),
            )
        )
    rows = conn.execute(
        stmt.order_by(items.c.versioncreated.desc(), items.c.id.desc()).limit(query.limit + 1)
    ).all()
    page = rows[: query.limit]
    nxt = encode_cursor(page[-1].versioncreated, page[-1].id) if len(rows) > query.limit else None
    return [contract_item(r.doc, server_fields(r)) for r in page], nxt
