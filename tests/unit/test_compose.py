"""docker-compose.yml stays honest: every command, queue and variable it names exists.

(`docker compose config` needs a Docker engine to be useful here; this checks what it cannot.)
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import pytest
import yaml

from services.cli import build_parser
from services.queue import WORKER_QUEUES
from shared.settings import Settings

COMPOSE = yaml.safe_load((Path(__file__).resolve().parents[2] / "docker-compose.yml").read_text())
SERVICES: dict[str, Any] = COMPOSE["services"]


def test_the_production_shape_is_complete() -> None:
    assert set(SERVICES) == {"postgres", "redis", "migrate", "ingest", "worker", "beat"}


def test_only_the_api_is_published() -> None:
    assert [name for name, svc in SERVICES.items() if "ports" in svc] == ["ingest"]


def test_redis_keeps_an_append_only_file_and_never_evicts() -> None:
    command = " ".join(SERVICES["redis"]["command"])
    assert "--appendonly yes" in command
    assert "--maxmemory-policy noeviction" in command


@pytest.mark.parametrize("name", ["postgres", "redis", "ingest", "worker"])
def test_long_running_services_have_health_checks(name: str) -> None:
    assert SERVICES[name]["healthcheck"]["test"]


def test_services_wait_for_healthy_dependencies_and_the_migration() -> None:
    for name in ("ingest", "worker", "beat"):
        depends = SERVICES[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully"
        assert depends["redis"]["condition"] == "service_healthy"
    assert SERVICES["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"


@pytest.mark.parametrize("name", ["migrate", "ingest"])
def test_dateline_commands_exist(name: str) -> None:
    command = SERVICES[name]["command"]
    assert command[0] == "dateline"
    build_parser().parse_args(command[1:])  # exits 2 on an unknown command or flag


@pytest.mark.parametrize("name", ["worker", "beat"])
def test_celery_commands_name_the_real_app_and_queues(name: str) -> None:
    command = SERVICES[name]["command"]
    app = command[command.index("-A") + 1]
    assert importlib.util.find_spec(app) is not None
    if name == "worker":
        assert command[command.index("-Q") + 1] == WORKER_QUEUES


def test_every_dateline_variable_is_a_setting() -> None:
    fields = {f"DATELINE_{name.upper()}" for name in Settings.model_fields}
    for name, svc in SERVICES.items():
        for variable in svc.get("environment", {}):
            if variable.startswith("DATELINE_"):
                assert variable in fields, f"{name}: {variable}"


def test_every_setting_is_documented_in_the_readme() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    missing = [
        f"DATELINE_{n.upper()}"
        for n in Settings.model_fields
        if f"`DATELINE_{n.upper()}`" not in readme
    ]
    assert missing == []


def test_every_cli_command_is_in_the_readme() -> None:
    import argparse

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    block = readme[readme.index("## CLI at a glance") : readme.index("## Configuration")]
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    missing = [name for name in sub.choices if f"  {name} " not in block]
    assert missing == []
