"""Repairs: recoverable quirks in real agency copy, fixed on the way in and recorded.

Real wire copy is messy (a prolog that says ISO-8859-1 over UTF-8 bytes, an API envelope around
the items, an optional date left as a template placeholder). A quirk that can be repaired never
costs a story: the reader repairs it and calls ``warn``, and the repair is recorded as a warning
``{code, field|line|index, message}`` on the submission and on the item, so ops can see which
partner sends what. Only unreadable or hostile input is refused (see docs/formats.md).

``warn`` writes to the collector of the innermost ``collecting()`` block of the current context
(thread or task); outside one it does nothing, so parsers can warn without passing a list around.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

Warning_ = dict[str, Any]

# A hostile body must not make us hold an unbounded list: the first ones tell the story.
MAX_WARNINGS = 50

_current: ContextVar[list[Warning_] | None] = ContextVar("dateline_repairs", default=None)


def warn(
    code: str,
    message: str,
    *,
    field: str | None = None,
    line: int | None = None,
    index: int | None = None,
) -> None:
    """Record one repair. ``field`` is a JSON Pointer or element path, ``line`` 1-based,
    ``index`` the 0-based member of a batch the repair concerns (none: the whole body)."""
    entries = _current.get()
    if entries is None:
        return
    entry: Warning_ = {"code": code}
    if index is not None:
        entry["index"] = index
    if field is not None:
        entry["field"] = field
    if line is not None:
        entry["line"] = line
    entry["message"] = message
    if entry not in entries and len(entries) < MAX_WARNINGS:
        entries.append(entry)


@contextmanager
def collecting() -> Iterator[list[Warning_]]:
    """Collect the warnings raised inside the block (nested blocks collect their own)."""
    entries: list[Warning_] = []
    token = _current.set(entries)
    try:
        yield entries
    finally:
        _current.reset(token)


def for_member(body: list[Warning_], index: int) -> list[Warning_]:
    """The body's warnings that concern batch member ``index`` (those without an index concern
    every member), without the index."""
    return [
        {k: v for k, v in w.items() if k != "index"}
        for w in body
        if w.get("index") in (None, index)
    ]


def of_submission(items: list[list[Warning_]]) -> list[Warning_]:
    """A submission's warnings from its items' (``index`` added when there are several)."""
    out: list[Warning_] = []
    for index, warnings in enumerate(items):
        for w in warnings:
            entry = {"code": w["code"], **({"index": index} if len(items) > 1 else {}), **w}
            if entry not in out and len(out) < MAX_WARNINGS:
                out.append(entry)
    return out
