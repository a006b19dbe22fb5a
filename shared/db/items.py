"""Items and their versions: identity is (partner, uri); what each version does (current,
stale, duplicate, kill) is decided by ``shared.matching.versions.decide_version`` under a row
lock, so racing workers serialise per item."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Connection,
    exists,
    insert,
    or_,
    select,
    text,
    update,
)

from shared.core.ids import new_id
from shared.core.model import NormalisedItem, PubStatus, Verdict, rfc3339
from shared.db import clusters
from shared.db import search as fulltext
from shared.db.tables import item_versions, items
from shared.matching.verdict import Candidate, NewItem, Thresholds, decide
from shared.matching.versions import VersionStamp, VersionState, decide_version, numeric_version
from shared.output.serialise import item_doc

DEFAULT_THRESHOLDS = Thresholds()


@dataclass(frozen=True, slots=True)
class Stored:
    item_id: str | None
    verdict: Verdict
    uri: str | None = None  # the identity used: a taken-over uri for an edited page resend


@dataclass(frozen=True, slots=True)
class Incoming:
    """One item to record: whose it is, and the submission it came in."""

    partner_id: int
    item: NormalisedItem
    submission_id: str
    received_at: datetime


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
    """Record a submission's items and say what each was (``record``), bounding lock waits
    for the rest of the transaction."""
    bound_lock_waits(conn)
    incoming = [Incoming(partner_id, item, submission_id, received_at) for item in batch]
    return record(conn, incoming, thresholds=thresholds, window_hours=window_hours)


_LOCK_TIMEOUT = text("SET LOCAL lock_timeout = '10s'")


def bound_lock_waits(conn: Connection) -> None:
    """For the rest of the transaction, give up on a row lock after 10 s: never wait for the
    task's hard time limit."""
    conn.execute(_LOCK_TIMEOUT)


def record(
    conn: Connection,
    incoming: Sequence[Incoming],
    *,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
    window_hours: float = 72.0,
) -> list[Stored]:
    """Record items (one submission's, or several submissions' in the order received) and say
    what each was (docs/api.md, Verdicts and versions), in the caller's transaction, in four
    steps that keep concurrent batches free of deadlocks:

    1. an id-less item that nearly matches an item of the same partner takes over that uri
       (an edited resend of a page);
    2. identities and versions, in (partner, uri) order (row locks are always taken in the same
       order): every identity is inserted in one statement; the first version of a new item
       is recorded with the others in one more, and the rest one by one under the row lock;
    3. the band keys of every live item, claimed in one statement in key order;
    4. verdicts in batch order: a new uri whose text matches an earlier item's, from any
       partner, is its near duplicate, in its cluster; a new current version of an item nobody
       copies is checked again (it may now match, or no longer match, another story). The
       candidates of every item are read in three statements up front; the links made on the
       way are laid over them.
    """
    found = [clusters.sketch(entry.item) for entry in incoming]
    prepared = [
        _take_over(conn, entry.partner_id, entry.item, sketch, thresholds, window_hours)
        for entry, sketch in zip(incoming, found, strict=True)
    ]
    processed_at = datetime.now(UTC)
    docs = [
        _full(item, entry, processed_at) for item, entry in zip(prepared, incoming, strict=True)
    ]
    order = sorted(range(len(incoming)), key=lambda i: (incoming[i].partner_id, prepared[i].uri))
    created = _insert_identities(
        conn, [(i, incoming[i], prepared[i], found[i], docs[i]) for i in order]
    )
    fresh = [i for i in order if i in created and prepared[i].pubstatus != PubStatus.CANCELED]
    _record_first_versions(
        conn,
        [(created[i], incoming[i], prepared[i]) for i in fresh],
        processed_at,
    )
    records: dict[int, Recorded] = {
        i: Recorded(Stored(created[i], Verdict.NEW, prepared[i].uri), True, True) for i in fresh
    }
    for index in order:
        if index not in records:
            records[index] = _record(
                conn, incoming[index], prepared[index], found[index], docs[index],
                processed_at, created=index in created,
            )  # fmt: skip
    live = [i for i in range(len(incoming)) if records[i].live]
    owners = clusters.claim_many(conn, [(found[i], records[i].stored.item_id) for i in live])
    later = {records[i].stored.item_id for i in live if records[i].created}
    out = [records[i].stored for i in range(len(incoming))]
    found_cands = clusters.candidates_many(
        conn,
        [(found[i], prepared[i], owners.get(records[i].stored.item_id or "", ())) for i in live],
        window_hours=window_hours,
    )
    linked: dict[str, str] = {}  # item id -> the cluster a link below put it in
    for index, cands in zip(live, found_cands, strict=True):
        record_ = records[index]
        item_id = record_.stored.item_id
        later.discard(item_id)
        cands = [
            dataclasses.replace(c, cluster=linked[c.item_id]) if c.item_id in linked else c
            for c in cands
            if c.item_id != item_id and c.item_id not in later
        ]
        out[index], cluster = _link(
            conn, incoming[index].partner_id, prepared[index], record_, cands, thresholds
        )
        if cluster is not None and item_id is not None:
            linked[item_id] = cluster
    return out


