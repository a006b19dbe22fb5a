"""Bytes to normalised items: the one path shared by the ingest check, the worker and
``dateline parse``. Raises ``InputError`` subclasses for bad input, nothing else on purpose."""

from __future__ import annotations

from datetime import datetime

from shared.errors import Invalid
from shared.formats import parse_body
from shared.model import NormalisedItem, ParseContext, Profile
from shared.normalise import normalise


def prepare(
    raw: bytes,
    content_type: str | None,
    *,
    namespace: str,
    profile: Profile,
    received_at: datetime,
    max_items: int = 1000,
) -> list[NormalisedItem]:
    ctx = ParseContext(profile=profile, received_at=received_at)
    parsed = parse_body(raw, content_type, ctx)
    if not parsed:
        raise Invalid("the body holds no item")
    if len(parsed) > max_items:
        raise Invalid(
            f"a batch holds at most {max_items} items, this one {len(parsed)}",
            errors=[{"index": max_items, "message": "too many items"}],
        )
    out = []
    for index, item in enumerate(parsed):
        try:
            out.append(normalise(item, ctx, namespace=namespace))
        except Invalid as exc:
            if len(parsed) > 1:
                exc.errors = [{"index": index, **e} for e in exc.errors] or [
                    {"index": index, "message": exc.detail}
                ]
            raise
    return out
