"""The item filters of ``GET /v1/items`` and ``GET /v1/feed.atom``, read and validated in one place
so that every reader answers a bad filter with the same 422 naming the field."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import Depends, Query, Request

from services.ingest.state import state_of
from shared.core.errors import Invalid
from shared.core.model import PubStatus
from shared.core.settings import Settings
from shared.db.item_reads import ItemQuery


def item_query(
    request: Request,
    partner: str | None = None,
    language: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    subject: str | None = None,
    pubstatus: PubStatus | None = None,
    q: Annotated[str | None, Query(max_length=500)] = None,
    include_duplicates: bool = False,
    limit: Annotated[int | None, Query()] = None,
    cursor: str | None = None,
    sort: Literal["versioncreated", "received"] = "versioncreated",
) -> ItemQuery:
    """The query the parameters ask for; ``Invalid`` (422) for a limit outside 1..max page size
    or a ``since``/``until`` without a UTC offset. ``sort`` picks the order (docs/api.md,
    Reading items); a cursor is only good in the order that issued it."""
    settings: Settings = state_of(request).settings
    size = _page_size(settings, limit)
    for name, value in (("since", since), ("until", until)):
        if value is not None and value.tzinfo is None:
            raise Invalid(
                f"{name} needs a time zone offset (RFC 3339)",
                errors=[{"field": name, "message": "missing offset"}],
            )
    return ItemQuery(
        partner=partner,
        language=language,
        since=since,
        until=until,
        subject=subject,
        pubstatus=pubstatus,
        q=q,
        include_duplicates=include_duplicates,
        limit=size,
        cursor=cursor,
        max_bytes=settings.max_page_bytes,
        sort=sort,
    )


ItemFilters = Annotated[ItemQuery, Depends(item_query)]


def _page_size(settings: Settings, limit: int | None) -> int:
    size = settings.default_page_size if limit is None else limit
    if not 1 <= size <= settings.max_page_size:
        raise Invalid(
            f"limit must be between 1 and {settings.max_page_size}",
            errors=[{"field": "limit", "message": "out of range"}],
        )
    return size


@dataclass(frozen=True, slots=True)
class PageQuery:
    """A page of an item's versions or duplicates: ``limit`` entries after ``cursor``, at most
    ``max_bytes`` of JSON (always one entry)."""

    limit: int
    cursor: str | None
    max_bytes: int


def page_query(
    request: Request, limit: Annotated[int | None, Query()] = None, cursor: str | None = None
) -> PageQuery:
    """``limit`` (1..max page size, default the default page size; else a 422) and ``cursor``."""
    settings: Settings = state_of(request).settings
    return PageQuery(_page_size(settings, limit), cursor, settings.max_page_bytes)


Paging = Annotated[PageQuery, Depends(page_query)]


def page_url(request: Request, cursor: str | None) -> str | None:
    """The relative URL of the same request at ``cursor``; None when there is no next page."""
    if cursor is None:
        return None
    params = dict(request.query_params)
    params["cursor"] = cursor
    return f"{request.url.path}?{urlencode(params)}"
