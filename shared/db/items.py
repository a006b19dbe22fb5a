"""Items and their versions: identity is (partner, uri); the current version is decided by
``shared.versions.compare`` under a row lock, so racing workers serialise per item."""

from __future__ import annotations

import base64
import binascii
import dataclasses
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, exists, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from shared.db import clusters
from shared.db import search as fulltext
from shared.db.tables import item_versions, items, partners
from shared.dedupe_verdict import NewItem, Thresholds, decide
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


def store(
    conn: Connection,
    *,
    partner_id: int,
    item: NormalisedItem,
    submission_id: str,
    received_at: datetime,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
) -> Stored:
    """Record one normalised item version and say what it was (DESIGN §6 verdicts).

    An id-less item that nearly matches an item of the same partner takes over that uri (an
    edited resend of a page); a new uri whose text matches another item's, from any partner,
    is stored as its near duplicate, in its cluster.
    """
    found = clusters.sketch(item)
    if item.uri_derived:
        before = clusters.candidates(conn, found, item.fingerprint)
        early = decide(_facts(partner_id, item), before, thresholds)
        if early.takeover_uri is not None:
            item = dataclasses.replace(item, uri=early.takeover_uri)
    stored, created = _record(conn, partner_id, item, found, submission_id, received_at)
    if stored.item_id is None or stored.verdict == Verdict.DUPLICATE:
        return stored
    owners = clusters.claim(conn, found, stored.item_id)
    if not created:
        return stored
    # Candidates now include any competitor that committed the same bands while we waited.
    cands = clusters.candidates(conn, found, item.fingerprint, also=owners)
    facts = dataclasses.replace(_facts(partner_id, item), uri_derived=False)  # no late takeover
    decision = decide(facts, [c for c in cands if c.item_id != stored.item_id], thresholds)
    if decision.verdict != Verdict.NEAR_DUPLICATE:
        return stored
    conn.execute(update(items).where(items.c.id == stored.item_id).values(
        duplicate_of=decision.duplicate_of, cluster=decision.cluster))  # fmt: skip
    if stored.verdict == Verdict.KILLED:
        return stored
    return Stored(stored.item_id, Verdict.NEAR_DUPLICATE, stored.uri)


def _facts(partner_id: int, item: NormalisedItem) -> NewItem:
    return NewItem(partner_id, item.uri, item.uri_derived, item.fingerprint)


def _record(
    conn: Connection,
    partner_id: int,
    item: NormalisedItem,
    found: clusters.Sketch,
    submission_id: str,
    received_at: datetime,
) -> tuple[Stored, bool]:
    """Identity and version: insert or lock the (partner, uri) row, record the version, make it
    current if it is newer. Returns the verdict and whether the item is new."""
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
        return Stored(current.id, Verdict.DUPLICATE, item.uri), False
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
    elif newer:
        values["pubstatus"] = item.pubstatus
    conn.execute(update(items).where(items.c.id == current.id).values(**values))
    if item.pubstatus == CANCELED:
        return Stored(current.id, Verdict.KILLED, item.uri), created
    if created:
        return Stored(current.id, Verdict.NEW, item.uri), created
    verdict = Verdict.NEW_VERSION if newer else Verdict.STALE
    return Stored(current.id, verdict, item.uri), created


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


def _server_fields(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "partner": row.slug,
        "duplicate_of": row.duplicate_of,
        "cluster": row.cluster,
        "versions": row.versions,
    }


_COLUMNS = (
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
        select(*_COLUMNS)
        .join(partners, partners.c.id == items.c.partner_id)
        .where(items.c.id == item_id)
    ).first()
    return contract_item(row.doc, _server_fields(row)) if row else None


def versions(conn: Connection, item_id: str) -> list[dict[str, Any]] | None:
    """Every recorded version of an item, newest first by version order; None if unknown."""
    head = conn.execute(
        select(*_COLUMNS, items.c.current_version_id)
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
    server = _server_fields(head)
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
        return datetime.fromisoformat(stamp), item_id
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise Invalid(
            "the cursor is not one this API issued",
            errors=[{"field": "cursor", "message": "unreadable"}],
        ) from exc


def search(conn: Connection, query: ItemQuery) -> tuple[list[dict[str, Any]], str | None]:
    """Items newest first (versioncreated, then id), with a cursor for the next page."""
    stmt = select(*_COLUMNS).join(partners, partners.c.id == items.c.partner_id)
    if query.partner:
        stmt = stmt.where(partners.c.slug == query.partner)
    if query.language:
        lang = query.language.lower()
        stmt = stmt.where(
            or_(
                func.lower(items.c.language) == lang,
                func.lower(items.c.language).startswith(lang + "-", autoescape=True),
            )
        )
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
    return [contract_item(r.doc, _server_fields(r)) for r in page], nxt
