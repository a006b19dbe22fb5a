"""Plain data that flows through the pipeline: no I/O here.

``ParsedItem`` is what a format parser reads out of the bytes; ``normalise`` turns it into a
``NormalisedItem``, whose fields are the item contract (docs/api.md, Items) less the
server-side ones.
Every datetime in these objects is an aware UTC instant.
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, overload
from zoneinfo import ZoneInfo

# The most items one submission may hold: every batch format stops there, and
# ``DATELINE_MAX_BATCH_ITEMS`` can only lower it (docs/api.md, Limits).
MAX_BATCH_ITEMS = 1000


class PubStatus(enum.StrEnum):
    """An item's publication status (docs/api.md, Items). ``canceled`` is a kill: it sticks."""

    USABLE = "usable"
    WITHHELD = "withheld"
    CANCELED = "canceled"


class Verdict(enum.StrEnum):
    NEW = "new"
    NEW_VERSION = "new_version"
    DUPLICATE = "duplicate"
    STALE = "stale"
    NEAR_DUPLICATE = "near_duplicate"
    KILLED = "killed"


class SubmissionStatus(enum.StrEnum):
    QUEUED = "queued"
    PROCESSING = "processing"
    DONE = "done"
    FAILED = "failed"
    DEAD = "dead"


@dataclass(frozen=True, slots=True)
class Subject:
    scheme: str
    code: str | None = None
    name: str | None = None


@dataclass(frozen=True, slots=True)
class Dateline:
    """A lead such as ``MINSK, 7 January (BelTA) –``: ``text`` is the lead as written, without
    the trailing dash; ``located`` is in title case; ``date`` is the local calendar date."""

    located: str | None = None
    date: date | None = None
    source: str | None = None
    text: str | None = None


@dataclass(frozen=True, slots=True)
class Place:
    name: str | None = None
    code: str | None = None


@dataclass(frozen=True, slots=True)
class Rendition:
    name: str | None = None
    href: str | None = None
    mimetype: str | None = None
    width: int | None = None
    height: int | None = None
    size: int | None = None


@dataclass(frozen=True, slots=True)
class Association:
    """A linked item (an attached picture, a sidebar), never fetched: its identifier and what a
    publisher shows with it when the partner embeds it (headline, caption, renditions)."""

    rel: str | None = None
    uri: str | None = None
    type: str | None = None
    headline: str | None = None
    caption: str | None = None
    renditions: tuple[Rendition, ...] = ()


@dataclass(frozen=True, slots=True)
class Profile:
    """A partner's parsing profile (docs/api.md, Partner profiles): agency quirks as data."""

    timezone: str = "UTC"
    languages: tuple[str, ...] = ()
    dateline_patterns: tuple[str, ...] = ()
    strip_lines: tuple[str, ...] = ()
    category_subjects: dict[str, Subject] = field(default_factory=dict)
    # The charset of 8-bit copy sent without one (ANPA 1312, IPTC 7901, plain text): used when
    # the bytes are not valid UTF-8 (the default guess is then Windows-1252).
    charset: str | None = None
    # A text/plain e-mail body with a house layout: "aap-formatted" (a JSON object of arrays).
    email_format: str | None = None
    # The partner's own urgency and priority labels (e.g. AAP's "News Value") to numbers.
    urgency_labels: dict[str, int] = field(default_factory=dict)
    priority_labels: dict[str, int] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Profile:
        subjects = {
            str(label): Subject(
                scheme=str(s.get("scheme") or "category"), code=s.get("code"), name=s.get("name")
            )
            for label, s in (data.get("category_subjects") or {}).items()
        }
        return cls(
            timezone=str(data.get("timezone") or "UTC"),
            languages=tuple(data.get("languages") or ()),
            dateline_patterns=tuple(data.get("dateline_patterns") or ()),
            strip_lines=tuple(data.get("strip_lines") or ()),
            category_subjects=subjects,
            charset=data.get("charset") or None,
            email_format=data.get("email_format") or None,
            urgency_labels={str(k): int(v) for k, v in (data.get("urgency_labels") or {}).items()},
            priority_labels={
                str(k): int(v) for k, v in (data.get("priority_labels") or {}).items()
            },
        )

    def mapped_subject(self, label: str | None) -> Subject | None:
        """The subject a category label maps to (exact label first, then case-insensitive)."""
        if not label:
            return None
        found = self.category_subjects.get(label)
        if found is None:
            folded = label.casefold()
            found = next(
                (s for k, s in self.category_subjects.items() if k.casefold() == folded), None
            )
        return found

    def label_number(self, kind: str, label: str | None) -> int | None:
        """The number from 0 to 9 a partner's ``urgency`` or ``priority`` label stands for (a
        number given as a label is itself), or None: unknown labels and other numbers ("99",
        "²") are None. Case-insensitive."""
        if label is None or not str(label).strip():
            return None
        text = str(label).strip()
        if text.isascii() and text.isdecimal():
            return int(text) if len(text) <= 2 and int(text) <= 9 else None
        labels = self.urgency_labels if kind == "urgency" else self.priority_labels
        folded = text.casefold()
        return next((v for k, v in labels.items() if k.casefold() == folded), None)

    def as_dict(self) -> dict[str, Any]:
        return {
            "timezone": self.timezone,
            "languages": list(self.languages),
            "dateline_patterns": list(self.dateline_patterns),
            "strip_lines": list(self.strip_lines),
            "category_subjects": {
                k: dataclasses.asdict(v) for k, v in self.category_subjects.items()
            },
            "charset": self.charset,
            "email_format": self.email_format,
            "urgency_labels": dict(self.urgency_labels),
            "priority_labels": dict(self.priority_labels),
        }


