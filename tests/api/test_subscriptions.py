"""Webhook subscriptions over HTTP: admin only, validated, SSRF-checked, secrets shown once."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import Engine

from tests.receiver import clean_subscriptions
from tests.support import bearer, editor_token, partner_key

PUBLIC = "https://93.184.215.14/hooks/dateline"  # an IP literal: no DNS needed, and public


@pytest.fixture
def admin(client: httpx.Client, db: Engine) -> Iterator[dict[str, str]]:
    clean_subscriptions(db)
    yield bearer(editor_token(db, "admin"))
    clean_subscriptions(db)


def _problem(answer: httpx.Response, status: int) -> dict[str, object]:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    return answer.json()  # type: ignore[no-any-return]


def test_admin_creates_reads_lists_and_deletes_a_subscription(
    client: httpx.Client, db: Engine, admin: dict[str, str]
) -> None:
    partner_key(db, "belta")
    filters = {"partner": "belta", "language": "en", "subject": "President", "pubstatus": "usable"}

    created = client.post(
        "/v1/subscriptions", json={"url": PUBLIC, "filters": filters}, headers=admin
    )

    assert created.status_code == 201, created.text
    body = created.json()
    sub_id, secret = body.pop("id"), body.pop("secret")
    assert created.headers["location"] == f"/v1/subscriptions/{sub_id}"
    assert re.fullmatch(r"whsec_[A-Za-z0-9+/]{43}=", secret)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", body.pop("created_at"))
    assert body == {
        "url": PUBLIC,
        "filters": filters,
        "active": True,
        "disabled_at": None,
        "disabled_reason": None,
        "failing_since": None,
    }

    one = client.get(f"/v1/subscriptions/{sub_id}", headers=admin).json()
    assert "secret" not in one
    assert one["deliveries"] == {"pending": 0, "sent": 0, "failed": 0}
    assert {k: one[k] for k in ("id", "url", "filters", "active")} == {
        "id": sub_id, "url": PUBLIC, "filters": filters, "active": True,
    }  # fmt: skip
    listed = client.get("/v1/subscriptions", headers=admin).json()["subscriptions"]
    assert [(s["id"], "secret" in s) for s in listed] == [(sub_id, False)]

    assert client.delete(f"/v1/subscriptions/{sub_id}", headers=admin).status_code == 204
    assert (
        _problem(client.get(f"/v1/subscriptions/{sub_id}", headers=admin), 404)["code"]
        == "not_found"
    )
    assert _problem(client.delete(f"/v1/subscriptions/{sub_id}", headers=admin), 404)
    assert client.get("/v1/subscriptions", headers=admin).json() == {"subscriptions": []}


def test_filters_are_optional(client: httpx.Client, admin: dict[str, str]) -> None:
    created = client.post("/v1/subscriptions", json={"url": PUBLIC}, headers=admin)
    assert created.status_code == 201, created.text
    assert created.json()["filters"] == {}


def test_editors_and_partners_cannot_manage_subscriptions(
    client: httpx.Client, db: Engine, admin: dict[str, str]
) -> None:
    editor = bearer(editor_token(db))
    partner = bearer(partner_key(db, "belta"))
    for headers in (editor, partner):
        for answer in (
            client.post("/v1/subscriptions", json={"url": PUBLIC}, headers=headers),
            client.get("/v1/subscriptions", headers=headers),
            client.get("/v1/subscriptions/x", headers=headers),
            client.delete("/v1/subscriptions/x", headers=headers),
        ):
            assert _problem(answer, 403)["code"] == "forbidden"
    assert _problem(client.get("/v1/subscriptions"), 401)["code"] == "unauthorized"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://93.184.215.14/x", "must be an absolute http or https URL"),
        ("/relative/path", "must be an absolute http or https URL"),
        ("https://user:pw@93.184.215.14/x", "must not carry credentials (user:password@)"),
        ("https://93.184.215.14/x#frag", "must not have a fragment"),
        ("https://93.184.215.14/a b", "must not contain spaces or control characters"),
        ("http://127.0.0.1:9/x", "127.0.0.1 resolves to a private or reserved address (127.0.0.1)"),
        ("http://localhost/x", "localhost resolves to a private or reserved address"),
        ("http://10.1.2.3/x", "10.1.2.3 resolves to a private or reserved address (10.1.2.3)"),
        (
            "http://169.254.169.254/latest/meta-data",
            "169.254.169.254 resolves to a private or reserved address (169.254.169.254)",
        ),
        (
            "http://[::ffff:127.0.0.1]/x",
            "::ffff:127.0.0.1 resolves to a private or reserved address",
        ),
        ("https://no-such-host.invalid/x", "no-such-host.invalid does not resolve"),
        (42, "required: an http or https URL"),
    ],
)
def test_a_bad_or_private_url_is_a_422_naming_url(
    client: httpx.Client, admin: dict[str, str], url: object, message: str
) -> None:
    problem = _problem(client.post("/v1/subscriptions", json={"url": url}, headers=admin), 422)
    assert problem["code"] == "invalid"
    [error] = problem["errors"]  # type: ignore[misc]
    assert error["field"] == "/url"
    assert error["message"].startswith(message)
    assert client.get("/v1/subscriptions", headers=admin).json() == {"subscriptions": []}


def test_bad_filters_are_a_422_naming_each_filter(
    client: httpx.Client, admin: dict[str, str]
) -> None:
    filters = {"partner": "nobody", "language": "english!", "pubstatus": "live", "colour": "red"}
    answer = client.post(
        "/v1/subscriptions", json={"url": PUBLIC, "filters": filters}, headers=admin
    )
    problem = _problem(answer, 422)
    assert sorted(problem["errors"], key=lambda e: e["field"]) == [  # type: ignore[arg-type]
        {
            "field": "/filters/colour",
            "message": "unknown filter; use partner, language, subject, pubstatus",
        },
        {"field": "/filters/language", "message": "must be a language tag such as en or en-GB"},
        {"field": "/filters/partner", "message": "no partner 'nobody'"},
        {"field": "/filters/pubstatus", "message": "must be one of usable, withheld, canceled"},
    ]


def test_unknown_fields_and_non_objects_are_refused(
    client: httpx.Client, admin: dict[str, str]
) -> None:
    extra = _problem(
        client.post("/v1/subscriptions", json={"url": PUBLIC, "secret": "mine"}, headers=admin), 422
    )
    assert extra["errors"] == [{"field": "/secret", "message": "unknown field"}]
    listed = _problem(client.post("/v1/subscriptions", json=[PUBLIC], headers=admin), 422)
    assert listed["errors"] == [{"field": "", "message": "not an object"}]
    filters = _problem(
        client.post("/v1/subscriptions", json={"url": PUBLIC, "filters": ["en"]}, headers=admin),
        422,
    )
    assert filters["errors"] == [{"field": "/filters", "message": "must be an object"}]
    broken = client.post("/v1/subscriptions", content=b"{url", headers=admin)
    assert _problem(broken, 400)["code"] == "malformed"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b'{"url": "http://8.8.8.8/\\ud800"}', "/url"),
        (b'{"url": "http://8.8.8.8/a\\u0000"}', "/url"),
        (b'{"url": "%s", "filters": {"subject": "\\ud800"}}', "/filters/subject"),
        (b'{"url": "%s", "filters": {"subject": "a\\u0000"}}', "/filters/subject"),
        (b'{"url": "%s", "filters": {"\\udc00": "x"}}', "/filters/\\udc00"),
        (b'{"url": "%s", "\\ud800": 1}', "/\\ud800"),
    ],
)
def test_text_that_cannot_be_stored_is_a_422_naming_the_field(
    client: httpx.Client, admin: dict[str, str], body: bytes, field: str
) -> None:
    raw = body.replace(b"%s", PUBLIC.encode())
    answer = client.post(
        "/v1/subscriptions",
        content=raw,
        headers={**admin, "content-type": "application/json"},
    )
    problem = _problem(answer, 422)
    assert [e["field"] for e in problem["errors"]] == [field]  # type: ignore[attr-defined]
    assert client.get("/v1/subscriptions", headers=admin).json() == {"subscriptions": []}
