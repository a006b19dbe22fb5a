"""Per-partner signing secrets for body signatures (docs/api.md, Signed pushes).

A secret is ``whsec_`` + base64 of 32 random bytes (the Standard Webhooks shape). It is stored as
is, because verifying an HMAC needs the key itself; it is returned once by ``set_secret`` and
never by anything else here. ``require_signature`` makes a signature mandatory on every push.
"""

from __future__ import annotations

import base64
import secrets
from typing import Any

from sqlalchemy import Connection, select, update

from shared.core.errors import NotFound
from shared.db.credentials import Partner, Signing, get_partner
from shared.db.tables import partners

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32

__all__ = ["Signing", "by_slug", "for_partner", "new_secret", "set_secret", "show"]


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def set_secret(conn: Connection, slug: str, *, require: bool | None = None) -> str:
    """Give the partner a new secret (replacing any old one) and return it, once.

    ``require`` sets whether signatures are mandatory; None keeps the current choice.
    """
    partner = get_partner(conn, slug)
    secret = new_secret()
    values: dict[str, Any] = {"signing_secret": secret}
    if require is not None:
        values["require_signature"] = require
    conn.execute(update(partners).where(partners.c.id == partner.id).values(**values))
    return secret


def show(conn: Connection, slug: str) -> dict[str, Any]:
    """``{"slug", "has_secret", "require_signature"}``: never the secret itself."""
    partner = get_partner(conn, slug)
    signing = for_partner(conn, partner.id)
    return {
        "slug": partner.slug,
        "has_secret": signing.secret is not None,
        "require_signature": signing.required,
    }


def for_partner(conn: Connection, partner_id: int) -> Signing:
    row = conn.execute(
        select(partners.c.signing_secret, partners.c.require_signature).where(
            partners.c.id == partner_id
        )
    ).one()
    return Signing(row.signing_secret, row.require_signature)


def by_slug(conn: Connection, slug: str) -> tuple[Partner, Signing] | None:
    """The partner and its signing settings, or None for an unknown slug."""
    try:
        partner = get_partner(conn, slug)
    except NotFound:
        return None
    return partner, for_partner(conn, partner.id)
