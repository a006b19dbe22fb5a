"""Who is calling: the FastAPI dependencies every route uses for its credential, and the
partner keys a push may act on without reading its credential first (``KnownKeys``)."""

from __future__ import annotations

import hmac
import time
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Engine

from services.ingest.state import state_of
from services.ingest.threads import in_thread
from shared.core.errors import Forbidden
from shared.db import credentials
from shared.db.credentials import Principal
from shared.db.engine import autocommit


def bearer_of(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


def current_principal(request: Request) -> Principal:
    """Who is calling, from the bearer credential (401/403 otherwise). Its last-used time is
    touched at most once a minute."""
    engine: Engine = state_of(request).engine
    with autocommit(engine) as conn:  # one statement, no BEGIN and ROLLBACK round trips
        principal = credentials.authenticate(conn, bearer_of(request))
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


class KnownKeys:
    """Partner keys read in the last ``TTL`` seconds, with what they were read as (key id →
    SHA-256 of the secret, the principal, when it is read again): a push with one of them reads
    its body, checks it and stores it without a round trip for its credential.

    Revocation, disabling and new partner settings still take effect at once: a push's insert
    holds only while the key is active and its partner row unchanged, checked in the same
    statement (``credentials.Guard``), and a push that fails or finds the guard broken reads the
    credential again before it answers (``routes.push``). What a stale entry allows is bounded:
    a revoked key's body is read, within the body budget, before the ``401``. Entries expire
    after ``TTL`` seconds, so the key's last-used time is still touched about once a minute.
    Used on the event loop only: no lock."""

    TTL = 60.0
    MAX_KEYS = 10_000

    def __init__(self) -> None:
        self._keys: dict[str, tuple[str, Principal, float]] = {}

    def get(self, bearer: str | None) -> Principal | None:
        parts = credentials.parse(bearer)
        if parts is None:
            return None
        key_id, secret = parts
        entry = self._keys.get(key_id)
        if entry is None:
            return None
        digest, principal, until = entry
        if time.monotonic() > until:
            del self._keys[key_id]
            return None
        if not hmac.compare_digest(digest, credentials.secret_hash(secret)):
            return None
        return principal

    def put(self, bearer: str | None, principal: Principal) -> None:
        parts = credentials.parse(bearer)
        if parts is None or principal.guard() is None:
            return
        key_id, secret = parts
        if len(self._keys) >= self.MAX_KEYS:
            self._keys.clear()
        until = time.monotonic() + self.TTL
        self._keys[key_id] = (credentials.secret_hash(secret), principal, until)

    def forget(self, bearer: str | None) -> None:
        parts = credentials.parse(bearer)
        if parts is not None:
            self._keys.pop(parts[0], None)


async def pushing_principal(request: Request, *, again: bool = False) -> tuple[Principal, bool]:
    """The caller of a push, and whether it came from ``KnownKeys`` rather than the database
    (``again``: from the database, whatever is known)."""
    known = state_of(request).one(KnownKeys, KnownKeys)
    bearer = bearer_of(request)
    if again:
        known.forget(bearer)
    else:
        principal = known.get(bearer)
        if principal is not None:
            return principal, True
    principal = await in_thread(request, current_principal, request)
    known.put(bearer, principal)
    return principal, False
