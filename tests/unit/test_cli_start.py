"""`dateline` starts light: building its parser, `--help` and an offline `parse` import none of
the API's, the worker's or the database's heavy modules (which took seconds of CPU each time).

Checked on `sys.modules` in a fresh interpreter, not with a clock: deterministic on any machine.
`bench/cli_start.py` measures the time."""

from __future__ import annotations

import json
import subprocess
import sys

from services.cli import admin, subscriptions
from tests.conftest import ROOT, SAMPLES

HEAVY = ("fastapi", "uvicorn", "celery", "sqlalchemy", "jsonschema", "lxml", "datasketch")


def _loaded_after(code: str) -> list[str]:
    """The heavy top-level modules imported once ``code`` has run in a new interpreter."""
    probe = (
        f"{code}\nimport json, sys\n"
        f"print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r}))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    loaded: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return loaded


def test_building_the_parser_imports_nothing_heavy() -> None:
    assert _loaded_after("from services.cli import build_parser\nbuild_parser()") == []


def test_help_imports_nothing_heavy() -> None:
    code = (
        "import contextlib, io\nfrom services.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n        main(['--help'])\n    except SystemExit as exc:\n"
        "        assert exc.code == 0, exc.code"
    )
    assert _loaded_after(code) == []


def test_parse_needs_only_the_parsers() -> None:
    sample = SAMPLES / "e2e" / "potash-2022-03-14.txt"
    code = (
        "import contextlib, io\nfrom services.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    assert main(['parse', {str(sample)!r}, '--timezone', 'Europe/Minsk']) == 0"
    )
    # lxml is the XML formats' parser, loaded with the format registry; nothing else is.
    assert _loaded_after(code) == ["lxml"]


def test_the_parser_s_copies_of_shared_constants_stay_equal() -> None:
    from shared.db import credentials
    from shared.db import subscriptions as stored

    assert admin.ROLES == credentials.ROLES
    assert subscriptions.FILTERS == stored.FILTERS


def test_help_names_the_first_steps() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "services.cli", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "dateline up" in done.stdout and "dateline demo" in done.stdout
