"""Near-duplicate candidates from the LSH bucket table, verified with stored signatures.

``claim`` inserts an item's band keys in ascending order (so two transactions cannot deadlock)
with ``ON CONFLICT DO NOTHING``, then reads the owners of the keys it lost in a *separate*
statement: under READ COMMITTED that statement sees a competitor that committed while we waited,
which a single statement (one snapshot) would not.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import (
    BindParameter,
    Connection,
    Integer,
    Text,
    bindparam,
    delete,
    func,
    literal,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, BIGINT

from shared.core.model import NormalisedItem, PubStatus
from shared.db.tables import items, lsh_buckets
from shared.matching.minhash import band_keys, signature, similarity, story_text
from shared.matching.verdict import Candidate

MIN_STORY_WORDS = 12  # shorter bodies are compared with their headline
MAX_EXACT = 20  # exact-fingerprint candidates considered (the oldest in the window)


@dataclass(frozen=True, slots=True)
class Sketch:
    signature: bytes
    keys: list[int]
    words: int


def sketch(item: NormalisedItem) -> Sketch:
    """The item's signature and band keys. A short body (a flash, "More to follow.") is read
    with its headline, so two flashes with the same boilerplate body do not match."""
    lead = item.dateline.text if item.dateline else None
    body = story_text(item.body_text, None, lead)
    if len(body.split()) < MIN_STORY_WORDS:
        body = story_text(f"{item.headline or ''}\n\n{item.body_text or ''}", None, lead)
    sig = signature(body)
    return Sketch(sig, band_keys(sig), len(body.split()))


def _keys(values: Iterable[int]) -> BindParameter[Sequence[int]]:
    return bindparam("keys", list(values), type_=ARRAY(BIGINT))


def candidates(
    conn: Connection,
    found: Sketch,
    item: NormalisedItem,
    *,
    also: Iterable[str] = (),
    window_hours: float = 72.0,
) -> list[Candidate]:
    """Items of the same type sharing a band key or, within the window, the exact fingerprint
    of a substantial text (plus ``also``), scored by similarity. Killed items never are."""
    return candidates_many(conn, [(found, item, also)], window_hours=window_hours)[0]


_BUCKET_OWNERS = text(
    "SELECT bucket, item_id FROM lsh_buckets WHERE bucket = ANY(CAST(:keys AS bigint[]))"
)
# The oldest items in the window with each fingerprint, at most MAX_EXACT per fingerprint.
_SAME_FINGERPRINT = text(
    """
    SELECT f.fingerprint, x.id
    FROM unnest(CAST(:fingerprints AS text[])) AS f(fingerprint)
    CROSS JOIN LATERAL (
        SELECT id FROM items
        WHERE items.fingerprint = f.fingerprint
          AND items.received_at > now() - make_interval(secs => :seconds)
        ORDER BY received_at LIMIT :most
    ) AS x
    """
)
_CANDIDATE_ROWS = text(
    "SELECT id, partner_id, uri, uri_derived, signature, cluster, fingerprint, "
    "doc ->> 'type' AS type FROM items "
    "WHERE id = ANY(CAST(:ids AS text[])) AND pubstatus <> :canceled"
)


def candidates_many(
    conn: Connection,
    wanted: Sequence[tuple[Sketch, NormalisedItem, Iterable[str]]],
    *,
    window_hours: float = 72.0,
) -> list[list[Candidate]]:
    """``candidates`` for several items at once (each with its ``also``), in three statements
    whatever their number."""
    if not wanted:
        return []
    keys = sorted({k for found, _, _ in wanted for k in found.keys})
    owner = {
        row.bucket: row.item_id
        for row in (conn.execute(_BUCKET_OWNERS, {"keys": keys}) if keys else ())
    }
    prints = sorted(
        {item.fingerprint for found, item, _ in wanted if found.words >= MIN_STORY_WORDS}
    )
    exact: dict[str, list[str]] = {}
    if prints:
        for row in conn.execute(
            _SAME_FINGERPRINT,
            {"fingerprints": prints, "seconds": window_hours * 3600.0, "most": MAX_EXACT},
        ):
            exact.setdefault(row.fingerprint, []).append(row.id)
    per_item: list[set[str]] = []
    for found, item, also in wanted:
        ids = set(also)
        ids.update(owner[k] for k in found.keys if k in owner)
        if found.words >= MIN_STORY_WORDS:
            ids.update(exact.get(item.fingerprint, ()))
        per_item.append(ids)
    every = sorted(set().union(*per_item))
    rows = (
        {
            r.id: r
            for r in conn.execute(_CANDIDATE_ROWS, {"ids": every, "canceled": PubStatus.CANCELED})
        }
        if every
        else {}
    )
    return [
        [
            Candidate(
                item_id=r.id, partner=r.partner_id, uri=r.uri, uri_derived=r.uri_derived,
                similarity=similarity(found.signature, r.signature) if r.signature else 0.0,
                cluster=r.cluster,
                same_fingerprint=r.fingerprint == item.fingerprint
                and found.words >= MIN_STORY_WORDS,
            )
            for r in (rows[i] for i in sorted(ids) if i in rows)
            if r.type == item.type
        ]
        for (found, item, _), ids in zip(wanted, per_item, strict=True)
    ]  # fmt: skip


def claim_many(
    conn: Connection, owned: Sequence[tuple[Sketch, str | None]]
) -> dict[str, list[str]]:
    """Own the free band keys of a batch's items in one statement, in key order (then batch
    order, so an earlier item of the batch wins a key it shares with a later one); return, per
    item, the other items that own the rest."""
    keys = [k for found, _ in owned for k in found.keys]
    if not keys:
        return {}
    ids = [item_id for found, item_id in owned for _ in found.keys]
    order = [rank for rank, (found, _) in enumerate(owned) for _ in found.keys]
    won = {
        (row.bucket, row.item_id)
        for row in conn.execute(
            text(
                "INSERT INTO lsh_buckets (bucket, item_id) "
                "SELECT k, i FROM unnest(:keys, :ids, :ord) AS t(k, i, o) ORDER BY k, o "
                "ON CONFLICT (bucket) DO NOTHING RETURNING bucket, item_id"
            ).bindparams(
                _keys(keys),
                bindparam("ids", ids, type_=ARRAY(Text())),
                bindparam("ord", order, type_=ARRAY(Integer())),
            )
        )
    }
    lost = {k for k, i in zip(keys, ids, strict=True) if (k, i) not in won}
    if not lost:
        return {}
    holders = conn.execute(
        select(lsh_buckets.c.bucket, lsh_buckets.c.item_id).where(
            lsh_buckets.c.bucket == func.any(_keys(sorted(lost)))
        )
    ).all()
    owner = {row.bucket: row.item_id for row in holders}
    result: dict[str, list[str]] = {}
    for found, item_id in owned:
        others = {owner[k] for k in found.keys if k in owner and owner[k] != item_id}
        if item_id is not None and others:
            result[item_id] = sorted(others)
    return result


def forget(conn: Connection, item_id: str) -> None:
    """A killed item gives up its band keys, so copies of the story can still find each other."""
    conn.execute(delete(lsh_buckets).where(lsh_buckets.c.item_id == item_id))


def hand_over(conn: Connection, killed_id: str) -> None:
    """A killed item stops hiding its copies: the oldest live copy takes its place (visible, or
    a copy of what the killed item copied), and the other copies follow it. Otherwise one
    partner could suppress another's story by pushing its text first and then killing it. The
    cluster id, the id of the item that started it, does not change."""
    parent = conn.execute(select(items.c.duplicate_of).where(items.c.id == killed_id)).scalar()
    heirs = list(conn.execute(
        select(items.c.id)
        .where(items.c.duplicate_of == killed_id, items.c.pubstatus != PubStatus.CANCELED)
        .order_by(items.c.received_at, items.c.id)
        .with_for_update()
    ).scalars())  # fmt: skip
    if not heirs:
        return
    heir = heirs[0] if parent is None else parent
    conn.execute(update(items).where(items.c.id == heirs[0]).values(duplicate_of=parent))
    conn.execute(
        update(items)
        .where(items.c.duplicate_of == killed_id, items.c.id != heirs[0])
        .values(duplicate_of=heir)
    )


def prune(conn: Connection, *, window_hours: float, batch: int = 10_000) -> int:
    """Delete buckets older than the window, a batch at a time; returns how many went."""
    cutoff = func.now() - literal(timedelta(hours=window_hours))
    doomed = select(lsh_buckets.c.bucket).where(lsh_buckets.c.created_at < cutoff).limit(batch)
    result = conn.execute(delete(lsh_buckets).where(lsh_buckets.c.bucket.in_(doomed)))
    return int(result.rowcount or 0)


def cluster_of(
    conn: Connection, item_id: str, *, after: str | None = None, limit: int | None = None
) -> list[str] | None:
    """Ids of the other items in the item's cluster, oldest first (by id): those after ``after``,
    at most ``limit`` of them; None if the item is unknown."""
    cluster = conn.execute(select(items.c.cluster).where(items.c.id == item_id)).scalar()
    if cluster is None:
        return None
    stmt = select(items.c.id).where(items.c.cluster == cluster, items.c.id != item_id)
    if after is not None:
        stmt = stmt.where(items.c.id > after)
    return list(conn.execute(stmt.order_by(items.c.id).limit(limit)).scalars())
