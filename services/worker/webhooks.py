"""Webhook delivery: the ``dateline.deliver`` task sends due deliveries from the outbox.

Only one run at a time delivers (a Redis lock held for at most the run's time limit), so
delivery never occupies more than one sweep worker. Each run claims due deliveries in small
batches, at most one per subscription (``FOR UPDATE SKIP LOCKED`` and a lease, so two runs
never send the same attempt), sends a batch concurrently and records every outcome, each on
its own (one that cannot be recorded never keeps the others from being recorded):
2xx sent; 410 Gone disables the subscription; anything else, a redirect, a timeout or a refused
target is retried on the schedule of ``shared.db.subscriptions``. Delivery is at least once
and unordered: receivers dedupe on ``webhook-id``.

A request carries the Standard Webhooks headers (``webhook-id``: the delivery id,
``webhook-timestamp``, ``webhook-signature``) and the body ``{"type", "timestamp", "data"}``
(``data``: the contract item). The target is resolved and checked on every attempt, and the
connection goes to the checked address (TLS still verifies the URL's host name).
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from celery import Celery
from sqlalchemy import Engine

from services.queue import DELIVER, redis_of
from shared.core.model import rfc3339
from shared.core.settings import Settings
from shared.db import subscriptions
from shared.db.subscriptions import Due
from shared.output.webhooks import Target, UnsafeTarget, allow_private, check_url, sign

logger = logging.getLogger(__name__)

TIMEOUT = 10.0  # seconds per connect, write and read
BATCH = 10
BUDGET = 5.0  # a run claims no new batch after this many seconds
TIME_LIMIT = 45  # hard limit of one run
LEASE = 60.0  # > TIME_LIMIT: a claimed attempt is never sent twice at once
USER_AGENT = "Dateline-Webhooks/1"
LOCK_KEY = "dateline:deliver:lock"
_RELEASE = (
    "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"
)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one attempt got: an HTTP status, or the reason there was none."""

    status: int | None = None
    error: str | None = None


def register(app: Celery, engine_factory: Callable[[], Engine], settings: Settings) -> Any:
    """Define ``dateline.deliver`` on the app (``make_celery`` schedules it on the sweep queue
    every ``webhook_interval`` seconds)."""

    # Celery ships no types (pyproject.toml, [tool.mypy]): the task is Any.
    @app.task(name=DELIVER, time_limit=TIME_LIMIT, soft_time_limit=TIME_LIMIT - 5)  # type: ignore[untyped-decorator]
    def deliver() -> int:
        # The broker's pooled connection, not a new one every run (every 2 s): a connection
        # made and dropped each time left the worker's pool processes a little bigger each time.
        with redis_of(app) as client, exclusive(client, LOCK_KEY, TIME_LIMIT) as mine:
            if not mine:
                return 0  # another run is delivering
            sent = run(engine_factory(), allow_private=allow_private(settings))
        if sent:
            logger.info("webhook deliveries sent", extra={"count": sent})
        return sent

    return deliver


@contextmanager
def exclusive(client: Any, key: str, ttl: int) -> Iterator[bool]:
    """Yield whether this caller holds ``key`` (SET NX EX ``ttl``): a crashed holder's lock
    expires after ``ttl`` seconds; on exit the lock is released only if it is still ours."""
    token = secrets.token_hex(16)
    mine = bool(client.set(key, token, nx=True, ex=ttl))
    try:
        yield mine
    finally:
        if mine:
            client.eval(_RELEASE, 1, key, token)


def run(
    engine: Engine,
    *,
    allow_private: bool = False,
    budget: float = BUDGET,
    transport: httpx.BaseTransport | None = None,
) -> int:
    """Send due deliveries until none is due or ``budget`` seconds have passed; returns how
    many were sent (2xx)."""
    deadline = time.monotonic() + budget
    sent = 0
    while time.monotonic() < deadline:
        with engine.begin() as conn:
            batch = subscriptions.due_deliveries(conn, limit=BATCH, lease=LEASE)
        if not batch:
            break
        with ThreadPoolExecutor(max_workers=len(batch)) as pool:
            outcomes = list(
                pool.map(
                    lambda due: attempt(due, allow_private=allow_private, transport=transport),
                    batch,
                )
            )
        sent += sum(
            record_safely(engine, due, out) for due, out in zip(batch, outcomes, strict=True)
        )
    return sent


def record_safely(engine: Engine, due: Due, outcome: Outcome) -> bool:
    """Record one outcome in its own transaction; a failure is logged, never raised (the
    delivery's lease runs out and it is attempted again)."""
    try:
        with engine.begin() as conn:
            return record(conn, due, outcome)
    except Exception:
        logger.exception(
            "webhook outcome not recorded",
            extra={"delivery_id": due.id, "subscription_id": due.subscription_id},
        )
        return False


def attempt(
    due: Due, *, allow_private: bool = False, transport: httpx.BaseTransport | None = None
) -> Outcome:
    """One signed POST to the pinned target; never raises: any error is a failed outcome,
    retried on the schedule."""
    try:
        return _attempt(due, allow_private=allow_private, transport=transport)
    except Exception as exc:
        return Outcome(error=f"{type(exc).__name__}: {exc}"[:300])


def _attempt(due: Due, *, allow_private: bool, transport: httpx.BaseTransport | None) -> Outcome:
    try:
        target = check_url(due.url, allow_private=allow_private)
    except UnsafeTarget as exc:
        return Outcome(error=exc.errors[0]["message"])
    body = encode(due)
    request_headers = headers(due, body, int(time.time()))
    url, extensions = pinned(target)
    request_headers["host"] = httpx.URL(target.url).netloc.decode("ascii")
    try:
        with (
            httpx.Client(
                timeout=TIMEOUT, follow_redirects=False, trust_env=False, transport=transport
            ) as client,
            client.stream(
                "POST", url, content=body, headers=request_headers, extensions=extensions
            ) as response,
        ):
            return Outcome(status=response.status_code)  # the body is never read
    except httpx.HTTPError as exc:
        return Outcome(error=f"{type(exc).__name__}: {exc}"[:300])


def encode(due: Due) -> bytes:
    event = {"type": due.event, "timestamp": rfc3339(due.created_at), "data": due.payload}
    return json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode()


def headers(due: Due, body: bytes, timestamp: int) -> dict[str, str]:
    """Standard Webhooks headers; a new timestamp and signature on every attempt."""
    msg_id = str(due.id)
    return {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(due.secret, msg_id, timestamp, body),
    }


def pinned(target: Target) -> tuple[httpx.URL, dict[str, Any]]:
    """The URL with its host replaced by the checked address; for https, the TLS server name
    (SNI and certificate check) stays the URL's host."""
    url = httpx.URL(target.url).copy_with(host=target.address, port=target.port)
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    return url, extensions


def record(conn: Any, due: Due, outcome: Outcome) -> bool:
    """Store an attempt's outcome; True when it was delivered."""
    extra = {"delivery_id": due.id, "subscription_id": due.subscription_id, "attempt": due.attempt}
    status = outcome.status
    if status is not None and 200 <= status < 300:
        return subscriptions.mark_sent(conn, due)
    if status == 410:
        if subscriptions.mark_gone(conn, due):
            logger.warning("webhook receiver gone; subscription disabled", extra=extra)
        return False
    error = f"HTTP {status}" if status is not None else outcome.error or "no answer"
    result = subscriptions.mark_failed(conn, due, error)
    logger.warning("webhook delivery failed", extra={**extra, "error": error, "result": result})
    return False
