"""The change feed behind ``GET /v1/stream``: items whose current version is newer than a mark.

``items.current_version_id`` is the ``item_versions`` id (a bigserial) of an item's current version,
so every new or updated item gets a higher one. Ids are drawn when a worker records a version but
become visible when its transaction commits, and transactions commit out of order: a lower id may
appear after a higher one was read. ``ChangeFeed`` therefore only moves its mark across an id once
that id is settled: its version row is visible (committed), or it has been missing for
``gap_seconds`` (a rolled-back transaction leaves a hole for ever). Everything the feed returns has
an id above the previous mark and at most the new one, in id order, so a client that resumes from
the last id it got (``Last-Event-ID``) misses nothing and sees nothing twice.

The API reads the feed once for all its streams (``Filters(include_duplicates=True)``, each
stream's own filters applied with ``Filters.matches``), at the head for the live streams and, with
``rewind``, from further back for streams that resume from there (``services/ingest/streams.py``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, func, select

from shared.db.item_reads import ITEM_COLUMNS, language_matches, server_fields
from shared.db.tables import item_versions, items, partners
from shared.output.serialise import contract_item

BATCH = 500


@dataclass(frozen=True, slots=True)
class Change:
    version_id: int
    item: dict[str, Any]  # the contract item (docs/api.md, Items)
    # What the stream filters look at, as the item's columns hold them.
    partner: str | None = None
    language: str | None = None
    duplicate_of: str | None = None


MAX_TRACKED = 10_000  # missing ids followed at once


@dataclass(frozen=True, slots=True)
class Filters:
    partner: str | None = None
    language: str | None = None  # "en" also matches "en-GB", as in the item list
    include_duplicates: bool = False

    def matches(self, change: Change) -> bool:
        """Whether the change passes these filters: what ``poll`` with them would return."""
        if self.partner and change.partner != self.partner:
            return False
        if self.language:
            wanted, got = self.language.lower(), (change.language or "").lower()
            if got != wanted and not got.startswith(wanted + "-"):
                return False
        return self.include_duplicates or change.duplicate_of is None


def newest_version_id(conn: Connection) -> int:
    """The highest committed version id, 0 when there is none: a stream's starting mark."""
    return int(conn.execute(select(func.coalesce(func.max(item_versions.c.id), 0))).scalar_one())


@dataclass
class ChangeFeed:
    """A stream's position; ``poll`` is blocking (run it in a thread) and not thread-safe."""

    engine: Engine
    filters: Filters
    mark: int
    gap_seconds: float = 10.0
    clock: Callable[[], float] = time.monotonic
    behind: bool = False  # the last poll stopped a full step short of the newest id
    _gaps: dict[int, float] = field(default_factory=dict)
    _passed: int = 0  # the highest mark ever reached: every id up to it was settled once

    def rewind(self, mark: int, *, settled: int = 0) -> None:
        """Read again from ``mark`` when it is below the current one. Ids up to the highest
        mark this feed reached, or up to ``settled`` (another feed's mark), are not waited for a
        second time: one missing there was given up already."""
        self._passed = max(self._passed, self.mark, settled)
        self.mark = min(self.mark, mark)

    def poll(self) -> list[Change]:
        """The changes above the mark up to the highest settled id (at most ``BATCH`` version
        ids further), in id order; moves the mark there. Fewer than a full step means caught up."""
        with self.engine.connect() as conn:
            seen = conn.execute(
                select(item_versions.c.id)
                .where(item_versions.c.id > self.mark)
                .order_by(item_versions.c.id)
                .limit(BATCH)
            ).scalars().all()  # fmt: skip
            settled = self._settled(self.mark, list(seen))
            self.behind = len(seen) == BATCH and settled == seen[-1]
            if settled == self.mark:
                return []
            rows = conn.execute(_changed(self.filters, self.mark, settled)).all()
        self.mark = settled
        return [
            Change(row.current_version_id, _item(row), row.slug, row.language, row.duplicate_of)
            for row in rows
        ]

    def _settled(self, mark: int, seen: list[int]) -> int:
        """The highest id up to which every id is committed or has been missing long enough."""
        settled = self._walk(mark, seen, self.clock())
        self._gaps = {hole: t for hole, t in self._gaps.items() if hole > settled}
        return settled

    def _walk(self, mark: int, seen: list[int], now: float) -> int:
        """Every missing id up to the newest seen starts its wait now (one pass, so a run of
        rolled-back ids costs one ``gap_seconds``, not one each); the mark stops before the
        first id still waited for."""
        present = set(seen)
        settled, blocked = mark, False
        top = min(seen[-1], mark + MAX_TRACKED) if seen else mark
        for candidate in range(mark + 1, top + 1):
            if candidate not in present and candidate > self._passed:
                waited = now - self._gaps.setdefault(candidate, now)
                blocked = blocked or waited < self.gap_seconds
            if not blocked:
                settled = candidate
        return settled


def _changed(filters: Filters, low: int, high: int) -> Any:
    stmt = (
        select(*ITEM_COLUMNS, items.c.current_version_id, items.c.language)
        .join(partners, partners.c.id == items.c.partner_id)
        .where(items.c.current_version_id > low, items.c.current_version_id <= high)
    )
    if filters.partner:
        stmt = stmt.where(partners.c.slug == filters.partner)
    if filters.language:
        stmt = stmt.where(language_matches(filters.language))
    if not filters.include_duplicates:
        stmt = stmt.where(items.c.duplicate_of.is_(None))
    return stmt.order_by(items.c.current_version_id)


def _item(row: Any) -> dict[str, Any]:
    return contract_item(row.doc, server_fields(row))
