"""A process that has seen a partner key lets its next pushes skip reading it
(services/ingest/auth.py, ``KnownKeys``), yet revoking the key, disabling the partner and new
partner settings take effect on the very next push: the insert checks the key again in its own
statement, and a push that fails reads the key again before it answers."""

from __future__ import annotations

import time

import httpx
import pytest
from sqlalchemy import Engine, func, select

from services.ingest.auth import KnownKeys
from services.ingest.signatures import standard_webhooks_signature
from shared.core.model import Profile
from shared.db import credentials, signing
from shared.db.credentials import Partner, Principal
from shared.db.tables import submissions
from tests.support import partner_key, push

PAGE = b"Headline of a known story\n\nMINSK, 7 January (BelTA) - Something happened today.\n"
OTHER = b"Headline of another story\n\nMINSK, 8 January (BelTA) - Something else happened.\n"


def _stored(db: Engine) -> int:
    with db.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(submissions)).scalar_one())


def _known(client: httpx.Client, db: Engine) -> str:
    """A partner key this API process has just accepted a push from."""
    key = partner_key(db, "belta")
    assert push(client, key, PAGE).status_code == 202
    return key


def _refused(answer: httpx.Response, status: int) -> None:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")


def test_a_key_revoked_after_a_push_is_refused_on_the_next(
    client: httpx.Client, db: Engine
) -> None:
    key = _known(client, db)
    with db.begin() as conn:
        credentials.revoke(conn, key.split("_")[1], partner_slug="belta")
    _refused(push(client, key, OTHER), 401)
    _refused(push(client, key, PAGE), 401)  # a resend is refused too, not answered
    assert _stored(db) == 1


def test_a_revoked_key_with_a_bad_body_is_told_401_not_422(
    client: httpx.Client, db: Engine
) -> None:
    key = _known(client, db)
    with db.begin() as conn:
        credentials.revoke(conn, key.split("_")[1], partner_slug="belta")
    _refused(push(client, key, b"{}", content_type="application/json"), 401)


def test_a_key_rotated_out_after_a_push_is_refused_on_the_next(
    client: httpx.Client, db: Engine
) -> None:
    key = _known(client, db)
    with db.begin() as conn:
        credentials.rotate_key(conn, "belta")
        newest = credentials.rotate_key(conn, "belta")
    _refused(push(client, key, OTHER), 401)
    assert push(client, newest, OTHER).status_code == 202


def test_a_partner_disabled_after_a_push_is_refused_on_the_next(
    client: httpx.Client, db: Engine
) -> None:
    key = _known(client, db)
    with db.begin() as conn:
        credentials.set_disabled(conn, "belta", True)
    _refused(push(client, key, OTHER), 403)
    with db.begin() as conn:
        credentials.set_disabled(conn, "belta", False)
    assert push(client, key, OTHER).status_code == 202
    assert _stored(db) == 2


def test_new_signing_settings_apply_to_the_next_push(client: httpx.Client, db: Engine) -> None:
    key = _known(client, db)
    with db.begin() as conn:
        secret = signing.set_secret(conn, "belta", require=True)
    _refused(push(client, key, OTHER), 401)  # must sign now
    stamp = int(time.time())
    signed = {
        "webhook-id": "msg_known",
        "webhook-timestamp": str(stamp),
        "webhook-signature": standard_webhooks_signature(secret, "msg_known", stamp, OTHER),
    }
    assert push(client, key, OTHER, **signed).status_code == 202


def test_a_new_profile_applies_to_the_next_push(client: httpx.Client, db: Engine) -> None:
    key = _known(client, db)
    with db.begin() as conn:
        credentials.set_profile(conn, "belta", {"timezone": "Europe/Minsk"})
    answer = push(client, key, OTHER)
    assert answer.status_code == 202, answer.text
    assert push(client, key, OTHER).json()["submission_id"] == answer.json()["submission_id"]
    assert _stored(db) == 2


def test_a_resend_with_a_known_key_answers_the_same_submission(
    client: httpx.Client, db: Engine
) -> None:
    key = partner_key(db, "belta")
    first = push(client, key, PAGE)
    again = push(client, key, PAGE)
    assert (first.status_code, again.status_code) == (202, 200)
    assert first.json()["submission_id"] == again.json()["submission_id"]


# --- the cache itself -----------------------------------------------------------------------

KEY = "dlk_abcdefghijkm_" + "s" * 43
PRINCIPAL = Principal(
    kind="partner",
    key_id="abcdefghijkm",
    partner=Partner(1, "belta", Profile(), disabled=False),
    revision="1234",
)


def test_a_known_key_id_with_another_secret_is_not_known() -> None:
    known = KnownKeys()
    known.put(KEY, PRINCIPAL)
    assert known.get(KEY) is PRINCIPAL
    assert known.get("dlk_abcdefghijkm_" + "t" * 43) is None
    assert known.get(None) is None


def test_editor_tokens_are_not_kept() -> None:
    known = KnownKeys()
    token = "dlt_abcdefghijkm_" + "s" * 43
    known.put(token, Principal(kind="editor", key_id="abcdefghijkm"))
    assert known.get(token) is None


def test_a_known_key_is_read_again_after_its_time(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]
    monkeypatch.setattr("services.ingest.auth.time.monotonic", lambda: now[0])
    known = KnownKeys()
    known.put(KEY, PRINCIPAL)
    now[0] += KnownKeys.TTL - 1
    assert known.get(KEY) is PRINCIPAL
    now[0] += 2
    assert known.get(KEY) is None


def test_the_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(KnownKeys, "MAX_KEYS", 3)
    known = KnownKeys()
    keys = [f"dlk_abcdefghijk{c}_" + "s" * 43 for c in "mnpq"]
    for key in keys:
        known.put(key, PRINCIPAL)
    assert known.get(keys[-1]) is PRINCIPAL
    assert sum(known.get(key) is not None for key in keys) <= 3
