"""How long `dateline` takes to start: `--help` and an offline `parse` of a small file.

    .venv/bin/python bench/cli_start.py [--runs 15]

Each command runs ``--runs`` times as a new process (``python -m services.cli …``, the way the
``dateline`` script runs it), interleaved round by round with the baseline ``python -c pass``
so that all three see the same load. The table shows the median wall time and the median CPU
time (user + sys of the child, from ``resource.getrusage(RUSAGE_CHILDREN)`` before and after),
and each as a multiple of the baseline's. The machine may be shared and busy: compare the
ratios, not the absolutes. ``python -X importtime -m services.cli --help`` shows what an import
costs, module by module.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "services" / "cli" / "samples" / "belta-style-en.txt"

COMMANDS = {
    "python -c pass (baseline)": [sys.executable, "-c", "pass"],
    "dateline --help": [sys.executable, "-m", "services.cli", "--help"],
    "dateline parse (small file)": [
        sys.executable, "-m", "services.cli", "parse", str(SAMPLE), "--timezone", "Europe/Minsk",
    ],
}  # fmt: skip


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_once(command: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of one run of ``command``, which must succeed."""
    cpu, wall = _cpu(), time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, check=False)
    wall, cpu = time.perf_counter() - wall, _cpu() - cpu
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed ({done.returncode}): {done.stderr.decode()}")
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=15, help="runs of each command")
    runs = parser.parse_args().runs
    for command in COMMANDS.values():  # warm the file cache and the bytecode
        run_once(command)
    walls: dict[str, list[float]] = {name: [] for name in COMMANDS}
    cpus: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(runs):
        for name, command in COMMANDS.items():
            wall, cpu = run_once(command)
            walls[name].append(wall)
            cpus[name].append(cpu)
    base = next(iter(COMMANDS))
    base_wall, base_cpu = statistics.median(walls[base]), statistics.median(cpus[base])
    print(f"{runs} runs each, medians; {sys.executable}")
    print(f"{'command':<30} {'wall s':>8} {'× base':>7} {'CPU s':>8} {'× base':>7}")
    for name in COMMANDS:
        wall, cpu = statistics.median(walls[name]), statistics.median(cpus[name])
        print(
            f"{name:<30} {wall:>8.3f} {wall / base_wall:>7.1f} "
            f"{cpu:>8.3f} {cpu / max(base_cpu, 1e-3):>7.1f}"
        )


if __name__ == "__main__":
    main()