@dataclass(frozen=True, slots=True)
class ParseContext:
    """What a parser may know besides the bytes: the partner's profile and the arrival time."""

    profile: Profile = field(default_factory=Profile)
    received_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.profile.timezone)


@dataclass(slots=True)
class ParsedItem:
    """One story as a format parser read it. Strings are as found (trimmed); times aware UTC."""

    format: str
    uri: str | None = None
    version: str | None = None
    type: str = "text"
    pubstatus: PubStatus = PubStatus.USABLE
    headline: str | None = None
    slugline: str | None = None
    byline: str | None = None
    abstract: str | None = None
    ednote: str | None = None
    body_html: str | None = None
    body_text: str | None = None
    language: str | None = None
    dateline: Dateline | None = None
    firstcreated: datetime | None = None
    versioncreated: datetime | None = None
    embargoed: datetime | None = None
    urgency: int | None = None
    priority: int | None = None
    subjects: list[Subject] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    places: list[Place] = field(default_factory=list)
    genre: str | None = None
    source: str | None = None
    copyrightholder: str | None = None
    usageterms: str | None = None
    renditions: list[Rendition] = field(default_factory=list)
    associations: list[Association] = field(default_factory=list)


@dataclass(slots=True)
class NormalisedItem:
    """The item contract (docs/api.md, Items) less the server-side fields (id, received_at…)."""

    format: str
    uri: str
    version: str | None
    type: str
    pubstatus: PubStatus
    headline: str | None
    slugline: str | None
    byline: str | None
    abstract: str | None
    ednote: str | None
    body_html: str | None
    body_text: str | None
    word_count: int
    language: str | None
    dateline: Dateline | None
    firstcreated: datetime
    versioncreated: datetime
    embargoed: datetime | None
    urgency: int | None
    priority: int | None
    subjects: list[Subject]
    keywords: list[str]
    places: list[Place]
    genre: str | None
    source: str | None
    copyrightholder: str | None
    usageterms: str | None
    renditions: list[Rendition]
    associations: list[Association]
    fingerprint: str
    uri_derived: bool = False
    # Repairs made on the way in: [{code, field|line, message}] (shared.reading.repairs).
    warnings: list[dict[str, Any]] = field(default_factory=list)


@overload
def rfc3339(value: datetime) -> str: ...
@overload
def rfc3339(value: None) -> None: ...
def rfc3339(value: datetime | None) -> str | None:
    """``2022-01-07T10:21:00Z``; fractions only when non-zero."""
    if value is None:
        return None
    value = value.astimezone(UTC)
    text = f"{value.year:04d}" + value.strftime("-%m-%dT%H:%M:%S")
    if value.microsecond:
        text += f".{value.microsecond:06d}".rstrip("0")
    return text + "Z"
