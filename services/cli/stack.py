"""``dateline up``: embedded PostgreSQL and Redis, migrations, the API, workers and beat.

Heavy imports (uvicorn, Celery, the FastAPI app, SQLAlchemy) happen inside the handlers, so that
``dateline --help`` and the offline commands never pay for them.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from services.cli import UsageError

if TYPE_CHECKING:
    import uvicorn
    from celery import Celery

    from shared.core.settings import Settings

logger = logging.getLogger(__name__)

WORKER_APP = "services.worker.celery_app"
BEAT_APP = "services.worker.beat_app"  # the schedule without the worker's code


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 < port < 65536:
        raise argparse.ArgumentTypeError(f"a port is 1–65535, not {port}")
    return port


def register(sub: Any) -> None:
    p = sub.add_parser("up", help="run everything on this machine (no Docker)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=_port, default=8000)
    p.add_argument("--data-dir", dest="up_data_dir", type=Path, default=None)
    p.add_argument(
        "--workers", type=int, default=2, help="Celery workers (one death never halts processing)"
    )
    p.add_argument("--concurrency", type=int, default=1, help="pool processes per worker")
    p.set_defaults(handler=cmd_up)

    api = sub.add_parser("api", help="run only the API (servers from DATELINE_*_URL)")
    api.add_argument("--host", default="127.0.0.1")
    api.add_argument("--port", type=_port, default=8000)
    api.add_argument(
        "--workers",
        type=int,
        default=None,
        help="API processes sharing the port (default DATELINE_API_PROCESSES: one per CPU)",
    )
    api.set_defaults(handler=cmd_api)


def worker_name(number: int) -> str:
    """The Celery node name of ``up``'s worker ``number`` (what its liveness ping addresses)."""
    return f"dateline-{os.getpid()}-{number}@{socket.gethostname()}"


def beat_pidfile(settings: Settings) -> Path:
    """Beat writes its pid here once its app is loaded and it starts scheduling: ``up``'s sign
    that beat is ready (the file is removed before each start, and by beat when it exits)."""
    return settings.data_dir / "beat" / "beat.pid"


def celery_command(
    kind: str, settings: Settings, concurrency: int = 2, number: int = 1
) -> list[str]:
    base = [sys.executable, "-m", "celery", "-A", WORKER_APP if kind == "worker" else BEAT_APP]
    if kind == "worker":
        from services.queue import WORKER_QUEUES

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
    return [
        *base,
        "beat",
        "-s",
        str(schedule),
        "--pidfile",
        str(beat_pidfile(settings)),
        "-l",
        settings.log_level,
    ]


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
    ready_file: Path | None = None  # holds the child's pid once it is ready (beat's pidfile)
    process: subprocess.Popen[bytes] | None = None
    silent: int = 0  # liveness checks in a row without an answer
    answered: bool = False  # the worker has answered a ping since it was (re)started
    spawned_at: float = field(default_factory=time.monotonic)


