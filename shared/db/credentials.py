"""Partners, partner keys and editor/admin tokens.

A credential is ``<prefix>_<key id>_<secret>``: ``dlk`` for partner keys, ``dlt`` for editor and
admin tokens. Only the SHA-256 of the secret is stored; the key id makes the lookup O(1) and can
be logged. Secrets are 256 random bits, so a slow KDF adds nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    bindparam,
    exists,
    func,
    insert,
    literal_column,
    select,
    update,
)

from shared.core.errors import Forbidden, Invalid, NotFound, Unauthorized
from shared.core.model import Profile
from shared.db.tables import credentials, partners
from shared.reading.profiles import load_profile, validate_timezone

PARTNER_PREFIX = "dlk"
TOKEN_PREFIX = "dlt"
ROLES = ("editor", "admin")
MAX_ACTIVE_KEYS = 2
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_CREDENTIAL = re.compile(r"^(dlk|dlt)_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$")


@dataclass(frozen=True, slots=True)
class Partner:
    id: int
    slug: str
    profile: Profile
    disabled: bool


@dataclass(frozen=True, slots=True)
class Signing:
    """How a partner signs: its secret (None if it has none) and whether it must sign."""

    secret: str | None
    required: bool

    def __repr__(self) -> str:  # never show the secret, even in a traceback
        return f"Signing(secret={'set' if self.secret else None}, required={self.required})"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: a partner (``partner_id`` set) or an editor/admin."""

    kind: str  # partner | editor | admin
    key_id: str
    partner: Partner | None = None
    last_used_at: datetime | None = None
    signing: Signing | None = None  # a partner's, read with the credential (one query a push)
    revision: str | None = None  # a partner's row version: any change to the partner renews it

    @property
    def partner_id(self) -> int | None:
        return self.partner.id if self.partner else None

    def guard(self) -> Guard | None:
        """What a write made for this partner key checks again in its own statement."""
        if self.partner is None or self.revision is None:
            return None
        return Guard(self.key_id, self.partner.id, self.revision)

    def has_role(self, role: str) -> bool:
        return self.kind == "admin" or self.kind == role


@dataclass(frozen=True, slots=True)
class Guard:
    """A partner key as it was read: still active, and its partner unchanged since (same
    ``revision``), is what a statement built with ``holds()`` requires. A process may then keep
    a principal it has read and act on it: the write itself refuses if it went stale."""

    key_id: str
    partner_id: int
    revision: str

    def params(self) -> dict[str, Any]:
        return {
            "guard_key_id": self.key_id,
            "guard_partner_id": self.partner_id,
            "guard_revision": self.revision,
        }


class Changed(Exception):
    """The key was revoked or deleted, or its partner changed, since the principal was read."""


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def parse(bearer: str | None) -> tuple[str, str] | None:
    """The key id and secret of a well-formed credential, or None."""
    match = _CREDENTIAL.match(bearer or "")
    return None if match is None else (match[2], match[3])


def _new_credential(prefix: str) -> tuple[str, str, str]:
    key_id = "".join(secrets.choice("abcdefghijkmnpqrstuvwxyz23456789") for _ in range(12))
    secret = secrets.token_urlsafe(32)
    return key_id, secret, f"{prefix}_{key_id}_{secret}"


def create_partner(
    conn: Connection, *, slug: str, timezone: str = "UTC", languages: tuple[str, ...] = ()
) -> tuple[Partner, str]:
    """Create a partner and its first key; the key is returned once and never stored."""
    if not _SLUG.match(slug):
        raise Invalid(
            "a partner slug is lowercase letters, digits and dashes",
            errors=[{"field": "/slug", "message": "must match [a-z0-9][a-z0-9-]*"}],
        )
    if conn.execute(select(partners.c.id).where(partners.c.slug == slug)).first():
        raise Invalid(
            f"partner {slug!r} already exists",
            errors=[{"field": "/slug", "message": "already exists"}],
        )
    profile = Profile(timezone=validate_timezone(timezone), languages=tuple(languages))
    partner_id = conn.execute(
        insert(partners)
        .values(slug=slug, timezone=timezone, languages=list(languages), profile=profile.as_dict())
        .returning(partners.c.id)
    ).scalar_one()
    key = _issue(conn, PARTNER_PREFIX, kind="partner", partner_id=partner_id, name=slug)
    return Partner(partner_id, slug, profile, disabled=False), key


