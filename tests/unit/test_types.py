"""shared/ and services/ type-check cleanly, strictly, under the ``[tool.mypy]`` settings in
pyproject.toml."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("shared", "services")


def test_mypy_passes_on_shared_and_services() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy", *PACKAGES],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_both_packages_are_checked_strictly() -> None:
    mypy = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]
    assert set(PACKAGES) <= set(mypy["files"])
    strict = {
        module
        for override in mypy["overrides"]
        if override.get("strict")
        for module in override["module"]
    }
    for package in PACKAGES:
        assert {package, f"{package}.*"} <= strict, package
