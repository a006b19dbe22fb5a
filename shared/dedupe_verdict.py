"""The near-duplicate verdict (DESIGN §6) as a pure function of the new item's facts and its
verified candidates. The caller finds the candidates (items sharing a band key), computes
``similarity`` from the stored signatures and whether the fingerprints are equal, and leaves out
killed items and the new item's own uri; ``decide`` only chooses.

Thresholds are on the estimated Jaccard similarity of word 3-shingles (``shared.dedupe``); an
equal fingerprint counts as 1.0. Why these values: see ``Thresholds``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from shared.model import Verdict


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Verified-similarity thresholds (estimated Jaccard of word 3-shingles, 128 permutations,
    standard error ≤ 0.045).

    ``near_duplicate`` = 0.5: copies, normalised copies, copy edits and paragraph reorders score
    ≥ 0.7; a trim to the first 60% scores ≈ 0.6 and an update with a new lede 0.5–0.8, which must
    still link; a rewrite of the same event by another agency scores ≤ 0.15, a different story 0,
    and a same-template formula story (rates, weather) with other figures ≤ 0.45 on the labelled
    set (``bench/dedupe_quality.py``). 0.5 sits in that gap, above the LSH band S-curve's centre
    (b=32, r=4: P(candidate | J=0.5) = 0.87, J=0.6: 0.99).

    ``same_story_update`` = 0.4: an id-less page resent by the same partner after an edit keeps
    its uri (a new version) down to a looser match, since a partner's own pages with the same
    template and other figures stay ≤ 0.45 only with their figures differing; below 0.4 it is a
    new story. It never makes a near-duplicate of another partner's item.
    """

    near_duplicate: float = 0.5
    same_story_update: float = 0.4

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
    ranked = sorted(
        candidates, key=lambda c: (-c.score, c.item_id != c.cluster, c.item_id)
    )
    return ranked[0] if ranked else None


def decide(
    item: NewItem, candidates: Iterable[Candidate], thresholds: Thresholds = Thresholds()
) -> Decision:
    """The verdict for ``item`` given its verified candidates (DESIGN §6).

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
