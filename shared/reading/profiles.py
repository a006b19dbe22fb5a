"""Partner profiles (docs/api.md, Partner profiles): agency quirks as data.

``load_profile`` is the one way in."""

from __future__ import annotations

import re
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from shared.core.errors import Invalid, UnsupportedMediaType
from shared.core.model import Profile
from shared.reading.formats.common.charsets import text_charset

_KEYS = {
    "timezone",
    "languages",
    "dateline_patterns",
    "strip_lines",
    "category_subjects",
    "charset",
    "email_format",
    "urgency_labels",
    "priority_labels",
}
EMAIL_FORMATS = {"aap-formatted"}
_GROUPS = {"located", "date", "source"}


def _fail(field: str, message: str) -> Invalid:
    return Invalid(
        f"profile {field}: {message}", errors=[{"field": f"/{field}", "message": message}]
    )


def validate_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise Invalid(
            f"unknown time zone {name!r}",
            errors=[{"field": "/timezone", "message": "not an IANA time zone"}],
        ) from exc
    return name


def _strings(data: dict[str, Any], key: str) -> list[str]:
    value = data.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _fail(key, "must be a list of strings")
    return value


def load_profile(data: object) -> Profile:
    """A validated profile; raises Invalid naming the field for anything it cannot use."""
    if not isinstance(data, dict):
        raise Invalid("a profile is a JSON object")
    unknown = sorted(set(data) - _KEYS)
    if unknown:
        raise _fail(unknown[0], f"unknown key; profiles take {', '.join(sorted(_KEYS))}")
    timezone = data.get("timezone") or "UTC"
    if not isinstance(timezone, str):
        raise _fail("timezone", "must be a string")
    validate_timezone(timezone)
    _strings(data, "languages")
    _strings(data, "strip_lines")
    for index, pattern in enumerate(_strings(data, "dateline_patterns")):
        try:
            groups = set(re.compile(pattern).groupindex)
        except re.error as exc:
            raise _fail(f"dateline_patterns/{index}", f"not a regular expression: {exc}") from exc
        if not groups & _GROUPS:
            raise _fail(f"dateline_patterns/{index}", "needs a named group located, date or source")
    subjects = data.get("category_subjects") or {}
    if not isinstance(subjects, dict) or not all(isinstance(v, dict) for v in subjects.values()):
        raise _fail("category_subjects", "must map labels to {scheme, code, name} objects")
    charset = data.get("charset")
    if charset is not None:
        if not isinstance(charset, str):
            raise _fail("charset", "must be a string")
        try:
            text_charset(charset)
        except UnsupportedMediaType as exc:
            raise _fail("charset", exc.detail) from exc
    email_format = data.get("email_format")
    if email_format is not None and email_format not in EMAIL_FORMATS:
        raise _fail("email_format", f"must be one of {', '.join(sorted(EMAIL_FORMATS))}")
    for key in ("urgency_labels", "priority_labels"):
        labels = data.get(key) or {}
        if not isinstance(labels, dict) or not all(
            isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 9 for v in labels.values()
        ):
            raise _fail(key, "must map labels to numbers 0 to 9")
    return Profile.from_dict(data)
