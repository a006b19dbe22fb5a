"""Bad input gets a precise 4xx problem, nothing is stored and nothing is queued."""

from __future__ import annotations

import gzip

import httpx
import pytest
import redis
from sqlalchemy import Engine, func, select

from shared.core.embedded import redis_client_url
from shared.db.tables import submissions
from tests.support import TEXT, bearer, editor_token, partner_key, push

PAGE = b"Headline of a short story\n\nMINSK, 7 January (BelTA) - Something happened today.\n"


def _nothing_stored(db: Engine, servers) -> None:  # type: ignore[no-untyped-def]
    with db.connect() as conn:
        assert conn.execute(select(func.count()).select_from(submissions)).scalar() == 0
    queued = redis.Redis.from_url(redis_client_url(servers.redis_url)).llen("dateline")
    assert queued == 0


def _problem(answer: httpx.Response, status: int, code: str) -> dict:  # type: ignore[type-arg]
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    body = answer.json()
    assert body["status"] == status
    assert body["code"] == code
    assert body["title"] and body["detail"] and body["type"]
    return body  # type: ignore[no-any-return]


def test_missing_credential_is_401(client: httpx.Client, db: Engine, servers) -> None:
    answer = client.post("/v1/items", content=PAGE, headers={"Content-Type": TEXT})
    _problem(answer, 401, "unauthorized")
    assert answer.headers["www-authenticate"] == "Bearer"
    _nothing_stored(db, servers)


def test_unknown_key_is_401(client: httpx.Client, db: Engine, servers) -> None:
    fake = "dlk_abcdefghijkm_" + "x" * 43
    _problem(push(client, fake, PAGE), 401, "unauthorized")
    _nothing_stored(db, servers)


def test_editor_token_cannot_push(client: httpx.Client, db: Engine, servers) -> None:
    _problem(push(client, editor_token(db), PAGE), 403, "forbidden")
    _nothing_stored(db, servers)


def test_disabled_partner_is_403(client: httpx.Client, db: Engine, servers) -> None:
    from shared.db import credentials

    key = partner_key(db, "belta")
    with db.begin() as conn:
        credentials.set_disabled(conn, "belta", True)
    _problem(push(client, key, PAGE), 403, "forbidden")
    _nothing_stored(db, servers)


def test_rotated_out_key_is_401(client: httpx.Client, db: Engine, servers) -> None:
    from shared.db import credentials

    first = partner_key(db, "belta")
    with db.begin() as conn:
        second = credentials.rotate_key(conn, "belta")
        third = credentials.rotate_key(conn, "belta")
    _problem(push(client, first, PAGE), 401, "unauthorized")
    assert push(client, second, PAGE).status_code == 202
    assert push(client, third, PAGE).status_code == 200


@pytest.mark.parametrize("content_type", ["application/pdf", "image/png"])
def test_unsupported_content_type_is_415(
    client: httpx.Client, db: Engine, servers, content_type: str
) -> None:
    body = _problem(
        push(client, partner_key(db, "belta"), PAGE, content_type), 415, "unsupported_media_type"
    )
    assert content_type in body["detail"]
    _nothing_stored(db, servers)


def test_missing_content_type_is_415(client: httpx.Client, db: Engine, servers) -> None:
    answer = client.post("/v1/items", content=PAGE, headers=bearer(partner_key(db, "belta")))
    _problem(answer, 415, "unsupported_media_type")
    _nothing_stored(db, servers)


def test_empty_body_is_400(client: httpx.Client, db: Engine, servers) -> None:
    _problem(push(client, partner_key(db, "belta"), b"  \n"), 400, "malformed")
    _nothing_stored(db, servers)


def test_bytes_that_are_not_the_declared_charset_are_400(
    client: httpx.Client, db: Engine, servers
) -> None:
    body = _problem(
        push(client, partner_key(db, "belta"), b"Head\n\nBody \xff\xfe text."), 400, "malformed"
    )
    assert "byte 11" in body["detail"]
    _nothing_stored(db, servers)


def test_windows_1251_charset_is_honoured(client: httpx.Client, db: Engine) -> None:
    page = "Заголовок новости о погоде\n\nМИНСК, 7 января (БЕЛТА) – В Минске идёт снег.\n"
    answer = push(
        client,
        partner_key(db, "belta", "Europe/Minsk"),
        page.encode("cp1251"),
        "text/plain; charset=windows-1251",
    )
    assert answer.status_code == 202, answer.text


