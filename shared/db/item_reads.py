"""The read side of items: one item, a page of items (filters, full-text search, two orders,
cursors), an item's versions and its duplicates, each bounded in count and in bytes. The write
side (identity, versions, verdicts) is ``shared.db.items``."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Text,
    and_,
    cast,
    func,
    or_,
    select,
    tuple_,
)

from shared.core.errors import Invalid
from shared.core.model import PubStatus
from shared.db import search as fulltext
from shared.db.tables import item_versions, items, partners
from shared.output.serialise import contract_item


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


def get_many(
    conn: Connection,
    item_ids: Sequence[str],
    *,
    limit: int,
    max_bytes: int | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """The items of ``item_ids`` in id order: at most ``limit`` of them, the page stopping short
    of ``max_bytes`` as in ``search``; and the id to continue after, None when none is left."""
    if not item_ids:
        return [], None
    stmt = (
        select(*ITEM_COLUMNS, _size(items.c.doc))
        .join(partners, partners.c.id == items.c.partner_id)
        .where(items.c.id.in_(sorted(item_ids)))
        .order_by(items.c.id)
    )
    page, last, more = _fill(
        conn, stmt, limit, max_bytes, lambda r: contract_item(r.doc, server_fields(r))
    )
    return page, last.id if more and last is not None else None


def versions(
    conn: Connection,
    item_id: str,
    *,
    limit: int = 50,
    cursor: str | None = None,
    max_bytes: int | None = None,
) -> tuple[list[dict[str, Any]], str | None] | None:
    """A page of the item's recorded versions, newest first by version order, and the cursor of
    the next page (None on the last); None if the item is unknown. ``max_bytes`` caps the page
    as in ``search``."""
    head = conn.execute(
        select(*ITEM_COLUMNS, items.c.current_version_id)
        .join(partners, partners.c.id == items.c.partner_id)
        .where(items.c.id == item_id)
    ).first()
    if head is None:
        return None
    v = item_versions.c
    stmt = select(v.id, v.doc, _size(v.doc)).where(v.item_id == item_id)
    if cursor is not None:
        stmt = stmt.where(_after_version(conn, item_id, _decode_key(cursor, "v")))
    stmt = stmt.order_by(
        v.version_num.desc().nulls_last(),
        v.versioncreated.desc(),
        v.received_at.desc(),
        v.id.desc(),
    )
    server = server_fields(head)
    page, last, more = _fill(
        conn,
        stmt.limit(limit + 1),
        limit,
        max_bytes,
        lambda r: {**contract_item(r.doc, server), "current": r.id == head.current_version_id},
    )
    return page, _encode_key("v", str(last.id)) if more and last is not None else None


def _after_version(conn: Connection, item_id: str, key: str) -> ColumnElement[bool]:
    """The versions after the cursor's one in version order (numbered ones first, larger first;
    then later ``versioncreated``, later arrival, higher id)."""
    v = item_versions.c
    found = None
    if key.isascii() and key.isdigit() and int(key) < 2**63:
        found = conn.execute(
            select(v.version_num, v.versioncreated, v.received_at, v.id).where(
                v.id == int(key), v.item_id == item_id
            )
        ).first()
    if found is None:
        raise _bad_cursor()
    rest = tuple_(v.versioncreated, v.received_at, v.id) < tuple_(
        found.versioncreated, found.received_at, found.id
    )
    if found.version_num is None:
        return and_(v.version_num.is_(None), rest)
    return or_(
        v.version_num.is_(None),
        v.version_num < found.version_num,
        and_(v.version_num == found.version_num, rest),
    )


# Rows a page reads ahead of what it keeps: a page's memory is its byte budget plus these.
READ_AHEAD = 4
# What an item's JSON may hold beyond its stored document: the fields the API adds (id,
# partner, cluster, duplicate_of, versions, ``current``). The document as PostgreSQL writes it
# has a space after every ``:`` and ``,``, which the API's compact JSON does not.
ITEM_ALLOWANCE = 256


def _size(doc: Any) -> Any:
    """A row's cost against a page's byte budget: its document's JSON size, as PostgreSQL
    writes it (computed for the rows read only), plus ``ITEM_ALLOWANCE``."""
    return (func.octet_length(cast(doc, Text)) + ITEM_ALLOWANCE).label("size")


def _fill(
    conn: Connection,
    stmt: Any,
    limit: int,
    max_bytes: int | None,
    render: Callable[[Any], dict[str, Any]],
) -> tuple[list[dict[str, Any]], Any, bool]:
    """Render the rows of ``stmt`` (which selects ``_size``; streamed from a server-side cursor,
    a few rows at a time) until the page holds ``limit`` items or the next would take it past
    ``max_bytes`` (the first item always goes in). Returns the page, the last row kept and
    whether rows remain."""
    page: list[dict[str, Any]] = []
    size, last, more = 0, None, False
    streamed = conn.execution_options(stream_results=True, max_row_buffer=READ_AHEAD)
    result = streamed.execute(stmt)
    try:
        for row in result:
            if len(page) == limit or (
                page and max_bytes is not None and size + row.size > max_bytes
            ):
                more = True
                break
            page.append(render(row))
            size += row.size
            last = row
    finally:
        result.close()
    return page, last, more


def _encode_key(kind: str, key: str) -> str:
    return base64.urlsafe_b64encode(f"{kind}|{key}".encode()).decode().rstrip("=")


def _decode_key(cursor: str, kind: str) -> str:
    """The key of a cursor made by ``_encode_key(kind, …)``; ``Invalid`` for anything else."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise _bad_cursor() from exc
    found, sep, key = raw.partition("|")
    if found != kind or not sep or not key or "\x00" in key:
        raise _bad_cursor()
    return key