def _issue(conn: Connection, prefix: str, *, kind: str, partner_id: int | None, name: str) -> str:
    key_id, secret, full = _new_credential(prefix)
    conn.execute(
        insert(credentials).values(
            key_id=key_id,
            secret_hash=secret_hash(secret),
            kind=kind,
            partner_id=partner_id,
            name=name,
        )
    )
    return full


def create_token(conn: Connection, *, name: str, role: str) -> str:
    if role not in ROLES:
        raise Invalid(
            f"role must be one of {', '.join(ROLES)}",
            errors=[{"field": "/role", "message": f"unknown role {role!r}"}],
        )
    return _issue(conn, TOKEN_PREFIX, kind=role, partner_id=None, name=name)


def get_partner(conn: Connection, slug: str) -> Partner:
    row = conn.execute(select(partners).where(partners.c.slug == slug)).first()
    if row is None:
        raise NotFound(f"no partner {slug!r}")
    return partner_of_row(row._mapping)


def partner_by_id(conn: Connection, partner_id: int) -> Partner:
    row = conn.execute(select(partners).where(partners.c.id == partner_id)).one()
    return partner_of_row(row._mapping)


def partner_of_row(row: Any) -> Partner:
    """A Partner from a row (a mapping) with the partners table's columns."""
    profile = Profile.from_dict(
        {**row["profile"], "timezone": row["timezone"], "languages": row["languages"]}
    )
    return Partner(row["id"], row["slug"], profile, row["disabled"])


def list_partners(conn: Connection) -> list[dict[str, Any]]:
    active = (
        select(func.count())
        .where(credentials.c.partner_id == partners.c.id, credentials.c.revoked_at.is_(None))
        .scalar_subquery()
    )
    rows = conn.execute(select(partners, active.label("active_keys")).order_by(partners.c.slug))
    return [
        {
            "slug": r.slug,
            "timezone": r.timezone,
            "languages": list(r.languages),
            "disabled": r.disabled,
            "active_keys": r.active_keys,
            "created_at": r.created_at,
        }
        for r in rows
    ]


def set_disabled(conn: Connection, slug: str, disabled: bool) -> None:
    done = conn.execute(update(partners).where(partners.c.slug == slug).values(disabled=disabled))
    if done.rowcount == 0:
        raise NotFound(f"no partner {slug!r}")


def set_profile(conn: Connection, slug: str, data: dict[str, Any]) -> Profile:
    partner = get_partner(conn, slug)
    profile = load_profile(
        {"timezone": partner.profile.timezone, "languages": list(partner.profile.languages), **data}
    )
    conn.execute(
        update(partners)
        .where(partners.c.id == partner.id)
        .values(
            timezone=profile.timezone, languages=list(profile.languages), profile=profile.as_dict()
        )
    )
    return profile


def rotate_key(conn: Connection, slug: str) -> str:
    """Issue a new key; the oldest active keys are revoked so that at most two stay active."""
    partner = get_partner(conn, slug)
    key = _issue(conn, PARTNER_PREFIX, kind="partner", partner_id=partner.id, name=slug)
    active = (
        conn.execute(
            select(credentials.c.id)
            .where(credentials.c.partner_id == partner.id, credentials.c.revoked_at.is_(None))
            .order_by(credentials.c.id.desc())
        )
        .scalars()
        .all()
    )
    stale = active[MAX_ACTIVE_KEYS:]
    if stale:
        conn.execute(
            update(credentials).where(credentials.c.id.in_(stale)).values(revoked_at=func.now())
        )
    return key


def list_credentials(conn: Connection, *, partner_slug: str | None = None) -> list[dict[str, Any]]:
    """Key ids (never secrets) with their kind, owner and use: partner keys or editor tokens."""
    stmt = select(
        credentials.c.key_id, credentials.c.kind, credentials.c.name, credentials.c.created_at,
        credentials.c.revoked_at, credentials.c.last_used_at,
    ).order_by(credentials.c.id)  # fmt: skip
    if partner_slug is not None:
        partner = get_partner(conn, partner_slug)
        stmt = stmt.where(credentials.c.partner_id == partner.id)
    else:
        stmt = stmt.where(credentials.c.partner_id.is_(None))
    return [dict(r._mapping) for r in conn.execute(stmt)]