_KNOWN = text(
    "SELECT partner_id, uri FROM items "
    "WHERE (partner_id, uri) IN (SELECT * FROM unnest(CAST(:partners AS int[]), "
    "CAST(:uris AS text[])))"
)


def record_in_order(
    conn: Connection,
    per_submission: Sequence[Sequence[Incoming]],
    *,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
    window_hours: float = 72.0,
) -> list[list[Stored]]:
    """Several submissions' items, recorded with the outcome of recording them one submission
    after another. Consecutive submissions whose every item is the first version of a new,
    live item with an id of its own are recorded together, in one ``record``: nothing one of
    them does changes what another sees beyond what ``record`` already orders. Any other
    submission (a version or kill of a stored item, a page whose uri is derived and may take
    another's over) is recorded on its own, after the ones before it."""
    wanted = {(e.partner_id, e.item.uri) for sub in per_submission for e in sub}
    known = (
        {
            (row.partner_id, row.uri)
            for row in conn.execute(
                _KNOWN,
                {"partners": [p for p, _ in wanted], "uris": [u for _, u in wanted]},
            )
        }
        if wanted
        else set()
    )
    out: list[list[Stored]] = []
    group: list[Sequence[Incoming]] = []

    def flush() -> None:
        stored = record(
            conn, [e for sub in group for e in sub], thresholds=thresholds,
            window_hours=window_hours,
        )  # fmt: skip
        for sub in group:
            out.append(stored[: len(sub)])
            stored = stored[len(sub) :]
        group.clear()

    for sub in per_submission:
        keys = {(e.partner_id, e.item.uri) for e in sub}
        fresh = not keys & known and all(
            not e.item.uri_derived and e.item.pubstatus != PubStatus.CANCELED for e in sub
        )
        if fresh:
            group.append(sub)
        else:
            if group:
                flush()
            out.append(record(conn, sub, thresholds=thresholds, window_hours=window_hours))
        known |= keys
    if group:
        flush()
    return out


def _full(item: NormalisedItem, entry: Incoming, processed_at: datetime) -> dict[str, Any]:
    return {
        **item_doc(item),
        "received_at": rfc3339(entry.received_at),
        "processed_at": rfc3339(processed_at),
        "submission_id": entry.submission_id,
    }


