"""``dateline up``: embedded PostgreSQL and Redis, migrations, the API, a worker and beat."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import uvicorn
from celery import Celery

from services.cli import UsageError
from services.ingest.app import create_app
from services.logs import configure_logging
from services.queue import WORKER_QUEUES, make_celery
from services.runtime import resolve
from shared.db.engine import make_engine, migrate
from shared.embedded import die_with_parent
from shared.settings import Settings

logger = logging.getLogger(__name__)

WORKER_APP = "services.worker.celery_app"


def register(sub: Any) -> None:
    p = sub.add_parser("up", help="run everything on this machine (no Docker)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--data-dir", dest="up_data_dir", type=Path, default=None)
    p.add_argument(
        "--workers", type=int, default=2, help="Celery workers (one death never halts processing)"
    )
    p.add_argument("--concurrency", type=int, default=1, help="pool processes per worker")
    p.set_defaults(handler=cmd_up)

    api = sub.add_parser("api", help="run only the API (servers from DATELINE_*_URL)")
    api.add_argument("--host", default="127.0.0.1")
    api.add_argument("--port", type=int, default=8000)
    api.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    api.set_defaults(handler=cmd_api)


def worker_name(number: int) -> str:
    """The Celery node name of ``up``'s worker ``number`` (what its liveness ping addresses)."""
    return f"dateline-{os.getpid()}-{number}@{socket.gethostname()}"


def celery_command(
    kind: str, settings: Settings, concurrency: int = 2, number: int = 1
) -> list[str]:
    base = [sys.executable, "-m", "celery", "-A", WORKER_APP]
    if kind == "worker":
        return [
            *base,
            "worker",
            "-Q",
            WORKER_QUEUES,
            "-c",
            str(concurrency),
            "-n",
            worker_name(number),
            "--without-gossip",
            "--without-mingle",
            "-l",
            settings.log_level,
        ]
    schedule = settings.data_dir / "beat" / "schedule"
    schedule.parent.mkdir(parents=True, exist_ok=True)
    return [*base, "beat", "-s", str(schedule), "-l", settings.log_level]


class _Terminated(Exception):
    """SIGTERM, turned into an exception so that shutdown runs the cleanup below."""


def _on_sigterm(signum: int, frame: object) -> None:
    raise _Terminated


class Server(Protocol):
    """An embedded server ``up`` started: it can tell whether it runs and start again."""

    def alive(self) -> bool: ...
    def restart(self) -> None: ...


@dataclass
class Child:
    name: str
    command: list[str]
    node: str | None = None  # a worker's Celery node name, for its liveness ping
    process: subprocess.Popen[bytes] | None = None
    silent: int = 0  # liveness checks in a row without an answer