class Supervisor:
    """Keeps the stack running as compose would: a worker or beat that exits, a worker that
    stops answering Celery's ping, and an embedded PostgreSQL or Redis that dies are each
    logged and started again. A worker that has not answered once since it was started is
    given ``STARTUP_GRACE`` seconds before missed pings count (a busy machine can take more
    than ten seconds to start one)."""

    CHECK_SECONDS = 1.0
    PING_MISSES = 3  # pings in a row without an answer before a worker is taken as hung
    STARTUP_GRACE = 120.0

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
        self._ping_lock = threading.Lock()  # one control.ping at a time on the shared app
        self._restart_lock = threading.Lock()  # the watch and the ping never both restart one
        for child in children:
            self._spawn(child)
        threading.Thread(target=self._watch, daemon=True).start()
        if celery is not None:
            threading.Thread(target=self._ping_workers, daemon=True).start()

    def _spawn(self, child: Child) -> None:
        from shared.core.embedded import die_with_parent

        if child.ready_file is not None:
            child.ready_file.unlink(missing_ok=True)
        child.silent, child.answered, child.spawned_at = 0, False, time.monotonic()
        child.process = subprocess.Popen(
            child.command,
            env=self.env,
            stdout=_stderr(),  # banners and logs to stderr: stdout is `up`'s own
            start_new_session=True,
            preexec_fn=die_with_parent,
        )

    def _restart(self, child: Child, gone: subprocess.Popen[bytes]) -> None:
        """Start ``child`` again unless the other thread already replaced ``gone``."""
        with self._restart_lock:
            if child.process is gone and not self.stopping.is_set():
                self._spawn(child)

    def _watch(self) -> None:
        from shared.core.embedded import reap_orphans

        while not self.stopping.wait(self.CHECK_SECONDS):
            with contextlib.suppress(Exception):
                reap_orphans()  # backends a killed postmaster left behind, once they exit
            for name, server in self.servers.items():
                try:
                    if not self.stopping.is_set() and not server.alive():
                        logger.error("%s is not running; starting it again", name)
                        server.restart()
                except Exception:  # the watch must outlive any one failure: check again
                    logger.exception("%s could not be checked or started; trying again", name)
            for child in self.children:
                process = child.process
                assert process is not None
                if process.poll() is not None and not self.stopping.is_set():
                    logger.error(
                        "%s exited with %s; starting it again", child.name, process.returncode
                    )
                    self._restart(child, process)

    def _answering(self, nodes: list[Child], timeout: float) -> set[str]:
        """The node names among ``nodes`` that answer a ping; raises when Redis is away."""
        assert self.celery is not None
        with self._ping_lock:
            replies = self.celery.control.ping(
                destination=[c.node for c in nodes if c.node], timeout=timeout
            )
        answered = {name for reply in replies for name in reply}
        for child in nodes:
            if child.node in answered:
                child.answered = True
        return answered

    def _ping_workers(self) -> None:
        """Restart a worker whose main process no longer answers (hung, or stopped), as long as
        Redis itself answers: while Redis is away no worker could."""
        while not self.stopping.wait(self.ping_seconds):
            nodes = [c for c in self.children if c.node is not None]
            try:
                answered = self._answering(nodes, timeout=2.0)
            except Exception:  # Redis is away: nothing to learn about the workers
                continue
            for child in nodes:
                if child.node in answered:
                    child.silent = 0
                    continue
                starting = time.monotonic() - child.spawned_at < self.STARTUP_GRACE
                if not child.answered and starting:
                    continue
                child.silent += 1
                if child.silent >= self.PING_MISSES and not self.stopping.is_set():
                    process = child.process
                    assert process is not None
                    logger.error(
                        "%s did not answer for %.0f s; starting it again",
                        child.name,
                        child.silent * self.ping_seconds,
                    )
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(process.pid, signal.SIGKILL)
                    process.wait()
                    self._restart(child, process)

    def not_ready(self, timeout: float = 1.0) -> list[str]:
        """The names of the children not ready yet: a worker is ready when it answers a Celery
        ping, a child with a ready file when its live process has written its pid there."""
        nodes = [c for c in self.children if c.node is not None]
        answered: set[str] = set()
        if nodes and self.celery is not None:
            with contextlib.suppress(Exception):  # Redis away: no worker counts as ready
                answered = self._answering(nodes, timeout)
        pending = []
        for child in self.children:
            process = child.process
            ready = process is not None and process.poll() is None
            if ready and child.node is not None:
                ready = child.node in answered
            elif ready and child.ready_file is not None:
                assert process is not None
                ready = _read(child.ready_file) == str(process.pid)
            if not ready:
                pending.append(child.name)
        return pending

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


def _stderr() -> int | None:
    """This process's standard error as a file descriptor (None: inherit stdout as it is)."""
    try:
        return sys.__stderr__.fileno() if sys.__stderr__ is not None else None
    except (OSError, ValueError):
        return None


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except OSError:
        return None


class PortTaken(Exception):
    pass


