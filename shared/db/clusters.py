"""Near-duplicate candidates from the LSH bucket table, verified with stored signatures.

``claim`` inserts an item's band keys in ascending order (so two transactions cannot deadlock)
with ``ON CONFLICT DO NOTHING``, then reads the owners of the keys it lost in a *separate*
statement: under READ COMMITTED that statement sees a competitor that committed while we waited,
which a single statement (one snapshot) would not.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Connection, bindparam, delete, func, literal, select, text
from sqlalchemy.dialects.postgresql import ARRAY, BIGINT

from shared.db.tables import items, lsh_buckets
from shared.dedupe import band_keys, signature, similarity, story_text
from shared.dedupe_verdict import Candidate
from shared.model import NormalisedItem

CANCELED = "canceled"


@dataclass(frozen=True, slots=True)
class Sketch:
    signature: bytes
    keys: list[int]


def sketch(item: NormalisedItem) -> Sketch:
    sig = signature(
        story_text(item.body_text, item.headline, item.dateline.text if item.dateline else None)
    )
    return Sketch(sig, band_keys(sig))


def _keys(values: Iterable[int]) -> object:
    return bindparam("keys", list(values), type_=ARRAY(BIGINT))


def candidates(
    conn: Connection, found: Sketch, fingerprint: str, *, also: Iterable[str] = ()
) -> list[Candidate]:
    """Items sharing a band key or the exact fingerprint (plus ``also``), scored by similarity.

    Killed items are never candidates."""
    # Separate index lookups: one OR across them would make PostgreSQL scan the items table.
    ids = set(also)
    ids.update(
        conn.execute(
            select(lsh_buckets.c.item_id).where(lsh_buckets.c.bucket == func.any(_keys(found.keys)))
        ).scalars()
    )
    ids.update(conn.execute(select(items.c.id).where(items.c.fingerprint == fingerprint)).scalars())
    if not ids:
        return []
    rows = conn.execute(
        select(items.c.id, items.c.partner_id, items.c.uri, items.c.uri_derived,
               items.c.signature, items.c.cluster, items.c.fingerprint)
        .where(items.c.id.in_(sorted(ids)), items.c.pubstatus != CANCELED)
    ).all()  # fmt: skip
    return [
        Candidate(
            item_id=r.id, partner=r.partner_id, uri=r.uri, uri_derived=r.uri_derived,
            similarity=similarity(found.signature, r.signature) if r.signature else 0.0,
            cluster=r.cluster, same_fingerprint=r.fingerprint == fingerprint,
        )
        for r in rows
    ]  # fmt: skip


def claim(conn: Connection, found: Sketch, item_id: str) -> list[str]:
    """Own the item's free band keys; return the other items that own the rest."""
    if not found.keys:
        return []
    won = set(
        conn.execute(
            text(
                "INSERT INTO lsh_buckets (bucket, item_id) "
                "SELECT k, :item FROM unnest(:keys) AS k ORDER BY k "
                "ON CONFLICT (bucket) DO NOTHING RETURNING bucket"
            ).bindparams(_keys(found.keys)),
            {"item": item_id},
        ).scalars()
    )
    lost = [k for k in found.keys if k not in won]
    if not lost:
        return []
    owners = conn.execute(
        select(lsh_buckets.c.item_id)
        .distinct()
        .where(lsh_buckets.c.bucket == func.any(_keys(lost)), lsh_buckets.c.item_id != item_id)
    ).scalars()
    return list(owners)


def prune(conn: Connection, *, window_hours: float, batch: int = 10_000) -> int:
    """Delete buckets older than the window, a batch at a time; returns how many went."""
    cutoff = func.now() - literal(timedelta(hours=window_hours))
    doomed = select(lsh_buckets.c.bucket).where(lsh_buckets.c.created_at < cutoff).limit(batch)
    result = conn.execute(delete(lsh_buckets).where(lsh_buckets.c.bucket.in_(doomed)))
    return int(result.rowcount or 0)


def cluster_of(conn: Connection, item_id: str) -> list[str] | None:
    """Ids of the other items in the item's cluster, oldest first; None if the item is unknown."""
    cluster = conn.execute(select(items.c.cluster).where(items.c.id == item_id)).scalar()
    if cluster is None:
        return None
    return list(conn.execute(
        select(items.c.id).where(items.c.cluster == cluster, items.c.id != item_id)
        .order_by(items.c.id)
    ).scalars())  # fmt: skip
