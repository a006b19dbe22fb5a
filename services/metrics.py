"""Prometheus metrics: counters the API and the workers bump, and ``GET /metrics``.

Counters and the histogram live in prometheus-client's default registry; when
``PROMETHEUS_MULTIPROC_DIR`` is set (before this process first imports prometheus_client) every
process writes them to that folder and a scrape adds up all processes' files. Submission counts
by status and the oldest pending submission come from PostgreSQL, so they are right whichever
process answers; each process reads them at most once every ``GAUGE_TTL`` seconds (concurrent
scrapes wait for one read), so a scrape storm cannot turn into table scans. The oldest pending
age is computed at each scrape from the cached timestamp. When the database cannot be read the
scrape still succeeds with ``dateline_database_up 0`` (a failure is not cached).

``DATELINE_METRICS_TOKEN``, when set, makes ``GET /metrics`` require ``Authorization: Bearer
<token>`` (compared in constant time; a ``401`` problem otherwise). Unset, the endpoint is open.
"""

from __future__ import annotations

import hmac
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import SQLAlchemyError

from shared.core.errors import Unauthorized
from shared.core.settings import Settings
from shared.db.tables import submissions

logger = logging.getLogger(__name__)

STATUSES = ("queued", "processing", "done", "failed", "dead")
PENDING = ("queued", "processing")
GAUGE_TTL = 10.0

Gauges = tuple[dict[str, int], datetime | None]

ACCEPTED = Counter(
    "dateline_submissions_accepted", "Submissions stored and queued, by partner.", ["partner"]
)
REJECTED = Counter(
    "dateline_submissions_rejected", "Pushes refused with a problem, by its code.", ["code"]
)
PROCESSED = Counter("dateline_items_processed", "Items processed, by verdict.", ["verdict"])
SUBMISSION_SECONDS = Histogram(
    "dateline_submission_seconds",
    "Time a worker took to process one submission.",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)


def record_accepted(partner: str) -> None:
    ACCEPTED.labels(partner=partner).inc()


def record_rejected(code: str) -> None:
    REJECTED.labels(code=code).inc()


def record_processed(verdict: str) -> None:
    PROCESSED.labels(verdict=verdict).inc()


def observe_processing(seconds: float) -> None:
    SUBMISSION_SECONDS.observe(seconds)


def read_gauges(engine: Engine) -> Gauges:
    """Submissions per status and the oldest pending ``enqueued_at``, read from PostgreSQL."""
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL statement_timeout = '5s'"))
        rows = conn.execute(
            select(submissions.c.status, func.count()).group_by(submissions.c.status)
        ).all()
        oldest = conn.execute(
            select(func.min(submissions.c.enqueued_at)).where(submissions.c.status.in_(PENDING))
        ).scalar()
    return {status: int(n) for status, n in rows}, oldest


class GaugeCache:
    """This process's last database read, reused for ``ttl`` seconds.

    One read at a time: scrapes arriving while a read runs wait for it and use its result.
    Errors propagate and are not remembered.
    """

    def __init__(self, ttl: float = GAUGE_TTL, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.clock = clock
        self._lock = threading.Lock()
        self._entry: tuple[Engine, float, Gauges] | None = None

    def get(self, engine: Engine) -> Gauges:
        with self._lock:
            entry = self._entry
            if entry is not None and entry[0] is engine and self.clock() - entry[1] < self.ttl:
                return entry[2]
            value = read_gauges(engine)
            self._entry = (engine, self.clock(), value)
            return value

    def clear(self) -> None:
        with self._lock:
            self._entry = None


GAUGES = GaugeCache()


class SubmissionStatusCollector(Collector):
    """Gauges read at scrape time: submissions per status and the age of the oldest pending one."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def describe(self) -> Iterable[Metric]:
        return []  # registering must not query the database

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("dateline_database_up", "Whether the scrape could read PostgreSQL.")
        try:
            counts, oldest = GAUGES.get(self.engine)
        except SQLAlchemyError as exc:
            logger.warning("metrics: database unavailable (%s)", type(exc).__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        by_status = GaugeMetricFamily(
            "dateline_submissions_by_status", "Submissions now in each status.", labels=["status"]
        )
        for status in STATUSES:
            by_status.add_metric([status], counts.get(status, 0))
        yield by_status
        age = 0.0 if oldest is None else (datetime.now(UTC) - oldest).total_seconds()
        yield GaugeMetricFamily(
            "dateline_oldest_pending_seconds",
            "Age of the oldest queued or processing submission (0 when none).",
            value=max(age, 0.0),
        )


class _Registry(Collector):
    """This process's metrics (or, in multiprocess mode, every process's)."""

    def collect(self) -> Iterator[Metric]:
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            merged = CollectorRegistry()
            # prometheus_client leaves this constructor unannotated.
            multiprocess.MultiProcessCollector(merged)  # type: ignore[no-untyped-call]
            yield from merged.collect()
        else:
            yield from REGISTRY.collect()

    def describe(self) -> Iterable[Metric]:
        return []


def exposition(engine: Engine) -> bytes:
    """The text exposition format of every metric, the database gauges included."""
    registry = CollectorRegistry()
    registry.register(_Registry())
    registry.register(SubmissionStatusCollector(engine))
    return generate_latest(registry)


def authorize(settings: Settings, authorization: str | None) -> None:
    """Unauthorized unless ``DATELINE_METRICS_TOKEN`` is unset or sent as the bearer token."""
    token = settings.metrics_token
    if not token:
        return
    scheme, _, offered = (authorization or "").strip().partition(" ")
    matches = scheme.lower() == "bearer" and hmac.compare_digest(
        offered.strip().encode("utf-8", "surrogateescape"), token.encode()
    )
    if not matches:
        detail = "GET /metrics needs Authorization: Bearer <DATELINE_METRICS_TOKEN>"
        raise Unauthorized(detail, errors=[{"field": "authorization", "message": detail}])
