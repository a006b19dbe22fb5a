"""IPTC NewsCodes vocabularies vendored as data: names and parents of subject codes.

Two schemes are known: ``iptc-subject`` (IPTC Subject Codes, eight digits such as 04006002) and
``iptc-mediatopic`` (IPTC Media Topics such as 20000139). Their English names and parent links
live in ``subjectcode.json`` and ``mediatopic.json`` beside this module (IPTC NewsCodes, CC BY
4.0, see ``LICENSE-IPTC.md``; rebuilt by ``scripts/build_vocab.py``), read through
``importlib.resources`` once per process on first use, so an installed package works too.

Guarantees: nothing here raises for an unknown scheme or code (the answer is ``None`` or an
empty list), does I/O beyond reading the two files, or changes a code it was given. A Subject
Code's parents follow from its digits (04006002 → 04006000 → 04000000) even where the data has
no entry for one of them; a Media Topic's parents follow the data's broader links.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cache
from importlib import resources
from types import MappingProxyType

from shared.core.model import Subject

SUBJECT = "iptc-subject"
MEDIATOPIC = "iptc-mediatopic"
FILES = {SUBJECT: "subjectcode.json", MEDIATOPIC: "mediatopic.json"}
PREFIXES = {SUBJECT: "subj:", MEDIATOPIC: "medtop:"}
MAX_DEPTH = 8  # Media Topics go six levels deep; a longer chain would be a cycle in the data

Key = tuple[str, str | None, str | None]  # (scheme, code, name when there is no code)


@dataclass(frozen=True, slots=True)
class VocabEntry:
    """One concept: its English name and the code of its parent (``None`` at the top)."""

    name: str
    parent: str | None = None


@cache
def _table(scheme: str) -> Mapping[str, VocabEntry]:
    """The scheme's ``{code: VocabEntry}``, read from the package once per process."""
    text = resources.files(__name__).joinpath(FILES[scheme]).read_text(encoding="utf-8")
    return MappingProxyType(
        {code: VocabEntry(name, parent) for code, (name, parent) in json.loads(text).items()}
    )


def _code(scheme: str, code: str | None) -> str | None:
    """The bare code: surrounding spaces and a ``subj:``/``medtop:`` qcode prefix removed."""
    if not isinstance(code, str):
        return None
    code = code.strip()
    prefix = PREFIXES.get(scheme, "")
    if prefix and code.lower().startswith(prefix):
        code = code[len(prefix) :]
    return code or None


def lookup(scheme: str, code: str | None) -> VocabEntry | None:
    """The vocabulary's entry for ``code`` in ``scheme``, or ``None`` if either is unknown."""
    bare = _code(scheme, code)
    if scheme not in FILES or bare is None:
        return None
    return _table(scheme).get(bare)


def name_of(scheme: str, code: str | None, language: str = "en") -> str | None:
    """The concept's name in ``language``; only English (``en``, ``en-GB``, ``en-US``) is
    vendored, so any other language, like an unknown code, gives ``None``."""
    if language.split("-")[0].lower() != "en":
        return None
    entry = lookup(scheme, code)
    return entry.name if entry else None


def _subject_parent(code: str) -> str | None:
    """04006002 → 04006000 → 04000000 → None; ``None`` for anything but eight digits."""
    if len(code) != 8 or not code.isascii() or not code.isdigit():
        return None
    if code[5:] != "000":
        return code[:5] + "000"
    if code[2:5] != "000":
        return code[:2] + "000000"
    return None


def _parent(scheme: str, code: str) -> str | None:
    if scheme == SUBJECT:
        return _subject_parent(code)
    entry = _table(scheme).get(code) if scheme in FILES else None
    return entry.parent if entry else None


def parents(scheme: str, code: str | None) -> list[Subject]:
    """The chain of ancestors, nearest first, up to the top level, each named where the
    vocabulary knows it; empty for a top-level concept, an unknown code or an unknown scheme."""
    chain: list[Subject] = []
    current = _code(scheme, code)
    seen = {current}
    while current is not None and len(chain) < MAX_DEPTH:
        current = _parent(scheme, current)
        if current is None or current in seen:
            break
        seen.add(current)
        chain.append(Subject(scheme=scheme, code=current, name=name_of(scheme, current)))
    return chain


def _key(subject: Subject) -> Key:
    """What makes two subjects the same: scheme and code, or scheme and name without a code."""
    if subject.code:
        return (subject.scheme, subject.code, None)
    return (subject.scheme, None, subject.name)


def enrich(subjects: Sequence[Subject]) -> list[Subject]:
    """The subjects with missing names filled from the vocabulary, each followed by those of its
    parents that the list does not already hold, duplicates dropped (the first place wins, and
    the first name the source gave for it). A name the source gives always wins over the
    vocabulary's; unknown schemes and codes pass through unchanged."""
    given: dict[Key, str] = {}
    for subject in subjects:
        if subject.name:
            given.setdefault(_key(subject), subject.name)
    present = {_key(subject) for subject in subjects}
    out: list[Subject] = []
    placed: set[Key] = set()
    for subject in subjects:
        key = _key(subject)
        if key in placed:
            continue
        placed.add(key)
        name = given.get(key) or name_of(subject.scheme, subject.code)
        out.append(replace(subject, name=name) if name and name != subject.name else subject)
        for parent in parents(subject.scheme, subject.code):
            key = _key(parent)
            if key not in present and key not in placed:
                placed.add(key)
                out.append(parent)
    return out
