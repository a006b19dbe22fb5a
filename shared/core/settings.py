"""One settings object, read from ``DATELINE_*`` environment variables and passed down.

When ``DATELINE_DATABASE_URL`` / ``DATELINE_REDIS_URL`` are unset, the embedded servers in
``data_dir`` are used (each URL on its own: an external database may pair with embedded Redis).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import platformdirs
from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.core.model import MAX_BATCH_ITEMS
from shared.matching.verdict import Thresholds


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("dateline", appauthor=False))


class Settings(BaseSettings):
    # An empty variable is an unset one (compose passes every setting as `${VAR:-}`).
    model_config = SettingsConfigDict(env_prefix="DATELINE_", extra="ignore", env_ignore_empty=True)

    data_dir: Path = Field(default_factory=default_data_dir)
    database_url: str | None = None
    redis_url: str | None = None

    # Ingest limits.
    max_body_bytes: int = 5 * 1024 * 1024
    max_batch_items: int = Field(default=MAX_BATCH_ITEMS, ge=1, le=MAX_BATCH_ITEMS)
    # Bodies still arriving are held in memory: at most this much in all (else 503), and per
    # sender (a partner; a push slug whose signature is not checked yet) this much (else 429).
    max_buffered_bytes: int = Field(default=256 * 1024 * 1024, ge=1)
    buffered_bytes_per_sender: int = Field(default=32 * 1024 * 1024, ge=1)
    # The most an item's body_html, and its body_text, may hold once normalised (UTF-8 bytes).
    max_item_body_bytes: int = Field(default=2 * 1024 * 1024, ge=1)

    # The API: how many requests may run blocking work (database, parsing) at once. Its database
    # pool keeps this many connections (plus a few for streams and checks), so none is opened
    # and closed per request.
    api_threads: int = Field(default=16, ge=1, le=256)
    # Documents over inline_parse_bytes are parsed in a pool of parse_processes processes, at
    # most parses_per_partner at once for one partner, each within parse_cpu_seconds of CPU.
    inline_parse_bytes: int = Field(default=128 * 1024, ge=0)
    parse_processes: int = Field(default=2, ge=1, le=64)
    parses_per_partner: int = Field(default=1, ge=1)
    parse_cpu_seconds: float = Field(default=10.0, gt=0)
    # `dateline api`: processes sharing the port; 0 = one per CPU. (`dateline up` runs one.)
    api_processes: int = Field(default=0, ge=0, le=64)
    # A request's line and headers must arrive within this (and a new connection must begin one);
    # its body within read_timeout_seconds of its headers. Else 408, closed.
    header_timeout_seconds: float = Field(default=10.0, gt=0)
    read_timeout_seconds: float = Field(default=60.0, gt=0)

    # Per-partner push rate limit (token bucket in Redis); 0 turns it off.
    rate_limit_per_minute: float = Field(default=600.0, ge=0)
    rate_limit_burst: int = Field(default=120, ge=1)

    # Worker and sweeper timings (seconds).
    lease_seconds: float = 60.0
    sweep_interval: float = 5.0
    requeue_after: float = 30.0
    max_attempts: int = 5
    # A worker stores up to this many small queued submissions in one transaction (the
    # message's own and the oldest others): fewer commits and round trips per submission.
    worker_batch: int = Field(default=16, ge=1, le=100)
    retry_backoff_max: float = 300.0
    # Unset: five sixths of the lease (50 s of the default 60 s), so a lease alone can be changed.
    task_time_limit: float = 50.0
    # `dateline up` pings its workers this often; three pings unanswered restart a worker.
    worker_ping_seconds: float = Field(default=10.0, gt=0)

    # Deduplication (see docs/dedupe.md for how the defaults were chosen).
    dedupe_near_threshold: float = Field(default=0.45, gt=0, le=1)
    dedupe_update_threshold: float = Field(default=0.5, gt=0, le=1)
    dedupe_window_hours: float = Field(default=72.0, gt=0)
    prune_interval: float = 3600.0

    # Webhooks to publishing systems.
    webhook_allow_private: bool = False  # allow private, loopback, link-local targets
    metrics_token: str | None = None  # when set, GET /metrics needs it as a bearer token
    webhook_interval: float = Field(default=2.0, gt=0)

    # Live stream (GET /v1/stream), seconds.
    stream_poll_seconds: float = Field(default=1.0, gt=0)
    stream_heartbeat_seconds: float = Field(default=15.0, gt=0)
    stream_gap_seconds: float = Field(default=10.0, gt=0)
    # An open stream checks its token again this often: a revoked token stops receiving.
    stream_recheck_seconds: float = Field(default=30.0, gt=0)
    # Open streams one API process serves: per token, and in total.
    streams_per_token: int = Field(default=5, ge=1)
    max_streams: int = Field(default=200, ge=1)

    # Pages (items per page; a page of items stops short of max_page_bytes of JSON).
    default_page_size: int = 50
    max_page_size: int = 200
    max_page_bytes: int = Field(default=8 * 1024 * 1024, ge=1)

    log_level: str = "INFO"

    @field_validator("database_url", "redis_url", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @model_validator(mode="before")
    @classmethod
    def _task_limit_follows_the_lease(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("task_time_limit") in (None, ""):
            try:
                lease = float(data.get("lease_seconds", 60.0))
            except (TypeError, ValueError):
                return data  # the field's own validation reports the lease
            data = {**data, "task_time_limit": lease * 5 / 6}
        return data

    @model_validator(mode="after")
    def _lease_outlives_a_task(self) -> Settings:
        # A lease shorter than a task would let a second worker reclaim work still running.
        if self.lease_seconds <= self.task_time_limit:
            raise ValueError(
                f"DATELINE_LEASE_SECONDS ({self.lease_seconds}) must be longer than "
                f"DATELINE_TASK_TIME_LIMIT ({self.task_time_limit})"
            )
        return self

    @property
    def thresholds(self) -> Thresholds:
        return Thresholds(self.dedupe_near_threshold, self.dedupe_update_threshold)

    @property
    def embedded_database(self) -> bool:
        return self.database_url is None

    @property
    def embedded_redis(self) -> bool:
        return self.redis_url is None


def sqlalchemy_url(url: str) -> str:
    """Accept a plain ``postgresql://`` URL and select the psycopg 3 driver."""
    for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    raise ValueError("DATELINE_DATABASE_URL must be a postgresql:// URL")