def listen(host: str, port: int) -> socket.socket:
    """A listening socket on host:port, taken before anything starts so that a busy port is
    said plainly at once. Connections made while the stack starts wait in the backlog."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise PortTaken(_port_taken(host, port)) from exc
        raise PortTaken(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    return sock


def _port_taken(host: str, port: int) -> str:
    return (
        f"port {port} is already in use on {host}: stop the other server or choose another "
        f"with --port {_free_port_near(host, port)}"
    )


def _free_port_near(host: str, port: int) -> int:
    """The first port after ``port`` that can be bound now (a suggestion, not a promise)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    for candidate in range(port + 1, min(port + 50, 65536)):
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            try:
                probe.bind((host, candidate))
            except OSError:
                continue
            return candidate
    return port + 1 if port < 65535 else 8001


def cmd_up(args: argparse.Namespace) -> int:
    started = time.monotonic()
    try:
        sock = listen(args.host, args.port)
    except PortTaken as exc:
        print(f"dateline: {exc}", file=sys.stderr)
        return 1
    with sock:
        return _up(args, sock, started)


def _up(args: argparse.Namespace, sock: socket.socket, started: float) -> int:
    from shared.core.settings import Settings

    settings = Settings()
    print(
        f"Starting Dateline (data in {settings.data_dir}): PostgreSQL, Redis, migrations, the API, "
        f"{args.workers} worker(s) and beat…",
        file=sys.stderr,
        flush=True,
    )
    import uvicorn

    from services.ingest.app import create_app
    from services.ingest.http import server_config
    from services.logs import configure_logging
    from services.queue import make_celery
    from services.runtime import resolve
    from shared.db.engine import api_engine, migrate

    configure_logging(settings.log_level)
    from shared.core.embedded import become_subreaper

    become_subreaper()  # an embedded postmaster started from here is our child: see alive()
    # uvicorn re-raises the signal it stopped on; with this handler that unwinds to `finally`.
    signal.signal(signal.SIGTERM, _on_sigterm)
    runtime = resolve(settings, need_redis=True)
    assert runtime.redis_url is not None
    engine = api_engine(runtime.database_url, settings)
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
        beat = Child("beat", celery_command("beat", settings), ready_file=beat_pidfile(settings))
        servers: dict[str, Server] = {}
        if runtime.postgres is not None:
            servers["PostgreSQL"] = runtime.postgres
        if runtime.redis is not None:
            servers["Redis"] = runtime.redis
        supervisor = Supervisor(
            [*workers, beat],
            env,
            servers=servers,
            celery=celery,
            ping_seconds=settings.worker_ping_seconds,
        )
        app = create_app(settings, engine, celery)
        server = uvicorn.Server(server_config(app, settings, host=args.host, port=args.port))
        threading.Thread(
            target=_announce, args=(server, supervisor, args, started), daemon=True
        ).start()
        server.run(sockets=[sock])
        return 0 if server.started else 1
    except _Terminated:
        return 0
    finally:
        if supervisor is not None:
            supervisor.stop()
        engine.dispose()
        runtime.close()


STILL_WAITING_SECONDS = 30.0


def _announce(
    server: uvicorn.Server, supervisor: Supervisor, args: argparse.Namespace, started: float
) -> None:
    """Say that Dateline is up once the API serves, every worker answers a ping and beat
    schedules; until then, every ``STILL_WAITING_SECONDS`` say on stderr what is awaited."""
    while not server.started and not server.should_exit:
        time.sleep(0.05)
    noted = time.monotonic()
    while not server.should_exit:
        pending = supervisor.not_ready()
        if not pending:
            break
        if time.monotonic() - noted >= STILL_WAITING_SECONDS:
            noted = time.monotonic()
            print(f"still starting: {', '.join(pending)}", file=sys.stderr, flush=True)
        time.sleep(0.2)
    if server.should_exit:
        return
    url = f"http://{args.host}:{args.port}"
    print(
        f"Dateline is up at {url} (ready in {time.monotonic() - started:.1f} s; Ctrl-C stops it)",
        flush=True,
    )
    print(next_steps(url, _command_prefix(args)), flush=True)