# Every item's identity row in one statement, in (partner, uri) order; a new (partner, uri) is
# locked until the transaction ends, so racing workers serialise on it whoever created it. A
# new live item is written as it will stay: its first version counted and current (the
# version's id taken from the sequence here), its search vector and signature, so the row is
# written once (an insert and then an update would write every index twice). A new kill is
# inserted with ``versions`` 0 and recorded by ``_record``. Parameters go in binary: a text
# array would escape every document in Python.
_INSERT_IDENTITIES = """
    INSERT INTO items (id, partner_id, uri, uri_derived, version, versioncreated, received_at,
                       language, pubstatus, fingerprint, cluster, versions, current_version_id,
                       doc, search, signature)
    SELECT id, partner_id, uri, uri_derived, version, versioncreated, received_at, language,
           pubstatus, fingerprint, id, CASE WHEN live THEN 1 ELSE 0 END,
           CASE WHEN live THEN nextval('item_versions_id_seq') END,
           CAST(doc AS jsonb),
           CASE WHEN live THEN
               setweight(to_tsvector(CAST(config AS regconfig), headline), 'A')
               || setweight(to_tsvector(CAST(config AS regconfig), body), 'B')
           END,
           CASE WHEN live THEN signature END
    FROM unnest(%(id)b::text[], %(partner_id)b::int[], %(uri)b::text[],
                %(uri_derived)b::boolean[], %(version)b::text[],
                %(versioncreated)b::timestamptz[], %(received_at)b::timestamptz[],
                %(language)b::text[], %(pubstatus)b::text[], %(fingerprint)b::text[],
                %(doc)b::text[], %(live)b::boolean[], %(config)b::text[], %(headline)b::text[],
                %(body)b::text[], %(signature)b::bytea[])
         WITH ORDINALITY AS t(id, partner_id, uri, uri_derived, version, versioncreated,
                              received_at, language, pubstatus, fingerprint, doc, live, config,
                              headline, body, signature, ord)
    ORDER BY ord
    ON CONFLICT (partner_id, uri) DO NOTHING
    RETURNING id
"""


def _insert_identities(
    conn: Connection,
    rows: Sequence[tuple[int, Incoming, NormalisedItem, clusters.Sketch, dict[str, Any]]],
) -> dict[int, str]:
    """Insert the (partner, uri) rows not stored yet; the index and new item id of each item
    that created one (the first of the batch with its uri)."""
    if not rows:
        return {}
    # Ids follow the batch order (they increase as they are made): a tie between two
    # candidates goes to the older item, as when stored one by one.
    fresh = [new_id() for _ in rows]
    ids = [fresh[index] for index, *_ in rows]
    items_ = [item for _, _, item, _, _ in rows]
    result = conn.exec_driver_sql(
        _INSERT_IDENTITIES,
        {
            "id": ids,
            "partner_id": [entry.partner_id for _, entry, _, _, _ in rows],
            "uri": [item.uri for item in items_],
            "uri_derived": [item.uri_derived for item in items_],
            "version": [item.version for item in items_],
            "versioncreated": [item.versioncreated for item in items_],
            "received_at": [entry.received_at for _, entry, _, _, _ in rows],
            "language": [item.language for item in items_],
            "pubstatus": [str(item.pubstatus) for item in items_],
            "fingerprint": [item.fingerprint for item in items_],
            "doc": [json.dumps(doc) for *_, doc in rows],
            "live": [item.pubstatus != PubStatus.CANCELED for item in items_],
            "config": [fulltext.config_for(item.language) for item in items_],
            "headline": [item.headline or "" for item in items_],
            "body": [item.body_text or "" for item in items_],
            "signature": [found.signature for _, _, _, found, _ in rows],
        },
    )
    new = {row.id for row in result}
    return {
        index: item_id for (index, *_), item_id in zip(rows, ids, strict=True) if item_id in new
    }


# The first version of each new live item, from its row (inserted just before, as current).
_FIRST_VERSIONS = """
    INSERT INTO item_versions (id, item_id, version, version_num, versioncreated, fingerprint,
                               pubstatus, submission_id, received_at, processed_at, doc)
    SELECT i.current_version_id, i.id, i.version, t.version_num, i.versioncreated,
           i.fingerprint, i.pubstatus, t.submission_id, i.received_at, %(processed_at)s, i.doc
    FROM unnest(%(item_id)b::text[], %(version_num)b::numeric[], %(submission_id)b::text[])
         WITH ORDINALITY AS t(item_id, version_num, submission_id, ord)
    JOIN items AS i ON i.id = t.item_id
    ORDER BY t.ord
"""


