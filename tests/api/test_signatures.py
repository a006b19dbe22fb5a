"""Body signatures: Standard Webhooks and Superdesk's are checked before anything is stored, and
``POST /v1/push/{partner}`` takes Superdesk HTTP Push with the signature as its only credential."""

from __future__ import annotations

import time

import httpx
from sqlalchemy import Engine, func, select

from services.ingest.signatures import standard_webhooks_signature, superdesk_signature
from shared.db import credentials, signing
from shared.db.tables import submissions
from tests.conftest import SAMPLES
from tests.support import TEXT, bearer, partner_key, push

PAGE = b"Headline of a signed story\n\nMINSK, 7 January (BelTA) - Something happened today.\n"
NINJS = (SAMPLES / "ninjs" / "superdesk-1x-text.json").read_bytes()
JSON = "application/json"


def _secret(db: Engine, slug: str, *, require: bool = False) -> str:
    with db.begin() as conn:
        return signing.set_secret(conn, slug, require=require)


def _standard(
    secret: str, body: bytes, *, webhook_id: str = "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", skew: int = 0
) -> dict[str, str]:
    stamp = int(time.time()) + skew
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(stamp),
        "webhook-signature": standard_webhooks_signature(secret, webhook_id, stamp, body),
    }


def _stored(db: Engine) -> int:
    with db.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(submissions)).scalar_one())


def _unauthorized(answer: httpx.Response, header: str, detail: str) -> None:
    assert answer.status_code == 401, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    body = answer.json()
    assert (body["status"], body["code"]) == (401, "unauthorized")
    assert detail in body["detail"], body["detail"]
    assert body["errors"] == [{"field": header, "message": body["detail"]}]


def test_a_valid_standard_webhooks_signature_is_accepted(client: httpx.Client, db: Engine) -> None:
    key = partner_key(db, "belta")
    secret = _secret(db, "belta", require=True)
    answer = push(client, key, PAGE, **_standard(secret, PAGE))
    assert answer.status_code == 202, answer.text
    assert _stored(db) == 1


def test_one_matching_signature_among_several_is_enough(client: httpx.Client, db: Engine) -> None:
    key = partner_key(db, "belta")
    secret = _secret(db, "belta")
    headers = _standard(secret, PAGE)
    stale = standard_webhooks_signature(signing.new_secret(), "msg_x", 1, PAGE)
    headers["webhook-signature"] = f"{stale} {headers['webhook-signature']}"
    assert push(client, key, PAGE, **headers).status_code == 202


def test_a_signature_made_with_another_secret_is_401_and_nothing_stored(
    client: httpx.Client, db: Engine
) -> None:
    key = partner_key(db, "belta")
    _secret(db, "belta")
    answer = push(client, key, PAGE, **_standard(signing.new_secret(), PAGE))
    _unauthorized(answer, "webhook-signature", "no webhook-signature matches HMAC-SHA256")
    assert _stored(db) == 0


def test_a_signature_over_other_bytes_is_401(client: httpx.Client, db: Engine) -> None:
    key = partner_key(db, "belta")
    secret = _secret(db, "belta")
    answer = push(client, key, PAGE + b"tampered", **_standard(secret, PAGE))
    _unauthorized(answer, "webhook-signature", "no webhook-signature matches")
    assert _stored(db) == 0


def test_an_expired_timestamp_is_401(client: httpx.Client, db: Engine) -> None:
    key = partner_key(db, "belta")
    secret = _secret(db, "belta")
    answer = push(client, key, PAGE, **_standard(secret, PAGE, skew=-400))
    _unauthorized(answer, "webhook-timestamp", "s in the past; at most 300 s are accepted")
    assert _stored(db) == 0


def test_a_timestamp_in_the_future_is_401(client: httpx.Client, db: Engine) -> None:
    key = partner_key(db, "belta")
    secret = _secret(db, "belta")
    answer = push(client, key, PAGE, **_standard(secret, PAGE, skew=400))
    _unauthorized(answer, "webhook-timestamp", "s in the future; at most 300 s are accepted")
    assert _stored(db) == 0


def test_a_timestamp_within_the_window_is_accepted(client: httpx.Client, db: Engine) -> None:
    key = partner_key(db, "belta")
    secret = _secret(db, "belta")
    assert push(client, key, PAGE, **_standard(secret, PAGE, skew=-250)).status_code == 202


def test_a_retry_with_the_same_webhook_id_and_body_is_200_with_the_same_submission(
    client: httpx.Client, db: Engine
) -> None:
    key = partner_key(db, "belta")
    secret = _secret(db, "belta")
    headers = _standard(secret, PAGE)
    first = push(client, key, PAGE, **headers)
    assert first.status_code == 202, first.text
    again = push(client, key, PAGE, **headers)
    assert (again.status_code, again.json()) == (200, first.json())
    assert _stored(db) == 1


