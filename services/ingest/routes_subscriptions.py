"""Webhook subscriptions of publishing systems (admin tokens only).

A subscription's secret is returned once, by ``POST``; a URL may carry a token of the
receiver's, so reading subscriptions needs an admin token too.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from sqlalchemy import Engine

from services.ingest.auth import CurrentPrincipal
from services.ingest.body import read_limited
from services.ingest.state import state_of
from shared.core.errors import Forbidden, Invalid, Malformed, NotFound
from shared.core.model import rfc3339
from shared.db import subscriptions
from shared.db.credentials import Principal
from shared.output.webhooks import allow_private

router = APIRouter()
MAX_BODY = 16 * 1024
_FIELDS = ("url", "filters")


def _admin(principal: CurrentPrincipal) -> Principal:
    if not principal.has_role("admin"):
        raise Forbidden("subscriptions need an admin token")
    return principal


AdminPrincipal = Annotated[Principal, Depends(_admin)]


@router.post("/v1/subscriptions", status_code=201)
async def create_subscription(request: Request, principal: AdminPrincipal) -> JSONResponse:
    """``{url, filters?}`` → 201 with the subscription and its ``secret`` (shown only now)."""
    raw = await read_limited(request, MAX_BODY)
    url, filters = _parse(raw)
    created = await run_in_threadpool(_create, request, url, filters, principal.key_id)
    location = f"/v1/subscriptions/{created['id']}"
    return JSONResponse(_public(created), status_code=201, headers={"Location": location})


def _parse(raw: bytes) -> tuple[str, Any]:
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise Malformed("the body must be a JSON object {url, filters}") from exc
    if not isinstance(body, dict):
        raise Invalid(
            "the body must be a JSON object", errors=[{"field": "", "message": "not an object"}]
        )
    errors = [{"field": _pointer(k), "message": "unknown field"} for k in body if k not in _FIELDS]
    if not isinstance(body.get("url"), str):
        errors.append({"field": "/url", "message": "required: an http or https URL"})
    if errors:
        raise Invalid("the subscription is invalid", errors=errors)
    return body["url"], body.get("filters")


def _pointer(name: str) -> str:
    """A JSON pointer to a top-level member, printable even if the name has lone surrogates."""
    escaped = name.replace("~", "~0").replace("/", "~1")
    return "/" + escaped.encode("utf-8", "backslashreplace").decode("utf-8")


def _create(request: Request, url: str, filters: Any, key_id: str) -> dict[str, Any]:
    engine: Engine = state_of(request).engine
    with engine.begin() as conn:
        return subscriptions.create(
            conn, url=url, filters=filters, created_by=key_id,
            allow_private=allow_private(state_of(request).settings),
        )  # fmt: skip


@router.get("/v1/subscriptions")
def list_subscriptions(request: Request, _: AdminPrincipal) -> dict[str, Any]:
    """Every subscription, oldest first, without secrets."""
    engine: Engine = state_of(request).engine
    with engine.connect() as conn:
        found = subscriptions.list_all(conn)
    return {"subscriptions": [_public(s) for s in found]}


@router.get("/v1/subscriptions/{subscription_id}")
def get_subscription(subscription_id: str, request: Request, _: AdminPrincipal) -> dict[str, Any]:
    """One subscription without its secret, with its deliveries counted by status."""
    engine: Engine = state_of(request).engine
    with engine.connect() as conn:
        found = subscriptions.get(conn, subscription_id)
    if found is None:
        raise NotFound(f"no subscription {subscription_id!r}")
    return _public(found)


@router.delete("/v1/subscriptions/{subscription_id}", status_code=204)
def delete_subscription(subscription_id: str, request: Request, _: AdminPrincipal) -> Response:
    """Remove the subscription; its pending deliveries are never sent."""
    engine: Engine = state_of(request).engine
    with engine.begin() as conn:
        subscriptions.delete_one(conn, subscription_id)
    return Response(status_code=204)


def _public(row: dict[str, Any]) -> dict[str, Any]:
    out = {
        "id": row["id"],
        "url": row["url"],
        "filters": row["filters"],
        "active": row["disabled_at"] is None,
        "created_at": rfc3339(row["created_at"]),
        "disabled_at": rfc3339(row["disabled_at"]),
        "disabled_reason": row["disabled_reason"],
        "failing_since": rfc3339(row["failing_since"]),
    }
    for extra in ("deliveries", "secret"):
        if extra in row:
            out[extra] = row[extra]
    return out