def revoke(conn: Connection, key_id: str, *, partner_slug: str | None = None) -> None:
    """Revoke one key or token at once (a leaked credential), by its key id."""
    stmt = update(credentials).where(
        credentials.c.key_id == key_id, credentials.c.revoked_at.is_(None)
    )
    if partner_slug is not None:
        stmt = stmt.where(credentials.c.partner_id == get_partner(conn, partner_slug).id)
    else:
        stmt = stmt.where(credentials.c.partner_id.is_(None))
    if conn.execute(stmt.values(revoked_at=func.now())).rowcount == 0:
        raise NotFound(f"no active credential {key_id!r}")


def touch(conn: Connection, key_id: str) -> None:
    """Record use, at most once a minute per credential (ops: which keys are still used)."""
    conn.execute(
        update(credentials)
        .where(credentials.c.key_id == key_id)
        .where(
            (credentials.c.last_used_at.is_(None))
            | (credentials.c.last_used_at < func.now() - timedelta(minutes=1))
        )
        .values(last_used_at=func.now())
    )


def _revision() -> ColumnElement[Any]:
    """The partner row's version: PostgreSQL's ``xmin``, the transaction that wrote the row, so
    any UPDATE of the partner (disabled, profile, signing settings) gives a new one."""
    return literal_column("partners.xmin::text")


def holds(
    key_id: ColumnElement[Any] | None = None,
    partner_id: ColumnElement[Any] | None = None,
    revision: ColumnElement[Any] | None = None,
) -> ColumnElement[bool]:
    """True while the ``Guard`` in the statement's parameters holds (``Guard.params``), or the
    one in the given columns (a multi-row statement's guard per row)."""
    return exists().where(
        credentials.c.key_id == (bindparam("guard_key_id") if key_id is None else key_id),
        credentials.c.revoked_at.is_(None),
        credentials.c.partner_id
        == (bindparam("guard_partner_id") if partner_id is None else partner_id),
        partners.c.id == credentials.c.partner_id,
        _revision() == (bindparam("guard_revision") if revision is None else revision),
    )


_HOLDS = select(holds())


def still_holds(conn: Connection, guard: Guard) -> bool:
    return bool(conn.execute(_HOLDS, guard.params()).scalar())


# Built once: every request authenticates, and building the statement costs more than running it.
_AUTHENTICATE = (
    select(
        credentials,
        _revision().label("revision"),
        partners.c.slug,
        partners.c.disabled,
        partners.c.profile,
        partners.c.timezone,
        partners.c.languages,
        partners.c.signing_secret,
        partners.c.require_signature,
    )
    .outerjoin(partners, partners.c.id == credentials.c.partner_id)
    .where(credentials.c.key_id == bindparam("key_id"))
)


def authenticate(conn: Connection, bearer: str | None) -> Principal:
    """The principal behind a bearer credential; raises Unauthorized or Forbidden."""
    parts = parse(bearer)
    if parts is None:
        raise Unauthorized("a valid `Authorization: Bearer <key>` header is required")
    key_id, secret = parts
    row = conn.execute(_AUTHENTICATE, {"key_id": key_id}).first()
    if (
        row is None
        or row.revoked_at is not None
        or not hmac.compare_digest(row.secret_hash, secret_hash(secret))
    ):
        raise Unauthorized("unknown or revoked credential")
    if row.kind == "partner" and row.disabled:
        raise Forbidden(f"partner {row.slug!r} is disabled")
    partner = signing = None
    if row.partner_id is not None:
        partner = partner_of_row({**row._mapping, "id": row.partner_id})
        signing = Signing(row.signing_secret, bool(row.require_signature))
    return Principal(
        kind=row.kind,
        key_id=key_id,
        partner=partner,
        last_used_at=row.last_used_at,
        signing=signing,
        revision=row.revision,
    )
