"""Prometheus metrics: counters the API and the workers bump, and ``GET /metrics``.

Counters and the histogram live in prometheus-client's default registry; when
``PROMETHEUS_MULTIPROC_DIR`` is set (before this process first imports prometheus_client) every
process writes them to that folder and a scrape adds up all processes' files. Submission counts
by status come from PostgreSQL at scrape time, so they are right whichever process answers; when
the database cannot be read the scrape still succeeds with ``dateline_database_up 0``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime

from fastapi import APIRouter, Request, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
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

from shared.db.tables import submissions

logger = logging.getLogger(__name__)
router = APIRouter()

STATUSES = ("queued", "processing", "done", "failed", "dead")
PENDING = ("queued", "processing")

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


class SubmissionStatusCollector(Collector):
    """Gauges read at scrape time: submissions per status and the age of the oldest pending one."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def describe(self) -> Iterable[Metric]:
        return []  # registering must not query the database

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("dateline_database_up", "Whether the scrape could read PostgreSQL.")
        try:
            counts, oldest = self._read()
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

    def _read(self) -> tuple[dict[str, int], datetime | None]:
        with self.engine.begin() as conn:
            conn.execute(text("SET LOCAL statement_timeout = '5s'"))
            rows = conn.execute(
                select(submissions.c.status, func.count()).group_by(submissions.c.status)
            ).all()
            oldest = conn.execute(
                select(func.min(submissions.c.enqueued_at)).where(submissions.c.status.in_(PENDING))
            ).scalar()
        return {status: int(n) for status, n in rows}, oldest


class _Registry(Collector):
    """This process's metrics (or, in multiprocess mode, every process's)."""

    def collect(self) -> Iterator[Metric]:
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            merged = CollectorRegistry()
            multiprocess.MultiProcessCollector(merged)
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


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    return Response(exposition(request.app.state.engine), media_type=CONTENT_TYPE_LATEST)
