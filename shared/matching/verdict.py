"""The near-duplicate verdict (docs/api.md, Verdicts and versions; docs/dedupe.md) as a pure
function of the new item's facts and its verified candidates. The caller finds the candidates
(items sharing a band key), computes ``similarity`` from the stored signatures and whether the
fingerprints are equal, and leaves out killed items and the new item's own uri; ``decide`` only
chooses.

Thresholds are on the estimated Jaccard similarity of word 3-shingles
(``shared.matching.minhash``); an equal fingerprint counts as 1.0. Why these values: see
``Thresholds``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from shared.core.model import Verdict


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Verified-similarity thresholds (estimated Jaccard of figure-weighted word 3-shingles, 128
    permutations: standard error ≤ 0.045). Measured on the labelled set
    (``bench/dedupe_quality.py``, ``tests/dedupe_cases.py``):

    * must link: exact and normalised copies 1.0, paragraph reorders ≥ 0.93, copy edits of short
      items ≥ 0.55, updates with a new lede ≥ 0.50, trims to about half ≥ 0.48;
    * must not: same-template formula stories (rates, weather, exchange, results) ≤ 0.24 (0.49
      without the figure weighting), rewrites of the same event by another agency ≤ 0.04,
      different stories 0.0.

    ``near_duplicate`` = 0.45 sits in that gap, nearer the positives because a wrong link only
    hides a stored, linked item while a missed one shows editors the same story twice; above it
    a score needs ~5 standard errors of noise to come from a template story. 0.7 (a common
    first guess) would miss most trims, new ledes and edits of short items. Below ~0.5 the LSH
    bands (b=32, r=4: P(candidate | J) = 0.74 at 0.45, 0.87 at 0.5, 0.99 at 0.6) rather than this
    threshold limit recall.

    ``same_story_update`` = 0.5, deliberately not lower: a wrong takeover replaces the current
    version of another story, which is worse than a wrong link, and an id-less same-partner match
    between 0.45 and 0.5 still becomes a NEAR_DUPLICATE of that page. Edited page resends scored
    ≥ 0.80, the same partner's template pages ≤ 0.24.
    """

    near_duplicate: float = 0.45
    same_story_update: float = 0.5

    def __post_init__(self) -> None:
        for name in ("near_duplicate", "same_story_update"):
            value = getattr(self, name)
            if not 0.0 < value <= 1.0:
                raise ValueError(f"{name} must be in (0, 1], not {value}")


@dataclass(frozen=True, slots=True)
class NewItem:
    """What ``decide`` needs to know about the item being stored."""

    partner: int | str
    uri: str
    uri_derived: bool
    fingerprint: str


@dataclass(frozen=True, slots=True)
class Candidate:
    """A stored item sharing at least one band key with the new item, verified."""

    item_id: str
    partner: int | str
    uri: str
    uri_derived: bool
    similarity: float
    cluster: str
    same_fingerprint: bool = False

    @property
    def score(self) -> float:
        """The similarity used to decide: 1.0 for an exact fingerprint match."""
        return 1.0 if self.same_fingerprint else self.similarity


@dataclass(frozen=True, slots=True)
class Decision:
    """``verdict`` is NEW, NEAR_DUPLICATE or NEW_VERSION (a takeover: store the item as a new
    version of ``takeover_uri``; the caller's version order may still make it DUPLICATE or
    STALE). ``cluster`` is None for NEW: the new item starts its own cluster with its own id."""

    verdict: Verdict
    duplicate_of: str | None = None
    cluster: str | None = None
    takeover_uri: str | None = None


def _best(candidates: Iterable[Candidate]) -> Candidate | None:
    """Highest score; on a tie the cluster's original, then the smallest id (deterministic)."""
    ranked = sorted(candidates, key=lambda c: (-c.score, c.item_id != c.cluster, c.item_id))
    return ranked[0] if ranked else None


def decide(
    item: NewItem, candidates: Iterable[Candidate], thresholds: Thresholds = Thresholds()
) -> Decision:
    """The verdict for ``item`` given its verified candidates (docs/api.md, Verdicts and versions).

    1. An id-less item (``uri_derived``) whose best candidate *of the same partner* scores
       ≥ ``same_story_update`` takes over that candidate's uri: NEW_VERSION, same cluster.
    2. Otherwise the best candidate of *any* partner (the same partner under another uri
       included) scoring ≥ ``near_duplicate`` makes it a NEAR_DUPLICATE of that candidate, in
       that candidate's cluster.
    3. Otherwise NEW. Candidates with the item's own (partner, uri) are ignored: they are its
       versions, settled before deduplication."""
    others = [c for c in candidates if (c.partner, c.uri) != (item.partner, item.uri)]
    if item.uri_derived:
        own = _best(c for c in others if c.partner == item.partner)
        if own is not None and own.score >= thresholds.same_story_update:
            return Decision(Verdict.NEW_VERSION, cluster=own.cluster, takeover_uri=own.uri)
    best = _best(others)
    if best is not None and best.score >= thresholds.near_duplicate:
        return Decision(Verdict.NEAR_DUPLICATE, duplicate_of=best.item_id, cluster=best.cluster)
    return Decision(Verdict.NEW)
