"""``GET /metrics``: the counters the API and workers bump, and submission gauges read from
PostgreSQL at scrape time; in multiprocess mode, every process's counters added up."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine

from services import metrics
from services.ingest import routes_metrics
from services.ingest.app import create_app
from services.queue import make_celery
from tests.api.served import serve, with_routers
from tests.support import partner_key, push

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def metrics_url(settings, engine: Engine, servers) -> Iterator[str]:  # type: ignore[no-untyped-def]
    app = create_app(settings, engine, make_celery(settings, servers.redis_url))
    with serve(with_routers(app, routes_metrics.router)) as url:
        yield url


@pytest.fixture
def api(metrics_url: str, db: Engine, redis_flush: None) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=metrics_url, timeout=10) as c:
        yield c


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def _scrape(api: httpx.Client) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    answer = api.get("/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain; version=")
    return _samples(answer.text)


def _fresh_scrape(api: httpx.Client) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """A scrape that reads PostgreSQL again instead of the process's 10 s gauge cache."""
    metrics.GAUGES.clear()
    return _scrape(api)


def _by_status(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float]) -> dict[str, float]:
    return {
        status: samples[("dateline_submissions_by_status", (("status", status),))]
        for status in metrics.STATUSES
    }


ACCEPTED = "dateline_submissions_accepted_total"


def test_a_push_shows_in_the_accepted_counter_and_the_status_gauges(
    api: httpx.Client, db: Engine
) -> None:
    accepted = (ACCEPTED, (("partner", "metrics-alpha"),))
    before = _scrape(api).get(accepted, 0.0)
    answer = push(api, partner_key(db, "metrics-alpha"), b"Headline\n\nBody of the story.\n")
    assert answer.status_code == 202
    after = _fresh_scrape(api)
    assert after[accepted] == before + 1
    assert _by_status(after) == {"queued": 1, "processing": 0, "done": 0, "failed": 0, "dead": 0}
    assert after[("dateline_database_up", ())] == 1
    assert 0 <= after[("dateline_oldest_pending_seconds", ())] < 60


def test_rejections_verdicts_and_processing_times_are_exposed(
    api: httpx.Client, db: Engine, settings
) -> None:  # type: ignore[no-untyped-def]
    from services.worker.pipeline import process_submission

    key = partner_key(db, "metrics-beta")
    before = _scrape(api)
    assert push(api, key, b"Headline\n\nBody.", "image/png").status_code == 415
    story = b"Headline of the story\n\nBody of the story, long enough to count as one.\n"
    submission_id = push(api, key, story).json()["submission_id"]
    assert process_submission(db, settings, submission_id) == "done"
    after = _scrape(api)
    keys = [
        ("dateline_submissions_rejected_total", (("code", "unsupported_media_type"),)),
        ("dateline_items_processed_total", (("verdict", "new"),)),
        ("dateline_submission_seconds_count", ()),
    ]
    assert [after[k] - before.get(k, 0.0) for k in keys] == [1, 1, 1]


def test_multiprocess_mode_adds_up_every_process_and_survives_a_database_outage(
    tmp_path: Path,
) -> None:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    record = "from services import metrics; metrics.record_accepted('gamma')"
    for _ in range(2):
        subprocess.run([sys.executable, "-c", record], cwd=ROOT, env=env, check=True)
    scrape = (
        "from services import metrics; from shared.db.engine import make_engine; "
        "import sys; sys.stdout.write(metrics.exposition("
        "make_engine('postgresql://nobody@127.0.0.1:1/none')).decode())"
    )
    out = subprocess.run(
        [sys.executable, "-c", scrape], cwd=ROOT, env=env, check=True, capture_output=True,
        text=True,
    ).stdout  # fmt: skip
    samples = _samples(out)
    assert samples[(ACCEPTED, (("partner", "gamma"),))] == 2
    assert samples[("dateline_database_up", ())] == 0
    assert not any(name == "dateline_submissions_by_status" for name, _ in samples)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_database_gauges_are_read_at_most_once_every_10_seconds(
    api: httpx.Client, db: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = FakeClock()
    monkeypatch.setattr(metrics.GAUGES, "clock", clock)
    metrics.GAUGES.clear()
    none = {"queued": 0, "processing": 0, "done": 0, "failed": 0, "dead": 0}
    assert _by_status(_scrape(api)) == none
    assert push(api, partner_key(db, "metrics-delta"), b"Headline\n\nBody.\n").status_code == 202
    clock.now += 9.9
    assert _by_status(_scrape(api)) == none  # the cached read
    clock.now += 0.2
    assert _by_status(_scrape(api)) == {**none, "queued": 1}


@pytest.fixture(scope="module")
def guarded_url(settings, engine: Engine, servers) -> Iterator[str]:  # type: ignore[no-untyped-def]
    guarded = settings.model_copy(update={"metrics_token": "scrape-secret"})
    app = create_app(guarded, engine, make_celery(guarded, servers.redis_url))
    with serve(with_routers(app, routes_metrics.router)) as url:
        yield url


def test_with_a_metrics_token_a_scrape_needs_it_as_a_bearer_token(guarded_url: str) -> None:
    wrong: list[dict[str, str | bytes]] = [
        {},
        {"Authorization": "Bearer not-it"},
        {"Authorization": "Basic scrape-secret"},
        {"Authorization": b"Bearer \xe9\xe9"},
        {"Authorization": "Bearer"},
    ]
    with httpx.Client(base_url=guarded_url, timeout=10) as c:
        for headers in wrong:
            answer = c.get("/metrics", headers=headers)
            assert answer.status_code == 401, (headers, answer.text)
            assert answer.headers["content-type"].startswith("application/problem+json")
            detail = "GET /metrics needs Authorization: Bearer <DATELINE_METRICS_TOKEN>"
            assert answer.json() == {
                "type": "https://dateline.dev/problems/unauthorized",
                "title": "Unauthorized",
                "status": 401,
                "detail": detail,
                "code": "unauthorized",
                "errors": [{"field": "authorization", "message": detail}],
            }
        right = c.get("/metrics", headers={"Authorization": "Bearer scrape-secret"})
    assert right.status_code == 200
    assert ("dateline_database_up", ()) in _samples(right.text)
