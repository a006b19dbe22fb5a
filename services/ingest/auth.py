"""Who is calling: the FastAPI dependencies every route uses for its credential."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Engine

from services.ingest.state import state_of
from shared.core.errors import Forbidden
from shared.db import credentials
from shared.db.credentials import Principal
from shared.db.engine import autocommit


def current_principal(request: Request) -> Principal:
    """Who is calling, from the bearer credential (401/403 otherwise). Its last-used time is
    touched at most once a minute."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    bearer = token.strip() if scheme.lower() == "bearer" else None
    engine: Engine = state_of(request).engine
    with autocommit(engine) as conn:  # one statement, no BEGIN and ROLLBACK round trips
        principal = credentials.authenticate(conn, bearer)
    last = principal.last_used_at
    if last is None or datetime.now(UTC) - last > timedelta(minutes=1):
        with engine.begin() as conn:
            credentials.touch(conn, principal.key_id)
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require_editor(principal: CurrentPrincipal) -> Principal:
    if not principal.has_role("editor"):
        raise Forbidden("this endpoint needs an editor or admin token")
    return principal


EditorPrincipal = Annotated[Principal, Depends(require_editor)]
