"""``POST /v1/push/{partner}``: Superdesk HTTP Push compatibility (docs/api.md, Superdesk
HTTP Push).

A Superdesk destination has only a URL and a secret token, so this route authenticates by
``x-superdesk-signature`` alone (HMAC-SHA1 of the body with the partner's signing secret, set with
``dateline signing set-secret``); there is no ``Authorization`` header. Then the same accept path
as ``POST /v1/items`` (rate limit, strict validation, the raw bytes committed before the answer),
always answered ``201 Created``: Superdesk counts anything else as a failed push, so identical
bytes sent again are also ``201``, with the same submission in the body.

The signature header's presence and shape are checked before the partner is looked up, so a
missing or malformed header gets byte-identical ``401`` bodies for every slug. For an unknown
partner, or one without a secret, the body is read (and dropped, never held) and the answer is
the very ``401`` a wrong signature gets: the route does not tell which slugs exist. A disabled
partner is a ``403`` only once its signature is verified.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import Engine

from services.ingest import ratelimit
from services.ingest.body import discard_limited, read_limited
from services.ingest.intake import PUSH_RESPONSES, accept_request
from services.ingest.signatures import (
    SUPERDESK,
    Claim,
    superdesk_digest,
    superdesk_mismatch,
    verify_superdesk,
)
from services.ingest.state import state_of
from services.ingest.threads import in_thread
from shared.core.errors import Forbidden
from shared.core.settings import Settings
from shared.db import signing
from shared.db.credentials import Partner
from shared.db.signing import Signing

router = APIRouter()


def _find(engine: Engine, slug: str) -> tuple[Partner, Signing] | None:
    """The partner and its signing settings, or None for an unknown slug or one without a
    secret (which must not be told apart from a wrong signature)."""
    with engine.connect() as conn:
        found = signing.by_slug(conn, slug)
    return None if found is None or found[1].secret is None else found


# Served by the edge itself (services/ingest/edge.py), without FastAPI's routing; declared here
# for the OpenAPI description.
@router.post(
    "/v1/push/{partner}",
    status_code=201,
    responses={**PUSH_RESPONSES, 429: {"description": "Too many requests"}},
)
async def superdesk_push(partner: str, request: Request) -> JSONResponse:
    """Accept a ninjs item pushed by Superdesk. 201 once the bytes are stored (also again)."""
    header = request.headers.get(SUPERDESK)
    superdesk_digest(header)  # presence and shape first: the same 401 whatever the slug
    known = await in_thread(request, _find, state_of(request).engine, partner)
    settings: Settings = state_of(request).settings
    if known is None:
        await discard_limited(request, settings.max_body_bytes)
        raise superdesk_mismatch()
    found, secrets = known
    raw = await read_limited(request, settings.max_body_bytes, sender=f"push:{found.slug}")
    verify_superdesk(header or "", raw, secrets.secret or "")
    if found.disabled:
        raise Forbidden(f"partner {found.slug!r} is disabled")

    def admit() -> Claim:  # the signature is checked above
        ratelimit.enforce(request, found.id)
        return Claim()

    response = await accept_request(request, found, raw, admit)
    response.status_code = 201  # Superdesk takes anything else, 200 included, as a failure
    return response
