"""Body signatures on pushes (docs/api.md, Signed pushes), checked over the body bytes before
any parsing.

Two schemes, both keyed by the partner's signing secret (``shared/db/signing.py``):

* Standard Webhooks: ``webhook-id``, ``webhook-timestamp`` (Unix seconds) and
  ``webhook-signature: v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`` (a space-separated
  list: one matching entry is enough, so a sender can rotate). The key is the base64 after
  ``whsec_``. The timestamp must be within 5 minutes of now, either way.
* Superdesk HTTP Push: ``x-superdesk-signature: sha1=<hex HMAC-SHA1 of the body>``, keyed by the
  secret string itself (what a Superdesk destination's "secret token" holds). No timestamp, so no
  replay window: a resend of identical bytes is answered idempotently anyway.

The body is the decoded one (after ``Content-Encoding``): the payload the sender signed. A
signature that is sent is always checked, also when the partner does not require one; a partner
with ``require_signature`` must send one. Every failure is a ``401`` naming the header.

Malformed headers (non-ASCII digits, non-hex digests, junk base64) are refused with a ``401``
naming the header; they never raise anything else.

Replays: an accepted ``webhook-id`` is remembered in Redis (``SET NX EX``) with the SHA-256 of the
body, for twice the tolerance, the longest a message stays inside the window. A second use with the
same body is the sender's retry (Standard Webhooks resends with the same id): it goes on to the
accept path, which answers the same submission. A second use with another body is refused as
replayed. If the first push fails (a ``4xx``, a ``429``, a ``503``) the id is forgotten, so the
sender's retry is not taken for a replay. Redis being down skips the replay check (logged): the
inbox is the truth, and identical bytes map to the same submission.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass

import redis
from fastapi import Request

from services.ingest.ratelimit import redis_client
from services.ingest.state import state_of
from shared.core.errors import Unauthorized
from shared.db import signing as signing_repo
from shared.db.credentials import Partner
from shared.db.signing import SECRET_PREFIX, Signing

logger = logging.getLogger(__name__)

TOLERANCE = 300
REPLAY_KEY = "dateline:webhook-id:{partner_id}:{webhook_id}"
MAX_WEBHOOK_ID = 256
STANDARD = ("webhook-id", "webhook-timestamp", "webhook-signature")
SUPERDESK = "x-superdesk-signature"
SHA1_HEX = re.compile(r"[0-9a-fA-F]{40}")
SUPERDESK_SHAPE = (
    "x-superdesk-signature must be sha1=<hex HMAC-SHA1 of the body> (40 hexadecimal digits)"
)


def _key(secret: str) -> bytes:
    """Standard Webhooks' HMAC key: the bytes behind ``whsec_``."""
    encoded = secret[len(SECRET_PREFIX) :] if secret.startswith(SECRET_PREFIX) else secret
    return base64.b64decode(encoded)


def standard_webhooks_signature(secret: str, webhook_id: str, timestamp: int, body: bytes) -> str:
    """``v1,<base64 HMAC-SHA256>`` of ``"{id}.{timestamp}.{body}"``."""
    signed = f"{webhook_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def superdesk_signature(secret: str, body: bytes) -> str:
    """``sha1=<hex HMAC-SHA1>`` of the body, keyed by the secret string (as Superdesk does)."""
    return "sha1=" + hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()


def _refuse(header: str, detail: str) -> Unauthorized:
    return Unauthorized(detail, errors=[{"field": header, "message": detail}])


def verify_standard(headers: Mapping[str, str], body: bytes, secret: str, *, now: float) -> str:
    """Check a Standard Webhooks signature; return the ``webhook-id``. Raises Unauthorized."""
    missing = [h for h in STANDARD if not headers.get(h)]
    if missing:
        raise _refuse(
            missing[0],
            "Standard Webhooks needs webhook-id, webhook-timestamp and webhook-signature "
            f"together; missing: {', '.join(missing)}",
        )
    webhook_id = headers["webhook-id"]
    if len(webhook_id) > MAX_WEBHOOK_ID or not webhook_id.isprintable():
        raise _refuse("webhook-id", f"webhook-id must be 1-{MAX_WEBHOOK_ID} printable characters")
    stamp = headers["webhook-timestamp"].strip()
    if not (stamp.isascii() and stamp.isdigit()) or len(stamp) > 12:
        raise _refuse(
            "webhook-timestamp", "webhook-timestamp must be whole Unix seconds in ASCII digits 0-9"
        )
    skew = int(now) - int(stamp)
    if abs(skew) > TOLERANCE:
        when = "in the past" if skew > 0 else "in the future"
        raise _refuse(
            "webhook-timestamp",
            f"webhook-timestamp is {abs(skew)} s {when}; at most {TOLERANCE} s are accepted",
        )
    expected = standard_webhooks_signature(secret, webhook_id, int(stamp), body)
    expected_mac = base64.b64decode(expected[3:])
    offered = [s[3:] for s in headers["webhook-signature"].split() if s.startswith("v1,")]
    if not offered:
        raise _refuse("webhook-signature", "webhook-signature has no v1,<base64> entry")
    if not any(hmac.compare_digest(expected_mac, _b64(s)) for s in offered):
        raise _refuse(
            "webhook-signature",
            'no webhook-signature matches HMAC-SHA256 of "{webhook-id}.{webhook-timestamp}.'
            "{body}\" with the partner's secret",
        )
    return webhook_id


