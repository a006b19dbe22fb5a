"""Per-partner rate limit on pushes: a token bucket in Redis (docs/api.md, Rate limit).

A partner's bucket holds at most ``DATELINE_RATE_LIMIT_BURST`` tokens and refills continuously at
``DATELINE_RATE_LIMIT_PER_MINUTE`` a minute; each push takes one. One Lua script reads, refills,
takes and writes the bucket, so concurrent API processes never over-grant, and it reads Redis's
clock, so the API hosts' clocks do not matter. An empty bucket is a ``429`` whose ``Retry-After``
is the whole seconds until the next token. A rate of 0 turns the limit off.

Redis being down never fails a push: the inbox (PostgreSQL) is the truth and Redis only a helper,
so the limit is skipped and a warning logged.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any

import redis
import redis.asyncio
from fastapi import Request

from services.ingest.state import state_of
from shared.core.embedded import redis_client_url
from shared.core.errors import RateLimited
from shared.core.settings import Settings

logger = logging.getLogger(__name__)

KEY = "dateline:ratelimit:{partner_id}"

# KEYS[1] the bucket; ARGV[1] tokens per millisecond, ARGV[2] burst, ARGV[3] (optional) the time
# in milliseconds, for tests; by default Redis's own clock. Returns the milliseconds to wait for a
# token: 0 when one was taken.
_BUCKET = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
if now == nil then
  local clock = redis.call('TIME')
  now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
end
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil or at == nil then
  tokens = burst
  at = now
end
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = math.ceil((1 - tokens) / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', now)
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate) + 1000)
return wait
"""


@dataclass(frozen=True, slots=True)
class Limits:
    per_minute: float
    burst: int

    @property
    def enabled(self) -> bool:
        return self.per_minute > 0


def limits(settings: Settings) -> Limits:
    """The configured limits (``DATELINE_RATE_LIMIT_PER_MINUTE``, ``…_BURST``)."""
    return Limits(settings.rate_limit_per_minute, settings.rate_limit_burst)


def redis_client(app: Any) -> redis.Redis:
    """The API's Redis client, made on first use from the Celery broker URL (the same Redis)."""
    state = state_of(app)
    if state.redis is None:
        url = redis_client_url(str(state.celery.conf.broker_url))
        state.redis = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
    return state.redis


def take(
    client: redis.Redis, partner_id: int, limits: Limits, *, now_ms: int | None = None
) -> float:
    """Take one token from the partner's bucket: 0.0 if taken, else seconds until one is free.

    ``now_ms`` replaces Redis's clock (tests drive time by hand). Redis errors propagate;
    ``enforce`` decides what they mean.
    """
    script = client.register_script(_BUCKET)
    rate_per_ms = limits.per_minute / 60_000
    args: list[float | int] = [rate_per_ms, limits.burst]
    if now_ms is not None:
        args.append(now_ms)
    wait_ms = script(keys=[KEY.format(partner_id=partner_id)], args=args)
    return int(wait_ms) / 1000


def enforce(request: Request, partner_id: int) -> None:
    """Raise ``RateLimited`` (with ``retry_after`` seconds) if the partner is over its limit.

    Blocking (Redis I/O): call it from a thread. Allows the push when Redis is unreachable.
    """
    current = limits(state_of(request).settings)
    if not current.enabled:
        return
    try:
        wait = take(redis_client(request.app), partner_id, current)
    except redis.RedisError as exc:
        _skipped(partner_id, exc)
        return
    _refuse_if(wait, current)


class LoopRedis:
    """The API's asynchronous Redis client, for ``enforce_on_loop``: made on first use, inside
    the event loop its connections belong to."""

    def __init__(self, app: Any) -> None:
        url = redis_client_url(str(state_of(app).celery.conf.broker_url))
        self.client = redis.asyncio.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
        self.bucket = self.client.register_script(_BUCKET)


async def enforce_on_loop(request: Request, partner_id: int) -> None:
    """``enforce`` on the event loop, with the same bucket and the same answers."""
    state = state_of(request)
    current = limits(state.settings)
    if not current.enabled:
        return
    found = state.one(LoopRedis, lambda: LoopRedis(request.app))
    args = [current.per_minute / 60_000, current.burst]
    try:
        wait_ms = await found.bucket(keys=[KEY.format(partner_id=partner_id)], args=args)
    except redis.RedisError as exc:
        _skipped(partner_id, exc)
        return
    _refuse_if(int(wait_ms) / 1000, current)


def _skipped(partner_id: int, exc: Exception) -> None:
    logger.warning(
        "rate limit skipped: redis unavailable",
        extra={"partner_id": partner_id, "error": type(exc).__name__},
    )


def _refuse_if(wait: float, current: Limits) -> None:
    if wait > 0:
        error = RateLimited(
            f"over the limit of {current.per_minute:g} pushes a minute "
            f"(bursts of {current.burst}); retry in {math.ceil(wait)} s"
        )
        error.retry_after = max(1, math.ceil(wait))
        raise error
