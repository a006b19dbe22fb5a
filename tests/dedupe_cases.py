"""The labelled near-duplicate set: pairs of invented wire items (``tests/dedupe_stories.py``),
each labelled with its kind and the verdict ``decide`` must give the second item when the first
is already stored.

Kinds that must be linked: ``exact`` (re-sent, same or other partner), ``normalised`` (quotes,
dashes, spaces, line wrapping, lead style), ``copy_edit`` (3-4 hand edits), ``trim`` (trailing
paragraphs cut, ~60% of the words kept), ``reorder`` (body paragraphs moved, lede kept),
``new_lede`` (update: new first paragraph, sometimes a new closing one) → NEAR_DUPLICATE;
``page_update`` (an id-less page re-sent edited by the same partner, headline changed) →
NEW_VERSION. Kinds that must not be: ``rewrite`` (same event, other agency), ``different``
(other story, same agency), ``formula`` (same template, other figures; some as id-less pages of
the same partner) → NEW.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.core.model import Verdict
from shared.matching.minhash import band_keys, signature, similarity, story_text
from shared.matching.verdict import Candidate, Decision, NewItem, Thresholds, decide
from shared.reading.normalise import fingerprint
from tests.dedupe_stories import (
    CLOSERS,
    DIFFERENT,
    EDITS,
    FORMULA_FILLS,
    FORMULAS,
    LEDES,
    REWRITES,
    STORIES,
)

LINKED_KINDS = ("exact", "normalised", "copy_edit", "trim", "reorder", "new_lede", "page_update")
UNLINKED_KINDS = ("rewrite", "different", "formula")
LINKED = frozenset({Verdict.NEAR_DUPLICATE, Verdict.NEW_VERSION})
RUSSIAN = {"harvest", "flood_ru", "rate_ru", "metro", "bus", "fx_ru", "weather_ru", "football_ru"}


@dataclass(frozen=True, slots=True)
class Copy:
    """One item as the deduplicator sees it (``dateline`` is the normalised dateline text)."""

    body: str | None
    headline: str | None = None
    dateline: str | None = None


@dataclass(frozen=True, slots=True)
class Case:
    name: str
    kind: str
    language: str
    stored: Copy
    new: Copy
    expected: Verdict
    same_partner: bool = False
    uri_derived: bool = False


def paragraphs(body: str) -> list[str]:
    return body.split("\n\n")


def edited(body: str, edits: list[tuple[str, str]]) -> str:
    for old, new in edits:
        assert old in body, old
        body = body.replace(old, new, 1)
    return body


def renormalised(body: str) -> str:
    """The same copy through another system: straight quotes, ``--`` dashes, two spaces after a
    full stop, no-break spaces, lines wrapped at about 60 characters, the lead restyled."""
    text = body.translate(str.maketrans({"“": '"', "”": '"', "«": '"', "»": '"', "’": "'"}))
    text = text.replace(" – ", " -- ", 1).replace(" – ", " - ").replace(". ", ".  ")
    text = text.replace(" млн", "\u00a0млн").replace(" per ", "\u00a0per ")
    wrapped = []
    for para in paragraphs(text):
        lines, line = [], ""
        for word in para.split(" "):
            if len(line) + len(word) > 60 and line:
                lines.append(line)
                line = ""
            line = f"{line} {word}" if line else word
        wrapped.append("\n".join([*lines, line]))
    return "\n\n".join(wrapped)


def trimmed(body: str, share: float = 0.6) -> str:
    """The leading paragraphs holding about ``share`` of the words (cut at a paragraph end)."""
    paras = paragraphs(body)
    total = len(body.split())
    kept, words = [], 0
    for para in paras:
        if kept and abs(words + len(para.split()) - share * total) > abs(words - share * total):
            break
        kept.append(para)
        words += len(para.split())
    return "\n\n".join(kept)


def reordered(body: str) -> str:
    """Lede kept; the first two body paragraphs moved to the end."""
    first, *rest = paragraphs(body)
    return "\n\n".join([first, *rest[2:], *rest[:2]])


def relede(key: str) -> str:
    paras = [LEDES[key], *paragraphs(STORIES[key])[1:]]
    return "\n\n".join([*paras, CLOSERS[key]] if key in CLOSERS else paras)


def _lang(key: str) -> str:
    return "ru" if key in RUSSIAN else "en"


def _near(kind: str, key: str, new: str, **extra: object) -> Case:
    return Case(
        f"{kind}-{key}",
        kind,
        _lang(key),
        Copy(STORIES[key]),
        Copy(new),
        Verdict.NEAR_DUPLICATE,
        **extra,  # type: ignore[arg-type]
    )


def _exact() -> list[Case]:
    cases = []
    for key in ("potash", "derailment", "harvest", "metro", "hockey", "bus"):
        same = key in ("derailment", "bus")
        cases.append(_near("exact", key, STORIES[key], same_partner=same))
    return cases


def _page_updates() -> list[Case]:
    updates = [
        (
            "housing",
            "Government approves rental homes for rural specialists",
            "3,500 rental homes to be built for young specialists in small towns",
            [
                ("3,500 rental homes", "3,500 rental flats and houses"),
                (
                    "Deputy Minister Irina Sadovskaya said",
                    "Deputy Architecture Minister Irina Sadovskaya told BelTA",
                ),
            ],
        ),
        (
            "itpark",
            "Hi-Tech Park has 1,048 residents",
            "Hi-Tech Park adds 61 residents this year, total passes 1,000",
            [("up 61 since", "61 more than at"), ("about a quarter", "roughly one in four")],
        ),
        (
            "metro",
            "В Минске открылись три станции метро",
            "Три новые станции третьей линии метро открылись в Минске",
            [
                ("сообщили в четверг в Мингорисполкоме", "сообщили в Мингорисполкоме"),
                ("в остальное время", "в остальные часы"),
            ],
        ),
        (
            "rate",
            "National Bank keeps refinancing rate at 9.5%",
            "UPDATED: National Bank holds key rate, sees no cut before April",
            [
                (
                    "Analysts had expected the decision.",
                    "The decision was in line with analysts' expectations.",
                )
            ],
        ),
    ]
    cases = []
    for key, head1, head2, edits in updates:
        body = edited(STORIES[key], edits)
        if key in CLOSERS:
            body += "\n\n" + CLOSERS[key]
        cases.append(
            Case(
                f"page_update-{key}",
                "page_update",
                _lang(key),
                Copy(STORIES[key], head1),
                Copy(body, head2),
                Verdict.NEW_VERSION,
                same_partner=True,
                uri_derived=True,
            )
        )
    return cases


def _unlinked() -> list[Case]:
    cases = [
        Case(f"rewrite-{key}", "rewrite", _lang(key), Copy(STORIES[key]), Copy(text), Verdict.NEW)
        for key, text in REWRITES.items()
    ]
    cases += [
        Case(
            f"different-{a}-{b}",
            "different",
            _lang(a),
            Copy(STORIES[a]),
            Copy(STORIES[b]),
            Verdict.NEW,
            same_partner=True,
        )
        for a, b in DIFFERENT
    ]
    for n, (template, first, second, paged) in enumerate(FORMULA_FILLS):
        text = FORMULAS[template]
        cases.append(
            Case(
                f"formula-{template}-{n}",
                "formula",
                _lang(template),
                Copy(text.format(**first)),
                Copy(text.format(**second)),
                Verdict.NEW,
                same_partner=True,
                uri_derived=paged,
            )
        )
    return cases


def build() -> list[Case]:
    """Every labelled pair, linked kinds first."""
    cases = _exact()
    cases += [
        _near("normalised", k, renormalised(STORIES[k]))
        for k in ("flood", "housing", "rate", "flood_ru", "rate_ru", "itpark")
    ]
    cases += [_near("copy_edit", k, edited(STORIES[k], e)) for k, e in EDITS.items()]
    cases += [
        _near("trim", k, trimmed(STORIES[k]))
        for k in ("potash", "housing", "rate", "flood_ru", "metro", "hockey")
    ]
    cases += [
        _near("reorder", k, reordered(STORIES[k]))
        for k in ("flood", "derailment", "itpark", "harvest", "rate_ru", "housing")
    ]
    cases += [_near("new_lede", k, relede(k), same_partner=True) for k in LEDES]
    return cases + _page_updates() + _unlinked()


CASES = build()


def copy_signature(copy: Copy) -> bytes:
    return signature(story_text(copy.body, copy.headline, copy.dateline))


def run(case: Case, thresholds: Thresholds) -> tuple[Decision, float, bool]:
    """The decision for the case's new item with the stored one as the only candidate (when
    the two share a band key, as the band table would find it), the pair's estimated Jaccard,
    and whether they share a band key."""
    old, new = copy_signature(case.stored), copy_signature(case.new)
    sim = similarity(old, new)
    found = bool(set(band_keys(old)) & set(band_keys(new)))
    same_text = fingerprint(case.stored.headline, case.stored.body) == fingerprint(
        case.new.headline, case.new.body
    )
    candidate = Candidate(
        item_id="stored",
        partner="a",
        uri="urn:stored",
        uri_derived=case.uri_derived,
        similarity=sim,
        cluster="stored",
        same_fingerprint=same_text,
    )
    item = NewItem("a" if case.same_partner else "b", "urn:new", case.uri_derived, "fp")
    return decide(item, [candidate] if found else [], thresholds), sim, found