class Supervisor:
    """Keeps the stack running as compose would: a worker or beat that exits, a worker that
    stops answering Celery's ping, and an embedded PostgreSQL or Redis that dies are each
    logged and started again."""

    CHECK_SECONDS = 1.0
    PING_MISSES = 3  # pings in a row without an answer before a worker is taken as hung

    def __init__(
        self,
        children: list[Child],
        env: dict[str, str],
        *,
        servers: dict[str, Server] | None = None,
        celery: Celery | None = None,
        ping_seconds: float = 10.0,
    ) -> None:
        self.children, self.env = children, env
        self.ping_seconds = ping_seconds
        self.servers = servers or {}
        self.celery = celery
        self.stopping = threading.Event()
        for child in children:
            child.process = self._spawn(child.command)
        threading.Thread(target=self._watch, daemon=True).start()
        if celery is not None:
            threading.Thread(target=self._ping_workers, daemon=True).start()

    def _spawn(self, command: list[str]) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            command, env=self.env, start_new_session=True, preexec_fn=die_with_parent
        )

    def _watch(self) -> None:
        while not self.stopping.wait(self.CHECK_SECONDS):
            for name, server in self.servers.items():
                try:
                    if not self.stopping.is_set() and not server.alive():
                        logger.error("%s is not running; starting it again", name)
                        server.restart()
                except Exception:  # the watch must outlive any one failure: check again
                    logger.exception("%s could not be checked or started; trying again", name)
            for child in self.children:
                assert child.process is not None
                if child.process.poll() is not None and not self.stopping.is_set():
                    logger.error(
                        "%s exited with %s; starting it again", child.name, child.process.returncode
                    )
                    child.silent = 0
                    child.process = self._spawn(child.command)

    def _ping_workers(self) -> None:
        """Restart a worker whose main process no longer answers (hung, or stopped), as long as
        Redis itself answers: while Redis is away no worker could."""
        assert self.celery is not None
        while not self.stopping.wait(self.ping_seconds):
            nodes = [c for c in self.children if c.node is not None]
            try:
                replies = self.celery.control.ping(
                    destination=[c.node for c in nodes if c.node], timeout=2.0
                )
            except Exception:  # Redis is away: nothing to learn about the workers
                continue
            answered = {name for reply in replies for name in reply}
            for child in nodes:
                child.silent = 0 if child.node in answered else child.silent + 1
                if child.silent >= self.PING_MISSES and not self.stopping.is_set():
                    assert child.process is not None
                    logger.error(
                        "%s did not answer for %.0f s; starting it again",
                        child.name,
                        child.silent * self.ping_seconds,
                    )
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(child.process.pid, signal.SIGKILL)
                    child.process.wait()
                    child.silent = 0
                    child.process = self._spawn(child.command)

    def stop(self, grace: float = 15.0) -> None:
        self.stopping.set()
        processes = [c.process for c in self.children if c.process is not None]
        for process in processes:
            if process.poll() is None:
                process.terminate()
        for process in processes:
            try:
                process.wait(grace)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def cmd_up(args: argparse.Namespace) -> int:
    settings = Settings()
    configure_logging(settings.log_level)
    # uvicorn re-raises the signal it stopped on; with this handler that unwinds to `finally`.
    signal.signal(signal.SIGTERM, _on_sigterm)
    started = time.monotonic()
    runtime = resolve(settings, need_redis=True)
    assert runtime.redis_url is not None
    engine = make_engine(runtime.database_url)
    supervisor: Supervisor | None = None
    try:
        migrate(engine)
        env = {
            **os.environ,
            "DATELINE_DATABASE_URL": runtime.database_url,
            "DATELINE_REDIS_URL": runtime.redis_url,
        }
        celery = make_celery(settings, runtime.redis_url, sender=True)
        workers = [
            Child(
                f"worker {n}",
                celery_command("worker", settings, args.concurrency, n),
                node=worker_name(n),
            )
            for n in range(1, args.workers + 1)
        ]
        servers: dict[str, Server] = {}
        if runtime.postgres is not None:
            servers["PostgreSQL"] = runtime.postgres
        if runtime.redis is not None:
            servers["Redis"] = runtime.redis
        supervisor = Supervisor(
            [*workers, Child("beat", celery_command("beat", settings))],
            env,
            servers=servers,
            celery=celery,
            ping_seconds=settings.worker_ping_seconds,
        )
        app = create_app(settings, engine, celery)
        server = uvicorn.Server(
            uvicorn.Config(
                app,
                host=args.host,
                port=args.port,
                log_config=None,
                access_log=False,
                lifespan="off",
                http="h11",  # bounded header sizes (h11_max_incomplete_event_size)
            )
        )
        threading.Thread(target=_announce, args=(server, args, started), daemon=True).start()
        server.run()
        return 0 if server.started else 1
    except _Terminated:
        return 0
    finally:
        if supervisor is not None:
            supervisor.stop()
        engine.dispose()
        runtime.close()


def _announce(server: uvicorn.Server, args: argparse.Namespace, started: float) -> None:
    while not server.started and not server.should_exit:
        time.sleep(0.05)
    if server.started:
        print(
            f"Dateline is up at http://{args.host}:{args.port} "
            f"(ready in {time.monotonic() - started:.1f} s; Ctrl-C stops it)",
            flush=True,
        )


def cmd_api(args: argparse.Namespace) -> int:
    """The API alone, for compose and other process managers; migrations are a separate job."""
    settings = Settings()
    configure_logging(settings.log_level)
    runtime = resolve(settings, need_redis=True, keep_running=True, start_redis=False)
    if runtime.redis_url is None:
        raise UsageError("no Redis: set DATELINE_REDIS_URL or run `dateline up`")
    engine = make_engine(runtime.database_url)
    app = create_app(settings, engine, make_celery(settings, runtime.redis_url, sender=True))
    uvicorn.run(
        app,
        http="h11",
        host=args.host,
        port=args.port,
        log_config=None,
        access_log=False,
        lifespan="off",
        proxy_headers=True,
    )
    return 0