def _bad_cursor() -> Invalid:
    return Invalid(
        "the cursor is not one this API issued",
        errors=[{"field": "cursor", "message": "unreadable"}],
    )


def encode_member_cursor(item_id: str) -> str:
    """The cursor of a page of an item's cluster members that ends at ``item_id``."""
    return _encode_key("d", item_id)


def decode_member_cursor(cursor: str) -> str:
    return _decode_key(cursor, "d")


# The orders of the item list: the item's own time (its current ``versioncreated``), or when the
# current version arrived (``received_at``, the desk's "newest received"); id breaks ties.
SORTS = ("versioncreated", "received")
_RECEIVED_PREFIX = "received|"  # marks a cursor of the received order (the other has none)


@dataclass(frozen=True, slots=True)
class ItemQuery:
    partner: str | None = None
    language: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    subject: str | None = None
    pubstatus: PubStatus | None = None
    q: str | None = None
    include_duplicates: bool = False
    limit: int = 50
    cursor: str | None = None
    max_bytes: int | None = None  # a page stops before its items' JSON would pass this
    sort: str = "versioncreated"  # or "received": newest ``received_at`` first (SORTS)


def _has_subject(value: str) -> ColumnElement[bool]:
    """A subject given as ``code``, ``scheme:code`` or its name (case as stored)."""
    subjects = items.c.doc["subjects"]
    scheme, sep, code = value.partition(":")
    wanted = [[{"code": value}], [{"name": value}]]
    if sep and scheme and code:
        wanted.append([{"scheme": scheme, "code": code}])
    return or_(*(subjects.contains(w) for w in wanted))


def encode_cursor(stamp: datetime, item_id: str, sort: str = "versioncreated") -> str:
    """The cursor after the item at ``stamp`` (its time in the ``sort`` order) and ``item_id``.
    A cursor of the received order is marked, so that neither order takes the other's."""
    prefix = _RECEIVED_PREFIX if sort == "received" else ""
    raw = f"{prefix}{stamp.astimezone(UTC).isoformat()}|{item_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, sort: str = "versioncreated") -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if sort == "received":
            if not raw.startswith(_RECEIVED_PREFIX):
                raise ValueError("a cursor of another order")
            raw = raw.removeprefix(_RECEIVED_PREFIX)
        stamp, item_id = raw.split("|", 1)
        if "\x00" in item_id or not item_id:  # PostgreSQL text cannot hold U+0000
            raise ValueError("no item id")
        found = datetime.fromisoformat(stamp)
        if found.tzinfo is None:
            raise ValueError("a naive stamp")
        return found, item_id
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise _bad_cursor() from exc


def language_matches(language: str) -> ColumnElement[bool]:
    """``en`` matches ``en`` and ``en-GB`` (case-insensitive), never ``eng``."""
    lang = language.lower()
    return or_(
        func.lower(items.c.language) == lang,
        func.lower(items.c.language).startswith(lang + "-", autoescape=True),
    )


def search(conn: Connection, query: ItemQuery) -> tuple[list[dict[str, Any]], str | None]:
    """Items newest first (``versioncreated``, or ``received_at`` for ``sort="received"``; then
    id), with a cursor for the next page. A page holds ``query.limit`` items, or fewer when the
    next would take the page's JSON past ``query.max_bytes`` (but always one): ``next`` then
    continues after the last item kept."""
    order = items.c.received_at if query.sort == "received" else items.c.versioncreated
    stmt = select(*ITEM_COLUMNS, order.label("order_stamp"), _size(items.c.doc)).join(
        partners, partners.c.id == items.c.partner_id
    )
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
        stamp, last_id = decode_cursor(query.cursor, query.sort)
        stmt = stmt.where(
            or_(order < stamp, and_(order == stamp, items.c.id < last_id)),
        )
    page, last, more = _fill(
        conn,
        stmt.order_by(order.desc(), items.c.id.desc()).limit(query.limit + 1),
        query.limit,
        query.max_bytes,
        lambda r: contract_item(r.doc, server_fields(r)),
    )
    if not more or last is None:
        return page, None
    return page, encode_cursor(last.order_stamp, last.id, query.sort)
