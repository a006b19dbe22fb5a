"""The per-partner rate limit: a token bucket in the real Redis, a 429 with Retry-After when it is
empty, nothing stored, and pushes again once it refills.

No test waits for real time to pass: the bucket's own tests drive its clock by hand (``now_ms``),
and the HTTP tests refill so slowly (one token a minute) that no token can arrive between
draining a bucket and the push that must be refused, then "advance the clock" by moving the
bucket's last-refill time back."""

from __future__ import annotations

import logging
import math
import time

import httpx
import pytest
import redis
from fastapi import FastAPI, Request
from sqlalchemy import Engine, func, select

from services.ingest import ratelimit, state
from services.ingest.signatures import standard_webhooks_signature, superdesk_signature
from services.queue import make_celery
from shared.core.embedded import redis_client_url
from shared.core.settings import Settings
from shared.db import signing
from shared.db.tables import partners, submissions
from tests.support import partner_key, push

PAGE = b"Headline of a busy day\n\nMINSK, 7 January (BelTA) - Something happened today.\n"


@pytest.fixture
def redis_client(servers, redis_flush: None) -> redis.Redis:  # type: ignore[no-untyped-def]
    return redis.Redis.from_url(redis_client_url(servers.redis_url))


@pytest.fixture
def slow_refill(settings, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """One token a minute: a drained bucket stays empty however slow the machine is."""
    monkeypatch.setattr(settings, "rate_limit_per_minute", 1.0)


def _advance(client: redis.Redis, partner_id: int, seconds: float) -> None:
    """As if ``seconds`` had passed since the bucket was last refilled."""
    client.hincrby(ratelimit.KEY.format(partner_id=partner_id), "at", -int(seconds * 1000))


def _partner_id(db: Engine, slug: str) -> int:
    with db.connect() as conn:
        return int(conn.execute(select(partners.c.id).where(partners.c.slug == slug)).scalar_one())


def _drain(client: redis.Redis, partner_id: int, limits: ratelimit.Limits) -> None:
    """Take the partner's whole burst, as that many pushes would."""
    for _ in range(limits.burst + 5):
        if ratelimit.take(client, partner_id, limits) > 0:
            return
    raise AssertionError("the bucket never ran dry")


def _stored(db: Engine) -> int:
    with db.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(submissions)).scalar_one())


def _assert_rate_limited(answer: httpx.Response, limits: ratelimit.Limits) -> None:
    assert answer.status_code == 429, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    body = answer.json()
    assert (body["status"], body["code"]) == (429, "rate_limited")
    assert f"over the limit of {limits.per_minute:g} pushes a minute" in body["detail"]
    one_token = math.ceil(60 / limits.per_minute)
    assert 1 <= int(answer.headers["retry-after"]) <= max(1, one_token)


