"""docker-compose.yml stays honest: every command, queue and variable it names exists, every
setting reaches the containers from .env, and the image installs exactly what the lock pins.

(`docker compose config` needs a Docker engine to be useful here; this checks what it cannot.)
"""

from __future__ import annotations

import importlib
import os
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from pydantic import TypeAdapter, ValidationError

from services.cli import build_parser
from services.queue import WORKER_QUEUES
from shared.core.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES: dict[str, Any] = COMPOSE["services"]
DATELINE_SERVICES = ("migrate", "ingest", "worker", "beat")
SETTINGS = {f"DATELINE_{name.upper()}": name for name in Settings.model_fields}
# Pointed at the compose file's own servers, not taken from .env.
SET_BY_COMPOSE = {"DATELINE_DATABASE_URL", "DATELINE_REDIS_URL"}
# Only the API serves /metrics, and compose will not start without its token.
API_ONLY = {"DATELINE_METRICS_TOKEN"}
COMPOSE_ONLY = {"DATELINE_PORT"}  # the published port: used by docker-compose.yml itself


def interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's variable substitution, as far as docker-compose.yml uses it."""

    def one(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name, op, arg = match.group("name"), match.group("op"), match.group("arg") or ""
        got = env.get(name, "")
        if op == ":-":
            return got or arg
        if op == ":?" and not got:
            raise LookupError(f"{name}: {arg}")
        return got

    pattern = r"\$\$|\$\{(?P<name>\w+)(?:(?P<op>:[-?])(?P<arg>[^}]*))?\}"
    return re.sub(pattern, one, value)


def container_env(service: str, dotenv: dict[str, str]) -> dict[str, str]:
    return {k: interpolate(str(v), dotenv) for k, v in SERVICES[service]["environment"].items()}


def example_env() -> dict[str, str]:
    """.env.example's variables, the commented-out ones included: NAME -> value."""
    found = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        match = re.fullmatch(r"#? ?([A-Z][A-Z0-9_]*)=(.*)", line.strip())
        if match:
            found[match.group(1)] = match.group(2)
    return found


def settings_in(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The Settings a process sees with exactly ``env`` as its DATELINE_* environment."""
    for name in [n for n in os.environ if n.startswith("DATELINE_")]:
        monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return Settings()


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


@pytest.mark.parametrize("name", DATELINE_SERVICES)
def test_every_setting_reaches_every_dateline_container(name: str) -> None:
    expected = set(SETTINGS) if name == "ingest" else set(SETTINGS) - API_ONLY
    assert expected - set(SERVICES[name]["environment"]) == set()


def test_settings_pass_through_from_env_and_unset_takes_the_default() -> None:
    for variable, value in SERVICES["ingest"]["environment"].items():
        if variable in SET_BY_COMPOSE:
            continue
        if variable in API_ONLY:
            assert value.startswith(f"${{{variable}:?"), variable
        else:
            assert value == f"${{{variable}:-}}", variable


def test_compose_will_not_start_without_a_metrics_token() -> None:
    with pytest.raises(LookupError, match="DATELINE_METRICS_TOKEN"):
        container_env("ingest", {})
    with pytest.raises(LookupError, match="DATELINE_METRICS_TOKEN"):
        container_env("ingest", example_env())  # copied as it is: the token is still empty
    assert container_env("ingest", {"DATELINE_METRICS_TOKEN": "t"})["DATELINE_METRICS_TOKEN"] == "t"
    assert "DATELINE_METRICS_TOKEN" not in container_env("worker", {})


@pytest.mark.parametrize("name", DATELINE_SERVICES)
def test_containers_start_with_the_example_env(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    dotenv = {**example_env(), "DATELINE_METRICS_TOKEN": "scrape-secret"}
    settings = settings_in(container_env(name, dotenv), monkeypatch)
    assert settings.database_url == "postgresql://dateline:dateline@postgres:5432/dateline"
    assert settings.redis_url == "redis://redis:6379/0"
    assert (settings.lease_seconds, settings.task_time_limit) == (60, 50)
    assert settings.max_body_bytes == Settings.model_fields["max_body_bytes"].default


@pytest.mark.parametrize("name", DATELINE_SERVICES)
def test_a_short_lease_alone_still_starts_with_a_shorter_task_limit(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    dotenv = {"DATELINE_METRICS_TOKEN": "t", "DATELINE_LEASE_SECONDS": "30"}
    settings = settings_in(container_env(name, dotenv), monkeypatch)
    assert (settings.lease_seconds, settings.task_time_limit) == (30, 25)


def test_a_task_limit_not_below_the_lease_is_still_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    dotenv = {
        "DATELINE_METRICS_TOKEN": "t",
        "DATELINE_LEASE_SECONDS": "30",
        "DATELINE_TASK_TIME_LIMIT": "30",
    }
    with pytest.raises(ValidationError, match="must be longer than"):
        settings_in(container_env("worker", dotenv), monkeypatch)


def test_values_from_env_reach_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    dotenv = {
        "DATELINE_METRICS_TOKEN": "t",
        "DATELINE_LOG_LEVEL": "DEBUG",
        "DATELINE_WEBHOOK_ALLOW_PRIVATE": "true",
        "POSTGRES_PASSWORD": "pw",
    }
    settings = settings_in(container_env("ingest", dotenv), monkeypatch)
    assert (settings.metrics_token, settings.log_level) == ("t", "DEBUG")
    assert settings.webhook_allow_private is True
    assert settings.database_url == "postgresql://dateline:pw@postgres:5432/dateline"


@pytest.mark.parametrize("name", ["worker", "beat"])
def test_celery_logs_at_the_dateline_log_level(name: str) -> None:
    command = SERVICES[name]["command"]
    assert command[command.index("-l") + 1] == "${DATELINE_LOG_LEVEL:-INFO}"
    assert interpolate(command[command.index("-l") + 1], {}) == "INFO"


def test_env_example_lists_every_setting_with_its_default() -> None:
    example = example_env()
    assert set(SETTINGS) - set(example) == set()
    assert {n for n in example if n.startswith("DATELINE_")} - set(SETTINGS) <= COMPOSE_ONLY
    for variable, raw in example.items():
        if variable not in SETTINGS or raw == "":
            continue
        field = Settings.model_fields[SETTINGS[variable]]
        value = TypeAdapter(field.annotation).validate_python(raw)
        assert value == field.get_default(call_default_factory=True), variable


def _pins(lock: str) -> dict[str, tuple[str, int]]:
    """name -> (version, number of hashes) of a `pip-compile --generate-hashes` style lock."""
    pins: dict[str, tuple[str, int]] = {}
    for entry in re.split(r"\n(?=[A-Za-z0-9])", (ROOT / lock).read_text()):
        match = re.match(r"([A-Za-z0-9._-]+)==(\S+)", entry)
        if match:
            name = canonicalize_name(match.group(1))
            pins[name] = (match.group(2), entry.count("--hash=sha256:"))
    return pins


PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


@pytest.mark.parametrize(
    ("lock", "requirements"),
    [
        ("requirements.lock", PROJECT["dependencies"]),
        (
            "requirements-test.lock",
            PROJECT["dependencies"] + PROJECT["optional-dependencies"]["test"],
        ),
    ],
)
def test_the_locks_pin_every_dependency_with_hashes(lock: str, requirements: list[str]) -> None:
    pins = _pins(lock)
    assert all(hashes > 0 for _, hashes in pins.values())
    for line in requirements:
        requirement = Requirement(line)
        version, _ = pins[canonicalize_name(requirement.name)]
        assert requirement.specifier.contains(version, prereleases=True), line


def test_the_test_lock_has_the_runtime_pins() -> None:
    runtime, test = _pins("requirements.lock"), _pins("requirements-test.lock")
    assert {name: test.get(name) for name in runtime} == runtime


def test_the_image_installs_the_lock_in_a_builder_and_runs_slim() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    stages = re.findall(r"^FROM .*$", dockerfile, re.M)
    assert len(stages) == 2 and stages[0].endswith(" AS builder")
    assert "pip install --require-hashes --only-binary :all: -r requirements.lock" in dockerfile
    assert "pip install --no-deps ." in dockerfile
    assert "COPY --from=builder /opt/venv /opt/venv" in dockerfile
    runtime = dockerfile[dockerfile.rindex("FROM ") :]
    assert "pip install" not in runtime and "apt-get" not in runtime
    assert "USER dateline" in runtime


def test_the_licence_is_an_spdx_expression() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert pyproject["project"]["license"] == "Apache-2.0"
    # PEP 639 license expressions need setuptools 77 or later.
    assert "setuptools>=77" in pyproject["build-system"]["requires"]