def test_a_webhook_id_used_again_with_another_body_is_401_replayed(
    client: httpx.Client, db: Engine
) -> None:
    key = partner_key(db, "belta")
    secret = _secret(db, "belta")
    assert push(client, key, PAGE, **_standard(secret, PAGE)).status_code == 202
    other = PAGE + b"A second paragraph.\n"
    answer = push(client, key, other, **_standard(secret, other))
    _unauthorized(
        answer, "webhook-id", "was already used with a different body: refused as replayed"
    )
    assert _stored(db) == 1


def test_a_timestamp_in_non_ascii_digits_is_401(client: httpx.Client, db: Engine) -> None:
    key = partner_key(db, "belta")
    secret = _secret(db, "belta")
    headers: dict[str, str | bytes] = {**_standard(secret, PAGE), "webhook-timestamp": b"\xb2"}
    answer = client.post(
        "/v1/items", content=PAGE, headers={**bearer(key), "Content-Type": TEXT, **headers}
    )
    _unauthorized(answer, "webhook-timestamp", "whole Unix seconds in ASCII digits 0-9")
    assert _stored(db) == 0


def test_junk_standard_webhooks_signatures_are_401(client: httpx.Client, db: Engine) -> None:
    key = partner_key(db, "belta")
    secret = _secret(db, "belta")
    for junk in (b"v1,\xe9\xe9", b"v1,!!!not-base64", b"v1,", b"v1,QUJD"):
        headers: dict[str, str | bytes] = {**_standard(secret, PAGE), "webhook-signature": junk}
        answer = client.post(
            "/v1/items", content=PAGE, headers={**bearer(key), "Content-Type": TEXT, **headers}
        )
        _unauthorized(answer, "webhook-signature", "no webhook-signature matches")
    assert _stored(db) == 0


def test_a_failed_push_does_not_use_up_its_webhook_id(client: httpx.Client, db: Engine) -> None:
    key = partner_key(db, "belta")
    secret = _secret(db, "belta")
    body = b'{"headline": "No id here"}'
    headers = _standard(secret, body)
    assert push(client, key, body, JSON, **headers).status_code == 422
    assert push(client, key, body, JSON, **headers).status_code == 422  # the retry, not a replay


def test_an_unsigned_push_is_401_when_the_partner_must_sign(
    client: httpx.Client, db: Engine
) -> None:
    key = partner_key(db, "belta")
    _secret(db, "belta", require=True)
    _unauthorized(push(client, key, PAGE), "webhook-signature", "'belta' must sign its pushes")
    assert _stored(db) == 0


def test_an_unsigned_push_is_accepted_when_signing_is_optional(
    client: httpx.Client, db: Engine
) -> None:
    key = partner_key(db, "belta")
    _secret(db, "belta")
    assert push(client, key, PAGE).status_code == 202


def test_a_signed_push_from_a_partner_without_a_secret_is_401(
    client: httpx.Client, db: Engine
) -> None:
    key = partner_key(db, "belta")
    answer = push(client, key, PAGE, **_standard(signing.new_secret(), PAGE))
    _unauthorized(answer, "webhook-signature", "'belta' has no signing secret")
    assert _stored(db) == 0


def test_incomplete_standard_webhooks_headers_are_401(client: httpx.Client, db: Engine) -> None:
    key = partner_key(db, "belta")
    secret = _secret(db, "belta")
    headers = _standard(secret, PAGE)
    del headers["webhook-timestamp"]
    _unauthorized(push(client, key, PAGE, **headers), "webhook-timestamp", "missing: webhook-ti")
    assert _stored(db) == 0


def test_a_superdesk_signature_is_accepted_on_items(client: httpx.Client, db: Engine) -> None:
    key = partner_key(db, "belta")
    secret = _secret(db, "belta", require=True)
    signature = superdesk_signature(secret, NINJS)
    answer = push(client, key, NINJS, JSON, **{"x-superdesk-signature": signature})
    assert answer.status_code == 202, answer.text


def test_a_bad_superdesk_signature_is_401_on_items(client: httpx.Client, db: Engine) -> None:
    key = partner_key(db, "belta")
    _secret(db, "belta")
    signature = superdesk_signature(signing.new_secret(), NINJS)
    answer = push(client, key, NINJS, JSON, **{"x-superdesk-signature": signature})
    _unauthorized(answer, "x-superdesk-signature", "does not match HMAC-SHA1 of the body")
    assert _stored(db) == 0


