"""``dateline up``: embedded PostgreSQL and Redis, migrations, the API, a worker and beat."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import uvicorn

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
    p.add_argument("--concurrency", type=int, default=2, help="worker processes")
    p.set_defaults(handler=cmd_up)

    api = sub.add_parser("api", help="run only the API (servers from DATELINE_*_URL)")
    api.add_argument("--host", default="127.0.0.1")
    api.add_argument("--port", type=int, default=8000)
    api.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    api.set_defaults(handler=cmd_api)


def celery_command(kind: str, settings: Settings, concurrency: int = 2) -> list[str]:
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
            f"dateline-{os.getpid()}@%h",
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


class Supervisor:
    """Keeps the worker and beat running: a child that dies is logged and started again."""

    def __init__(self, commands: list[list[str]], env: dict[str, str]) -> None:
        self.commands, self.env = commands, env
        self.children = [self._spawn(c) for c in commands]
        self.stopping = threading.Event()
        threading.Thread(target=self._watch, daemon=True).start()

    def _spawn(self, command: list[str]) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            command, env=self.env, start_new_session=True, preexec_fn=die_with_parent
        )

    def _watch(self) -> None:
        while not self.stopping.wait(1.0):
            for i, child in enumerate(self.children):
                if child.poll() is not None and not self.stopping.is_set():
                    logger.error(
                        "%s exited with %s; starting it again",
                        self.commands[i][5],
                        child.returncode,
                    )
                    self.children[i] = self._spawn(self.commands[i])

    def stop(self, grace: float = 15.0) -> None:
        self.stopping.set()
        for process in self.children:
            if process.poll() is None:
                process.terminate()
        for process in self.children:
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
        supervisor = Supervisor(
            [celery_command(kind, settings, args.concurrency) for kind in ("worker", "beat")], env
        )
        app = create_app(settings, engine, make_celery(settings, runtime.redis_url, sender=True))
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
