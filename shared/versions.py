"""Version order (docs/api.md, Verdicts and versions): numeric versions compare as numbers;
otherwise, and on ties, the later ``versioncreated``, then the later arrival."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TypeVar

_NUMERIC = re.compile(r"^\d{1,30}(?:\.\d{1,10})?$")


def numeric_version(version: str | None) -> Decimal | None:
    if version is None or not _NUMERIC.match(version):
        return None
    return Decimal(version)


@dataclass(frozen=True, slots=True)
class VersionStamp:
    version: str | None
    versioncreated: datetime
    received_at: datetime


_Ordered = TypeVar("_Ordered", Decimal, datetime)


def _sign(a: _Ordered, b: _Ordered) -> int:
    return (a > b) - (a < b)


def compare(new: VersionStamp, current: VersionStamp) -> int:
    """1 if ``new`` should become current, -1 if it is older, 0 if nothing tells them apart."""
    a, b = numeric_version(new.version), numeric_version(current.version)
    if a is not None and b is not None and a != b:
        return _sign(a, b)
    if new.versioncreated != current.versioncreated:
        return _sign(new.versioncreated, current.versioncreated)
    return _sign(new.received_at, current.received_at)
