"""shared/ type-checks cleanly under the ``[tool.mypy]`` settings in pyproject.toml."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_mypy_passes_on_shared() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "shared"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