def test_body_over_the_limit_is_413(client: httpx.Client, db: Engine, servers) -> None:
    big = b"Headline\n\n" + b"word " * (1_100_000)
    _problem(push(client, partner_key(db, "belta"), big), 413, "payload_too_large")
    _nothing_stored(db, servers)


def test_gzip_bomb_is_413_on_decoded_size(client: httpx.Client, db: Engine, servers) -> None:
    bomb = gzip.compress(b"Headline\n\n" + b"a" * (6 * 1024 * 1024))
    answer = push(client, partner_key(db, "belta"), bomb, **{"Content-Encoding": "gzip"})
    _problem(answer, 413, "payload_too_large")
    _nothing_stored(db, servers)


def test_gzip_body_is_accepted(client: httpx.Client, db: Engine) -> None:
    answer = push(
        client, partner_key(db, "belta"), gzip.compress(PAGE), **{"Content-Encoding": "gzip"}
    )
    assert answer.status_code == 202


def test_ninjs_without_uri_is_422_naming_the_field(
    client: httpx.Client, db: Engine, servers
) -> None:
    answer = push(
        client, partner_key(db, "belta"), b'{"headline": "No id here"}', "application/json"
    )
    body = _problem(answer, 422, "invalid")
    assert {"field": "/uri", "message": "a ninjs item needs a uri or guid"} in body["errors"]
    _nothing_stored(db, servers)


def test_broken_json_is_400_naming_the_line(client: httpx.Client, db: Engine, servers) -> None:
    answer = push(
        client, partner_key(db, "belta"), b'{\n"uri": "x",\n"headline": }', "application/json"
    )
    body = _problem(answer, 400, "malformed")
    assert body["errors"][0]["line"] == 3
    _nothing_stored(db, servers)


def test_impossible_stamp_is_422(client: httpx.Client, db: Engine, servers) -> None:
    page = (
        b"Economics\n31 February 2022, 13:21\n\nHeadline here\n\nMINSK, 7 January (BelTA) - Text.\n"
    )
    body = _problem(push(client, partner_key(db, "belta", "Europe/Minsk"), page), 422, "invalid")
    assert body["errors"][0]["line"] == 2
    _nothing_stored(db, servers)


def test_over_long_idempotency_key_is_422(client: httpx.Client, db: Engine, servers) -> None:
    answer = push(client, partner_key(db, "belta"), PAGE, **{"Idempotency-Key": "k" * 256})
    _problem(answer, 422, "invalid")
    _nothing_stored(db, servers)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b'<?xml version="1.0"?><nitf><head/></nitf>', "text/plain"),
        (b"<html><body><h1>Page</h1></body></html>", "text/plain"),
        (b'{"uri": "u:1", "headline": "JSON as text"}', "text/plain"),
        (b'<?xml version="1.0"?><rss version="2.0"><channel/></rss>', "text/html"),
        (b"Just a story, no mail headers.\n\nBody.", "message/rfc822"),
        (b"Headline\n\nBody text.", "application/json"),
        (b'{"uri": "u:1"}', "application/xml"),
    ],
)
def test_a_body_of_another_kind_than_its_content_type_is_415(
    client: httpx.Client, db: Engine, servers, body: bytes, content_type: str
) -> None:
    answer = push(client, partner_key(db, "belta"), body, content_type)
    problem = _problem(answer, 415, "unsupported_media_type")
    assert content_type in problem["detail"]
    _nothing_stored(db, servers)


def test_a_client_gone_mid_upload_is_one_quiet_log_line_and_nothing_stored(
    client: httpx.Client, api_url: str, db: Engine, servers, caplog: pytest.LogCaptureFixture
) -> None:  # type: ignore[no-untyped-def]
    import logging
    import socket
    import time
    from urllib.parse import urlsplit

    from tests.support import PATIENCE

    key = partner_key(db, "belta")
    where = urlsplit(api_url)
    head = (
        f"POST /v1/items HTTP/1.1\r\nHost: {where.hostname}\r\nAuthorization: Bearer {key}\r\n"
        f"Content-Type: {TEXT}\r\nContent-Length: 100000\r\n\r\n"
    ).encode()
    with caplog.at_level(logging.INFO):
        with socket.create_connection((where.hostname, where.port)) as sock:
            sock.sendall(head + PAGE)  # far fewer bytes than announced, then gone
        deadline = time.monotonic() + PATIENCE
        while not any("disconnected" in r.getMessage() for r in caplog.records):
            assert time.monotonic() < deadline, "the disconnect was never logged"
            time.sleep(0.05)
    gone = [r for r in caplog.records if "disconnected" in r.getMessage()]
    assert [r.levelname for r in gone] == ["INFO"]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    _nothing_stored(db, servers)