def _b64(text: str) -> bytes:
    """The bytes of a base64 entry; ``b""`` (which matches nothing) for anything else."""
    if not text.isascii():
        return b""
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return b""


def superdesk_digest(header: str | None) -> bytes:
    """The 20 bytes behind ``sha1=<40 hex digits>``. Unauthorized when missing or malformed.

    Looks at the header alone, so a caller can check its shape before anything else.
    """
    if not header:
        detail = "x-superdesk-signature (sha1=<hex HMAC-SHA1 of the body>) is required here"
        raise _refuse(SUPERDESK, detail)
    scheme, _, digest = header.strip().partition("=")
    digest = digest.strip()
    if scheme.lower() != "sha1" or not SHA1_HEX.fullmatch(digest):
        raise _refuse(SUPERDESK, SUPERDESK_SHAPE)
    return bytes.fromhex(digest)


def verify_superdesk(header: str, body: bytes, secret: str) -> None:
    """Check ``x-superdesk-signature``, comparing bytes in constant time. Raises Unauthorized."""
    offered = superdesk_digest(header)
    expected = hmac.new(secret.encode(), body, hashlib.sha1).digest()
    if not hmac.compare_digest(expected, offered):
        raise superdesk_mismatch()


def superdesk_mismatch() -> Unauthorized:
    """The one answer to a signature that does not verify, whoever the slug names."""
    return _refuse(
        SUPERDESK,
        "x-superdesk-signature does not match HMAC-SHA1 of the body with the partner's secret",
    )


def signed(headers: Mapping[str, str]) -> bool:
    """Whether the request carries a signature ``check`` would verify."""
    return any(headers.get(h) for h in STANDARD) or bool(headers.get(SUPERDESK))


def check(
    headers: Mapping[str, str], body: bytes, signing: Signing, *, partner: str, now: float
) -> str | None:
    """Verify whatever signatures the request carries against the partner's settings.

    Returns the ``webhook-id`` of a verified Standard Webhooks signature (None otherwise).
    Raises Unauthorized for a bad, expired or missing-when-required signature.
    """
    standard = any(headers.get(h) for h in STANDARD)
    superdesk = headers.get(SUPERDESK)
    if not standard and not superdesk:
        if signing.required:
            raise _refuse(
                "webhook-signature",
                f"partner {partner!r} must sign its pushes: send webhook-id, webhook-timestamp "
                "and webhook-signature (Standard Webhooks) or x-superdesk-signature",
            )
        return None
    if signing.secret is None:
        raise _refuse(
            SUPERDESK if superdesk and not standard else "webhook-signature",
            f"the push is signed but partner {partner!r} has no signing secret to check it with",
        )
    if superdesk:
        verify_superdesk(superdesk, body, signing.secret)
    if standard:
        return verify_standard(headers, body, signing.secret, now=now)
    return None


@dataclass(slots=True)
class Claim:
    """A remembered ``webhook-id`` (or nothing); ``release`` forgets it again."""

    client: redis.Redis | None = None
    key: str | None = None

    def release(self) -> None:
        if self.client is None or self.key is None:
            return
        try:
            self.client.delete(self.key)
        except redis.RedisError as exc:
            logger.warning("webhook-id not released", extra={"error": type(exc).__name__})


def claim(client: redis.Redis, partner_id: int, webhook_id: str, body: bytes) -> Claim:
    """Remember the id with the body's SHA-256 for twice the tolerance.

    A fresh id is claimed (``release`` forgets it). An id already seen with the same body is the
    sender's retry: an empty Claim, so a failure of the retry never forgets the first delivery's
    id. An id seen with another body is Unauthorized (replayed).
    """
    key = REPLAY_KEY.format(partner_id=partner_id, webhook_id=webhook_id)
    digest = hashlib.sha256(body).hexdigest().encode()
    try:
        seen = _remember(client, key, digest)
    except redis.RedisError as exc:
        logger.warning(
            "replay check skipped: redis unavailable",
            extra={"partner_id": partner_id, "error": type(exc).__name__},
        )
        return Claim()
    if seen is None:
        return Claim(client, key)
    if hmac.compare_digest(seen, digest):
        return Claim()
    raise _refuse(
        "webhook-id",
        f"webhook-id {webhook_id!r} was already used with a different body: refused as replayed",
    )


def _remember(client: redis.Redis, key: str, digest: bytes) -> bytes | None:
    """Set ``key`` to ``digest`` unless it exists: None when set, else the value already there."""
    for _ in range(3):  # the key can expire between SET NX and GET: then try to set it again
        if client.set(key, digest, nx=True, ex=2 * TOLERANCE):
            return None
        seen = client.get(key)
        if seen is not None:
            return seen.encode() if isinstance(seen, str) else seen
    raise redis.RedisError("webhook-id kept expiring between SET NX and GET")  # pragma: no cover


def verify_request(
    request: Request, partner: Partner, raw: bytes, signing: Signing | None = None
) -> Claim:
    """Check the push's signatures and claim its ``webhook-id``. Blocking: call from a thread.
    ``signing`` is the partner's, when the caller has read it already."""
    if signing is None:
        with state_of(request).engine.connect() as conn:
            signing = signing_repo.for_partner(conn, partner.id)
    webhook_id = check(request.headers, raw, signing, partner=partner.slug, now=time.time())
    if webhook_id is None:
        return Claim()
    return claim(redis_client(request.app), partner.id, webhook_id, raw)