def _record_first_versions(
    conn: Connection, rows: Sequence[tuple[str, Incoming, NormalisedItem]], processed_at: datetime
) -> None:
    """What ``_record`` does for a new item's first version (it is new, current and live),
    but for the item's row, written as current already."""
    if not rows:
        return
    conn.exec_driver_sql(
        _FIRST_VERSIONS,
        {
            "processed_at": processed_at,
            "item_id": [item_id for item_id, _, _ in rows],
            "version_num": [numeric_version(item.version) for _, _, item in rows],
            "submission_id": [entry.submission_id for _, entry, _ in rows],
        },
    )


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
    record_: Recorded,
    cands: list[Candidate],
    thresholds: Thresholds,
) -> tuple[Stored, str | None]:
    """Set the item's place among copies: near duplicate of its best candidate, or its own.
    Returns the stored result and the cluster the item was put in, if this changed it."""
    stored = record_.stored
    facts = dataclasses.replace(_facts(partner_id, item), uri_derived=False)  # no late takeover
    if not record_.created and _copied(conn, stored.item_id):
        return stored, None  # an original keeps its cluster whatever its new version says
    decision = decide(facts, cands, thresholds)
    if decision.verdict == Verdict.NEAR_DUPLICATE:
        link = {"duplicate_of": decision.duplicate_of, "cluster": decision.cluster}
    elif record_.created:
        return stored, None
    else:
        link = {"duplicate_of": None, "cluster": stored.item_id}
    conn.execute(update(items).where(items.c.id == stored.item_id).values(**link))
    if record_.created and decision.verdict == Verdict.NEAR_DUPLICATE:
        return Stored(stored.item_id, Verdict.NEAR_DUPLICATE, stored.uri), link["cluster"]
    return stored, link["cluster"]


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
    entry: Incoming,
    item: NormalisedItem,
    found: clusters.Sketch,
    full: dict[str, Any],
    processed_at: datetime,
    *,
    created: bool,
) -> Recorded:
    """Version, for an item whose identity row exists (``created``: this item inserted it):
    lock the row, then apply what ``shared.matching.versions.decide_version`` says the version
    does: record it, make it current if it is newer, cancel the item on a kill (forgetting its
    band keys, handing its place over)."""
    received_at = entry.received_at
    current = conn.execute(
        select(items)
        .where(items.c.partner_id == entry.partner_id, items.c.uri == item.uri)
        .with_for_update()
    ).one()
    before = None if created else VersionState(_stamp(current), current.pubstatus)
    step = decide_version(
        VersionState(VersionStamp(item.version, item.versioncreated, received_at), item.pubstatus),
        before,
        seen=before is not None and _seen(conn, current.id, item),
    )
    if not step.recorded:
        return Recorded(Stored(current.id, step.verdict, item.uri), False, False)
    version_id = conn.execute(
        insert(item_versions)
        .values(
            item_id=current.id,
            version=item.version,
            version_num=numeric_version(item.version),
            versioncreated=item.versioncreated,
            fingerprint=item.fingerprint,
            pubstatus=item.pubstatus,
            submission_id=entry.submission_id,
            received_at=received_at,
            processed_at=processed_at,
            doc=full,
        )
        .returning(item_versions.c.id)
    ).scalar_one()
    values: dict[str, Any] = {"versions": items.c.versions + 1, "pubstatus": step.pubstatus}
    if step.current:
        values.update(
            version=item.version,
            versioncreated=item.versioncreated,
            received_at=received_at,
            language=item.language,
            fingerprint=item.fingerprint,
            doc=full,
            search=fulltext.document(item),
            signature=found.signature,
        )
    if step.latest:
        # A kill is the item's latest change, whatever its version: readers of the change feed
        # (the stream) must see it.
        values["current_version_id"] = version_id
    if step.canceled:
        base = full if step.current else current.doc
        values["doc"] = {**base, "pubstatus": PubStatus.CANCELED}
    conn.execute(update(items).where(items.c.id == current.id).values(**values))
    if step.canceled:
        clusters.forget(conn, current.id)
    if step.hand_over:
        clusters.hand_over(conn, current.id)
    return Recorded(Stored(current.id, step.verdict, item.uri), created, step.live)


def _stamp(row: Any) -> VersionStamp:
    return VersionStamp(row.version, row.versioncreated, row.received_at)


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
