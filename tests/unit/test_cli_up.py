"""`dateline up`'s parts that need no servers: readiness of the supervised children, a busy
port said plainly, the next steps it prints."""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from services.cli import build_parser
from services.cli.stack import Child, PortTaken, Supervisor, listen, next_steps
from tests.support import PATIENCE


class Control:
    """Celery's ``control`` stand-in: the nodes in ``answering`` answer a ping."""

    def __init__(self) -> None:
        self.answering: set[str] = set()

    def ping(self, destination: list[str], timeout: float) -> list[dict[str, dict[str, str]]]:
        return [{node: {"ok": "pong"}} for node in destination if node in self.answering]


@pytest.fixture
def supervised(tmp_path: Path) -> Iterator[tuple[Supervisor, Control, Path]]:
    """A supervisor of one worker (node ``w1``) and a beat-like child that writes its pid to
    its ready file only once ``go`` exists."""
    go, ready = tmp_path / "go", tmp_path / "beat.pid"
    ready.write_text("1\n")  # a stale file from an earlier run: removed before the start
    beat = (
        f"while [ ! -e {go} ]; do sleep 0.05; done; echo $$ > {ready}.tmp; "
        f"mv {ready}.tmp {ready}; exec sleep 600"
    )
    control = Control()
    supervisor = Supervisor(
        [
            Child("worker 1", ["sleep", "600"], node="w1"),
            Child("beat", ["sh", "-c", beat], ready_file=ready),
        ],
        {"PATH": "/usr/bin:/bin"},
        celery=SimpleNamespace(control=control),  # a stand-in for the Celery app
        ping_seconds=3600,  # no liveness pings during the test
    )
    try:
        yield supervisor, control, go
    finally:
        supervisor.stop(grace=5)


def test_ready_only_when_every_worker_answers_and_beat_wrote_its_pid(
    supervised: tuple[Supervisor, Control, Path],
) -> None:
    supervisor, control, go = supervised
    assert supervisor.not_ready() == ["worker 1", "beat"]
    control.answering.add("w1")
    assert supervisor.not_ready() == ["beat"]
    go.touch()
    deadline = time.monotonic() + PATIENCE
    while supervisor.not_ready():
        assert time.monotonic() < deadline, supervisor.not_ready()
        time.sleep(0.05)
    assert supervisor.children[0].answered
    control.answering.clear()  # a worker that stops answering is not ready any more
    assert supervisor.not_ready() == ["worker 1"]


def test_a_beat_that_exited_is_not_ready_even_with_its_file(
    supervised: tuple[Supervisor, Control, Path],
) -> None:
    supervisor, control, _ = supervised
    control.answering.add("w1")
    beat = supervisor.children[1]
    assert beat.process is not None and beat.ready_file is not None
    beat.ready_file.write_text(f"{beat.process.pid}\n")
    assert supervisor.not_ready() == []
    supervisor.stopping.set()  # keep the watch from starting it again
    beat.process.kill()
    beat.process.wait()
    assert supervisor.not_ready() == ["beat"]


def test_a_busy_port_is_said_plainly_with_a_free_one_to_try() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(PortTaken) as caught:
            listen("127.0.0.1", port)
    message = str(caught.value)
    prefix = f"port {port} is already in use on 127.0.0.1: stop the other server or choose "
    assert message.startswith(prefix + "another with --port ")
    suggested = int(message.rsplit(" ", 1)[1])
    assert suggested > port


def test_listen_takes_the_port_at_once() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with listen("127.0.0.1", port) as sock:
        assert sock.getsockname() == ("127.0.0.1", port)
        with pytest.raises(PortTaken):
            listen("127.0.0.1", port)


@pytest.mark.parametrize("port", ["0", "65536", "http"])
def test_a_port_out_of_range_is_a_usage_error(port: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "services.cli", "up", "--port", port],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert "--port" in done.stderr


def test_next_steps_name_the_desk_a_partner_key_a_token_and_the_docs() -> None:
    steps = next_steps("http://127.0.0.1:8000", ".venv/bin/dateline")
    assert "http://127.0.0.1:8000/desk" in steps
    assert ".venv/bin/dateline partners add SLUG --timezone TZ" in steps
    assert ".venv/bin/dateline tokens add NAME --role editor" in steps
    assert "README.md" in steps and "docs/" in steps
    assert ".venv/bin/dateline demo\n" in steps
    assert "dateline demo --url http://127.0.0.1:8001\n" in next_steps("http://127.0.0.1:8001")


def test_up_and_demo_options_parse() -> None:
    args = build_parser().parse_args(["up", "--port", "8001", "--data-dir", "x"])
    assert (args.port, args.up_data_dir) == (8001, Path("x"))
    demo = build_parser().parse_args(["demo", "--json"])
    assert isinstance(demo, argparse.Namespace) and demo.json


def test_api_on_a_busy_port_exits_1_before_starting_anything(tmp_path: Path) -> None:
    """(`up` on a busy port: tests/e2e/test_cli.py.)"""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "services.cli", "--data-dir", str(tmp_path), "api",
             "--port", str(port)],
            capture_output=True,
            text=True,
            check=False,
        )  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert done.stderr.startswith(f"dateline: port {port} is already in use on 127.0.0.1: ")
    assert list(tmp_path.iterdir()) == []
