"""A ``dateline up`` of the benchmarks' own, in a temporary data folder: started, handed over
ready, and stopped again (with the embedded PostgreSQL, which a benchmark that reads the
database itself has joined, so ``up`` alone would leave it running)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Stack:
    url: str
    data_dir: Path
    env: dict[str, str]
    process: subprocess.Popen[str]

    def cli(self, *args: str) -> dict[str, str]:
        """``dateline ARGS --json`` against this stack's data folder, parsed."""
        out = subprocess.run(
            [sys.executable, "-m", "services.cli", "--data-dir", str(self.data_dir), *args,
             "--json"],
            cwd=ROOT, env=self.env, capture_output=True, text=True, check=True,
        )  # fmt: skip
        result: dict[str, str] = json.loads(out.stdout)
        return result


@contextlib.contextmanager
def running_up(name: str, port: int, settings: dict[str, str]) -> Iterator[Stack]:
    data_dir = Path(tempfile.mkdtemp(prefix=f"dateline-{name}-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATELINE_")}
    env.update(settings)
    with (data_dir / "up.log").open("w") as log:
        up = subprocess.Popen(
            [sys.executable, "-m", "services.cli", "up", "--data-dir", str(data_dir),
             "--port", str(port)],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=log, text=True,
        )  # fmt: skip
    try:
        assert up.stdout is not None
        print(up.stdout.readline().strip(), flush=True)
        yield Stack(f"http://127.0.0.1:{port}", data_dir, env, up)
    finally:
        up.terminate()
        try:
            up.wait(60)
        except subprocess.TimeoutExpired:
            up.kill()
        postmaster = data_dir / "postgres" / "postmaster.pid"
        if postmaster.exists():
            with contextlib.suppress(ValueError, OSError):
                os.kill(int(postmaster.read_text().split()[0]), signal.SIGINT)