def _command_prefix(args: argparse.Namespace) -> str:
    """How to run ``dateline`` from the user's shell (``.venv/bin/dateline`` when the virtual
    environment is not on PATH), with the data folder when one was given."""
    program = "dateline"
    installed = Path(sys.executable).parent / "dateline"
    found = shutil.which("dateline")
    if installed.exists() and (found is None or Path(found).resolve() != installed.resolve()):
        try:
            program = str(installed.relative_to(Path.cwd()))
        except ValueError:
            program = str(installed)
    data_dir = getattr(args, "up_data_dir", None) or getattr(args, "data_dir", None)
    if data_dir is not None:
        program += f" --data-dir {Path(data_dir).expanduser().resolve()}"
    return program


def next_steps(url: str, dateline: str = "dateline") -> str:
    """What a newcomer does next, printed under the ``Dateline is up`` line."""
    demo = "demo" if url == "http://127.0.0.1:8000" else f"demo --url {url}"
    return "\n".join(
        [
            f"  wire desk:      {url}/desk (paste an editor token)",
            f"  API reference:  {url}/docs",
            "  next, in another terminal:",
            "    push the bundled samples and see what Dateline made of them:",
            f"      {dateline} {demo}",
            "    a partner (a news agency) and its push key:",
            f"      {dateline} partners add SLUG --timezone TZ",
            "    an editor token, for the desk and the read API:",
            f"      {dateline} tokens add NAME --role editor",
            "  docs: README.md and docs/ (API, formats, design)",
        ]
    )


def cmd_api(args: argparse.Namespace) -> int:
    """The API alone, for compose and other process managers; migrations are a separate job."""
    try:
        sock = listen(args.host, args.port)
    except PortTaken as exc:
        print(f"dateline: {exc}", file=sys.stderr)
        return 1
    import uvicorn

    from services.ingest.app import create_app
    from services.ingest.http import server_config
    from services.logs import configure_logging
    from services.queue import make_celery
    from services.runtime import resolve
    from shared.core.settings import Settings
    from shared.db.engine import api_engine

    with sock:
        settings = Settings()
        configure_logging(settings.log_level)
        runtime = resolve(settings, need_redis=True, keep_running=True, start_redis=False)
        redis_url = runtime.redis_url
        if redis_url is None:
            raise UsageError("no Redis: set DATELINE_REDIS_URL or run `dateline up`")
        processes = args.workers or settings.api_processes or os.cpu_count() or 1

        def serve() -> int:
            # In the serving process: engines, pools and threads are never shared across a fork.
            engine = api_engine(runtime.database_url, settings)
            app = create_app(settings, engine, make_celery(settings, redis_url, sender=True))
            server = uvicorn.Server(
                server_config(app, settings, host=args.host, port=args.port, proxy_headers=True)
            )
            server.run(sockets=[sock])
            return 0

        if processes == 1:
            return serve()
        from shared.reading.timestamps import warm_up

        warm_up()  # once, before the fork: the processes share its pages
        return serve_forked(processes, serve)


def serve_forked(count: int, serve: Callable[[], int]) -> int:
    """Run ``serve`` in ``count`` forked processes (they share the listening socket, and the
    kernel spreads connections over them); start again one that dies; on SIGTERM or SIGINT,
    pass the signal on and wait for all of them (each finishes its requests)."""
    children: set[int] = set()
    stopping = False

    def spawn() -> None:
        pid = os.fork()
        if pid == 0:  # the child: uvicorn installs its own signal handlers
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            code = 1
            try:
                code = serve()
            finally:
                os._exit(code)
        children.add(pid)

    def stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for _ in range(count):
        spawn()
    while children:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            break
        children.discard(pid)
        if not stopping:
            logger.error("API process %s ended (status %s); starting it again", pid, status)
            time.sleep(1.0)  # a process that cannot start must not be restarted in a tight loop
            if not stopping:
                spawn()
    return 0
