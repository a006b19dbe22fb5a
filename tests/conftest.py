"""Shared fixtures: real PostgreSQL and Redis (embedded, or external via DATELINE_*_URL),
the API served by uvicorn on a free port, and real Celery worker processes."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn
from sqlalchemy import Engine, text

from services.queue import WORKER_QUEUES
from tests.support import PATIENCE

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = Path(__file__).parent / "samples"

# Short timings so the recovery tests finish in seconds.
FAST = {
    "DATELINE_LEASE_SECONDS": "4",
    "DATELINE_TASK_TIME_LIMIT": "3",
    "DATELINE_SWEEP_INTERVAL": "1",
    "DATELINE_REQUEUE_AFTER": "2",
    "DATELINE_MAX_ATTEMPTS": "5",
    "DATELINE_LOG_LEVEL": "WARNING",
}


@dataclass
class Servers:
    database_url: str
    redis_url: str
    data_dir: Path


@pytest.fixture(scope="session")
def servers() -> Iterator[Servers]:
    from shared.core.embedded import EmbeddedPostgres, EmbeddedRedis

    data_dir = Path(tempfile.mkdtemp(prefix="dateline-test-"))
    postgres = redis = None
    database_url = os.environ.get("DATELINE_DATABASE_URL")
    redis_url = os.environ.get("DATELINE_REDIS_URL")
    if not database_url:
        postgres = EmbeddedPostgres(data_dir)
        database_url = postgres.start()
    if not redis_url:
        redis = EmbeddedRedis(data_dir)
        redis_url = redis.start()
    yield Servers(database_url, redis_url, data_dir)
    if redis is not None:
        redis.stop()
    if postgres is not None:
        postgres.stop()
    shutil.rmtree(data_dir, ignore_errors=True)  # the servers' files: 80 MB a run otherwise


@pytest.fixture(scope="session")
def settings(servers: Servers):  # type: ignore[no-untyped-def]
    from shared.core.settings import Settings

    return Settings(
        database_url=servers.database_url,
        redis_url=servers.redis_url,
        data_dir=servers.data_dir,
        lease_seconds=4,
        task_time_limit=3,
        sweep_interval=1,
        requeue_after=2,
    )


@pytest.fixture(scope="session")
def engine(servers: Servers) -> Iterator[Engine]:
    from shared.db.engine import make_engine, migrate

    eng = make_engine(servers.database_url)
    migrate(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def db(engine: Engine) -> Engine:
    """A clean database for the test."""
    with engine.begin() as conn:
        conn.execute(
            text(
                "TRUNCATE deliveries, subscriptions, lsh_buckets, submission_items, "
                "item_versions, items, submissions, credentials, partners RESTART IDENTITY CASCADE"
            )
        )
    return engine


@pytest.fixture
def redis_flush(servers: Servers) -> None:
    import redis

    from shared.core.embedded import redis_client_url

    redis.Redis.from_url(redis_client_url(servers.redis_url)).flushall()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def api_url(settings, engine: Engine, servers: Servers) -> Iterator[str]:  # type: ignore[no-untyped-def]
    from services.ingest.app import create_app
    from services.ingest.http import server_config
    from services.queue import make_celery

    app = create_app(settings, engine, make_celery(settings, servers.redis_url, sender=True))
    port = _free_port()
    server = uvicorn.Server(server_config(app, settings, host="127.0.0.1", port=port))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + PATIENCE
    while not server.started:
        assert time.monotonic() < deadline, "API did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


@pytest.fixture
def client(api_url: str, db: Engine, redis_flush: None) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=api_url, timeout=30) as c:
        yield c


class Worker:
    """A real ``celery worker`` process (prefork) pointed at the test servers."""

    def __init__(self, servers: Servers, *, concurrency: int = 1, beat: bool = False) -> None:
        env = {
            **os.environ,
            **FAST,
            "DATELINE_DATABASE_URL": servers.database_url,
            "DATELINE_REDIS_URL": servers.redis_url,
            "DATELINE_DATA_DIR": str(servers.data_dir),
        }
        base = [sys.executable, "-m", "celery", "-A", "services.worker.celery_app"]
        name = f"test-{time.monotonic_ns()}@%h"
        self.worker = subprocess.Popen(
            [
                *base,
                "worker",
                "-Q",
                WORKER_QUEUES,
                "-c",
                str(concurrency),
                "-n",
                name,
                "--without-gossip",
                "--without-mingle",
                "-l",
                "WARNING",
            ],
            cwd=ROOT,
            env=env,
            start_new_session=True,
        )
        self.beat = None
        if beat:
            schedule = servers.data_dir / f"beat-{time.monotonic_ns()}"
            self.beat = subprocess.Popen(
                [*base, "beat", "-s", str(schedule), "-l", "WARNING"],
                cwd=ROOT,
                env=env,
                start_new_session=True,
            )

    def children(self) -> list[int]:
        out = subprocess.run(
            ["pgrep", "-P", str(self.worker.pid)], capture_output=True, text=True, check=False
        ).stdout.split()
        return [int(p) for p in out]

    def kill_main(self) -> None:
        os.killpg(self.worker.pid, signal.SIGKILL)
        self.worker.wait(10)

    def stop(self) -> None:
        for proc in (self.beat, self.worker):
            if proc is not None and proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                    proc.wait(15)
                except (subprocess.TimeoutExpired, ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(5)


@pytest.fixture
def start_worker(servers: Servers) -> Iterator[type[Worker]]:
    started: list[Worker] = []

    def factory(**kwargs: object) -> Worker:
        worker = Worker(servers, **kwargs)  # type: ignore[arg-type]
        started.append(worker)
        return worker

    yield factory  # type: ignore[misc]
    for worker in started:
        worker.stop()
