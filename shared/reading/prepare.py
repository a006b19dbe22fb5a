"""Bytes to normalised items: the one path shared by the ingest check, the worker and
``dateline parse``. Raises ``InputError`` subclasses for bad input, nothing else on purpose."""

from __future__ import annotations

from datetime import datetime

from shared.core.errors import DatelineError, Invalid
from shared.core.model import MAX_BATCH_ITEMS, NormalisedItem, ParseContext, Profile
from shared.reading.formats import parse_body
from shared.reading.formats.common.batch import batch_error
from shared.reading.normalise import normalise
from shared.reading.repairs import collecting, for_member, of_submission


def prepare(
    raw: bytes,
    content_type: str | None,
    *,
    namespace: str,
    profile: Profile,
    received_at: datetime,
    max_items: int = MAX_BATCH_ITEMS,
    max_body_bytes: int | None = None,
) -> list[NormalisedItem]:
    """``max_body_bytes`` bounds each item's ``body_html`` and ``body_text`` once normalised
    (UTF-8 bytes; ``DATELINE_MAX_ITEM_BODY_BYTES``): a larger one is a 422 naming the field."""
    ctx = ParseContext(profile=profile, received_at=received_at)
    with collecting() as body_warnings:
        parsed = parse_body(raw, content_type, ctx)
    if not parsed:
        raise Invalid("the body holds no item")
    if len(parsed) > max_items:
        raise Invalid(
            f"a batch holds at most {max_items} items, this one {len(parsed)}",
            errors=[{"index": max_items, "message": "too many items"}],
        )
    out = []
    failures: list[tuple[int, DatelineError]] = []  # every member's problems are reported
    for index, item in enumerate(parsed):
        try:
            with collecting() as own:
                normalised = normalise(item, ctx, namespace=namespace)
            if max_body_bytes is not None:
                _bounded(normalised, max_body_bytes)
        except Invalid as exc:
            failures.append((index, exc))
            continue
        normalised.warnings = [*for_member(body_warnings, index), *own]
        out.append(normalised)
    if len(parsed) == 1 and failures:
        raise failures[0][1]
    if len(failures) == 1:
        index, error = failures[0]
        error.errors = [{"index": index, **e} for e in error.errors] or [
            {"index": index, "message": error.detail}
        ]
        raise error
    if failures:
        raise batch_error(failures, len(parsed), noun="batch item")
    return out


def _bounded(item: NormalisedItem, limit: int) -> None:
    for field in ("body_html", "body_text"):
        size = len((getattr(item, field) or "").encode())
        if size > limit:
            raise Invalid(
                f"{field} is {size} bytes once normalised; the limit is {limit}",
                errors=[{"field": f"/{field}", "message": f"over {limit} bytes"}],
            )


def warnings_of(items: list[NormalisedItem]) -> list[dict[str, object]]:
    """The submission's warnings: every item's, with its ``index`` in a batch."""
    return of_submission([item.warnings for item in items])