def test_a_non_ascii_or_non_hex_superdesk_signature_is_401_on_items(
    client: httpx.Client, db: Engine
) -> None:
    key = partner_key(db, "belta")
    _secret(db, "belta")
    for junk in (b"sha1=\xe9", b"sha1=" + b"\xe9" * 40, b"sha1=" + b"g" * 40, b"sha1=abc"):
        answer = client.post(
            "/v1/items",
            content=NINJS,
            headers={**bearer(key), "Content-Type": JSON, "x-superdesk-signature": junk},
        )
        _unauthorized(answer, "x-superdesk-signature", "(40 hexadecimal digits)")
    assert _stored(db) == 0


def test_an_uppercase_hex_superdesk_signature_is_accepted(client: httpx.Client, db: Engine) -> None:
    key = partner_key(db, "belta")
    secret = _secret(db, "belta")
    signature = "sha1=" + superdesk_signature(secret, NINJS)[len("sha1=") :].upper()
    answer = push(client, key, NINJS, JSON, **{"x-superdesk-signature": signature})
    assert answer.status_code == 202, answer.text


def _superdesk_push(
    client: httpx.Client, slug: str, body: bytes, signature: str | bytes | None
) -> httpx.Response:
    headers: dict[str, str | bytes] = {"Content-Type": JSON}
    if signature is not None:
        headers["x-superdesk-signature"] = signature
    return client.post(f"/v1/push/{slug}", content=body, headers=headers)


def test_superdesk_push_is_201_also_for_the_same_bytes_again(
    client: httpx.Client, db: Engine
) -> None:
    partner_key(db, "coral")
    secret = _secret(db, "coral")
    first = _superdesk_push(client, "coral", NINJS, superdesk_signature(secret, NINJS))
    assert first.status_code == 201, first.text
    body = first.json()
    url = f"/v1/submissions/{body['submission_id']}"
    expected = {"status": "queued", "status_url": url, "warnings": []}
    assert body == {"submission_id": body["submission_id"], **expected}
    assert first.headers["location"] == url
    again = _superdesk_push(client, "coral", NINJS, superdesk_signature(secret, NINJS))
    assert (again.status_code, again.json(), again.headers["location"]) == (201, body, url)
    assert _stored(db) == 1


def test_superdesk_push_needs_the_signature(client: httpx.Client, db: Engine) -> None:
    partner_key(db, "coral")
    _secret(db, "coral")
    _unauthorized(_superdesk_push(client, "coral", NINJS, None), "x-superdesk-signature", "")
    assert _stored(db) == 0


def test_superdesk_push_with_a_bad_sha1_is_401(client: httpx.Client, db: Engine) -> None:
    partner_key(db, "coral")
    secret = _secret(db, "coral")
    bad = superdesk_signature(secret, NINJS + b" ")
    _unauthorized(
        _superdesk_push(client, "coral", NINJS, bad), "x-superdesk-signature", "does not match"
    )
    malformed = _superdesk_push(client, "coral", NINJS, "md5=abc")
    _unauthorized(malformed, "x-superdesk-signature", "must be sha1=<hex HMAC-SHA1")
    assert _stored(db) == 0


def test_a_missing_or_malformed_signature_gets_the_same_401_for_known_and_unknown_slugs(
    client: httpx.Client, db: Engine
) -> None:
    partner_key(db, "coral")
    _secret(db, "coral")
    for signature in (None, "", "md5=abc", b"sha1=\xe9", "sha1=" + "0" * 39):
        known = _superdesk_push(client, "coral", NINJS, signature)
        unknown = _superdesk_push(client, "nobody", NINJS, signature)
        _unauthorized(known, "x-superdesk-signature", "x-superdesk-signature")
        assert (unknown.status_code, unknown.content) == (401, known.content)
    assert _stored(db) == 0


def test_unknown_slugs_cannot_be_told_from_known_ones_by_a_wrong_signature(
    client: httpx.Client, db: Engine
) -> None:
    """Outsiders cannot enumerate partners: an unknown slug, a partner without a secret and a
    partner with one all answer a made-up signature with the same bytes."""
    partner_key(db, "coral")
    partner_key(db, "delta")
    _secret(db, "delta")
    signature = superdesk_signature(signing.new_secret(), NINJS)
    answers = [
        _superdesk_push(client, slug, NINJS, signature) for slug in ("nobody", "coral", "delta")
    ]
    assert {(a.status_code, a.content) for a in answers} == {(401, answers[2].content)}
    _unauthorized(answers[0], "x-superdesk-signature", "does not match")
    assert _stored(db) == 0


def test_superdesk_push_from_a_disabled_partner_is_403(client: httpx.Client, db: Engine) -> None:
    partner_key(db, "coral")
    secret = _secret(db, "coral")
    with db.begin() as conn:
        credentials.set_disabled(conn, "coral", True)
    answer = _superdesk_push(client, "coral", NINJS, superdesk_signature(secret, NINJS))
    assert (answer.status_code, answer.json()["code"]) == (403, "forbidden")
    assert _stored(db) == 0