def test_the_bucket_grants_the_burst_then_refuses_until_it_refills(
    redis_client: redis.Redis,
) -> None:
    limits = ratelimit.Limits(per_minute=15_000, burst=3)  # a token every 4 ms (exact in binary)
    t0 = 1_000_000

    def take(at_ms: int) -> float:
        return ratelimit.take(redis_client, 7, limits, now_ms=at_ms)

    assert [take(t0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert take(t0) == 0.004
    assert take(t0 + 2) == 0.002  # a refusal takes nothing: the token is still 2 ms away
    assert take(t0 + 4) == 0.0
    assert take(t0 + 4) == 0.004


def test_the_bucket_never_holds_more_than_the_burst(redis_client: redis.Redis) -> None:
    limits = ratelimit.Limits(per_minute=6000, burst=2)  # a token every 10 ms
    ratelimit.take(redis_client, 7, limits, now_ms=0)
    later = [ratelimit.take(redis_client, 7, limits, now_ms=100) for _ in range(3)]
    assert [w > 0 for w in later] == [False, False, True]  # ten tokens' worth, two held


def test_an_empty_bucket_is_429_with_retry_after_and_nothing_stored(
    client: httpx.Client, db: Engine, redis_client: redis.Redis, settings, slow_refill: None
) -> None:  # type: ignore[no-untyped-def]
    key = partner_key(db, "belta")
    limits = ratelimit.limits(settings)
    _drain(redis_client, _partner_id(db, "belta"), limits)
    _assert_rate_limited(push(client, key, PAGE), limits)
    assert _stored(db) == 0


def test_the_limit_refills(
    client: httpx.Client, db: Engine, redis_client: redis.Redis, settings, slow_refill: None
) -> None:  # type: ignore[no-untyped-def]
    key, partner_id = partner_key(db, "belta"), _partner_id(db, "belta")
    _drain(redis_client, partner_id, ratelimit.limits(settings))
    refused = push(client, key, PAGE)
    assert refused.status_code == 429
    _advance(redis_client, partner_id, int(refused.headers["retry-after"]))
    assert push(client, key, PAGE).status_code == 202


def test_partners_have_separate_buckets(
    client: httpx.Client, db: Engine, redis_client: redis.Redis, settings, slow_refill: None
) -> None:  # type: ignore[no-untyped-def]
    busy, quiet = partner_key(db, "belta"), partner_key(db, "coral")
    _drain(redis_client, _partner_id(db, "belta"), ratelimit.limits(settings))
    assert push(client, busy, PAGE).status_code == 429
    assert push(client, quiet, PAGE).status_code == 202


def test_superdesk_push_is_rate_limited_too(
    client: httpx.Client, db: Engine, redis_client: redis.Redis, settings, slow_refill: None
) -> None:  # type: ignore[no-untyped-def]
    partner_key(db, "coral")
    with db.begin() as conn:
        secret = signing.set_secret(conn, "coral")
    limits = ratelimit.limits(settings)
    _drain(redis_client, _partner_id(db, "coral"), limits)
    body = b'{"guid": "urn:x:1", "type": "text", "headline": "Busy", "body_html": "<p>Busy.</p>"}'
    answer = client.post(
        "/v1/push/coral",
        content=body,
        headers={
            "Content-Type": "application/json",
            "x-superdesk-signature": superdesk_signature(secret, body),
        },
    )
    _assert_rate_limited(answer, limits)
    assert _stored(db) == 0


def test_a_rate_limited_message_can_be_sent_again_with_its_webhook_id(
    client: httpx.Client, db: Engine, redis_client: redis.Redis, settings, slow_refill: None
) -> None:  # type: ignore[no-untyped-def]
    key, partner_id = partner_key(db, "belta"), _partner_id(db, "belta")
    with db.begin() as conn:
        secret = signing.set_secret(conn, "belta", require=True)
    stamp = int(time.time())
    headers = {
        "webhook-id": "msg_1",
        "webhook-timestamp": str(stamp),
        "webhook-signature": standard_webhooks_signature(secret, "msg_1", stamp, PAGE),
    }
    _drain(redis_client, partner_id, ratelimit.limits(settings))
    refused = push(client, key, PAGE, **headers)
    assert refused.status_code == 429
    _advance(redis_client, partner_id, int(refused.headers["retry-after"]))
    assert push(client, key, PAGE, **headers).status_code == 202


def test_redis_down_lets_the_push_through(settings, engine: Engine, caplog) -> None:  # type: ignore[no-untyped-def]
    down = redis.Redis(unix_socket_path="/nonexistent/redis.sock", socket_connect_timeout=0.2)
    app = FastAPI()
    state.install(app, settings, engine, make_celery(settings, "unix:///nonexistent/redis.sock"))
    state.state_of(app).redis = down
    with caplog.at_level(logging.WARNING, logger="services.ingest.ratelimit"):
        ratelimit.enforce(Request({"type": "http", "app": app}), 1)
    assert [r.getMessage() for r in caplog.records] == ["rate limit skipped: redis unavailable"]


def test_a_rate_of_zero_turns_the_limit_off() -> None:
    assert not ratelimit.limits(Settings(rate_limit_per_minute=0)).enabled
    assert ratelimit.limits(Settings(rate_limit_per_minute=30, rate_limit_burst=5)) == (
        ratelimit.Limits(30, 5)
    )


def test_a_rate_limited_retry_of_an_accepted_message_keeps_its_webhook_id_used(
    client: httpx.Client, db: Engine, redis_client: redis.Redis, settings, slow_refill: None
) -> None:  # type: ignore[no-untyped-def]
    key = partner_key(db, "belta")
    with db.begin() as conn:
        secret = signing.set_secret(conn, "belta", require=True)

    def signed(body: bytes) -> dict[str, str]:
        stamp = int(time.time())
        return {
            "webhook-id": "msg_1",
            "webhook-timestamp": str(stamp),
            "webhook-signature": standard_webhooks_signature(secret, "msg_1", stamp, body),
        }

    assert push(client, key, PAGE, **signed(PAGE)).status_code == 202
    _drain(redis_client, _partner_id(db, "belta"), ratelimit.limits(settings))
    assert push(client, key, PAGE, **signed(PAGE)).status_code == 429  # the retry, not a replay
    other = PAGE + b"Another paragraph.\n"
    replayed = push(client, key, other, **signed(other))
    assert (replayed.status_code, replayed.json()["errors"][0]["field"]) == (401, "webhook-id")
    assert _stored(db) == 1
