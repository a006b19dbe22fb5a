"""The `dateline` command as a user runs it: a subprocess, exit codes, JSON output."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine

from tests.conftest import ROOT, SAMPLES, _free_port
from tests.support import PATIENCE

pytestmark = pytest.mark.e2e


def dateline(
    *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "services.cli", *args],
        cwd=ROOT,
        env=env if env is not None else dict(os.environ),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture
def external_env(servers, db: Engine) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {
        **os.environ,
        "DATELINE_DATABASE_URL": servers.database_url,
        "DATELINE_REDIS_URL": servers.redis_url,
    }


def test_partners_add_prints_the_key_once_as_json(external_env: dict[str, str], client) -> None:  # type: ignore[no-untyped-def]
    done = dateline(
        "partners",
        "add",
        "belta",
        "--timezone",
        "Europe/Minsk",
        "--language",
        "en",
        "--json",
        env=external_env,
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert set(out) == {"slug", "key"} and out["slug"] == "belta"
    assert out["key"].startswith("dlk_")
    listed = dateline("partners", "list", "--json", env=external_env)
    [row] = json.loads(listed.stdout)
    assert (row["slug"], row["timezone"], row["languages"], row["active_keys"]) == (
        "belta",
        "Europe/Minsk",
        ["en"],
        1,
    )
    assert out["key"] not in listed.stdout
    pushed = client.post(
        "/v1/items",
        content=b"Headline of it\n\nBody text here.",
        headers={"Authorization": f"Bearer {out['key']}", "Content-Type": "text/plain"},
    )
    assert pushed.status_code == 202


def test_tokens_add_prints_name_and_token(external_env: dict[str, str], client) -> None:  # type: ignore[no-untyped-def]
    done = dateline("tokens", "add", "desk", "--role", "editor", "--json", env=external_env)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert set(out) == {"name", "token"} and out["name"] == "desk"
    assert (
        client.get("/v1/items", headers={"Authorization": f"Bearer {out['token']}"}).status_code
        == 200
    )


def test_a_leaked_key_or_token_is_revoked_by_its_id(external_env: dict[str, str], client) -> None:  # type: ignore[no-untyped-def]
    key = json.loads(dateline("partners", "add", "belta", "--json", env=external_env).stdout)["key"]
    token = json.loads(
        dateline("tokens", "add", "desk", "--role", "editor", "--json", env=external_env).stdout
    )["token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/v1/items", headers=headers).status_code == 200
    [listed] = json.loads(dateline("partners", "keys", "belta", env=external_env).stdout)
    assert key.split("_")[1] == listed["key_id"] and key not in json.dumps(listed)
    assert (
        dateline("partners", "revoke-key", "belta", listed["key_id"], env=external_env).returncode
        == 0
    )
    pushed = client.post(
        "/v1/items",
        content=b"Headline\n\nBody.",
        headers={"Authorization": f"Bearer {key}", "Content-Type": "text/plain"},
    )
    assert pushed.status_code == 401
    [token_row] = json.loads(dateline("tokens", "list", env=external_env).stdout)
    assert token_row["last_used_at"] is not None
    assert dateline("tokens", "revoke", token_row["key_id"], env=external_env).returncode == 0
    assert client.get("/v1/items", headers=headers).status_code == 401
    again = dateline("tokens", "revoke", token_row["key_id"], env=external_env)
    assert again.returncode == 2


def test_bad_input_and_usage_exit_2(external_env: dict[str, str]) -> None:
    assert dateline("partners", "add", "Bad Slug!", env=external_env).returncode == 2
    tz = dateline("partners", "add", "x", "--timezone", "Mars/Olympus", env=external_env)
    assert tz.returncode == 2
    assert "unknown time zone" in tz.stderr
    assert dateline("tokens", "add", "x", "--role", "king", env=external_env).returncode == 2
    assert dateline("no-such-command", env=external_env).returncode == 2


def test_parse_prints_normalised_items_offline(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATELINE_")}
    env["DATELINE_DATA_DIR"] = str(tmp_path / "never-created")
    done = dateline(
        "parse",
        str(SAMPLES / "e2e" / "potash-2022-03-14.txt"),
        "--timezone",
        "Europe/Minsk",
        env=env,
    )
    assert done.returncode == 0, done.stderr
    [item] = json.loads(done.stdout)
    assert item["headline"] == "Belarusian potash producer opens new rail route to Asian ports"
    assert item["firstcreated"] == item["versioncreated"] == "2022-03-14T06:05:00Z"
    assert item["dateline"] == {
        "located": "Minsk",
        "date": "2022-03-14",
        "source": "BelTA",
        "text": "MINSK, 14 March (BelTA)",
    }
    for server_only in (
        "id",
        "partner",
        "received_at",
        "processed_at",
        "duplicate_of",
        "cluster",
        "versions",
        "submission_id",
    ):
        assert item[server_only] is None
    assert not (tmp_path / "never-created").exists()  # offline: no servers started


def test_parse_reports_bad_input_like_the_api_with_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"headline": "no id"}')
    done = dateline("parse", str(bad))
    assert done.returncode == 2
    error = json.loads(done.stderr)["error"]
    assert error["code"] == "invalid"
    assert {"field": "/uri", "message": "a ninjs item needs a uri or guid"} in error["errors"]


def _children(parent: int, marker: str) -> list[int]:
    listed = subprocess.run(["pgrep", "-a", "-P", str(parent)], capture_output=True, text=True)
    found = []
    for line in listed.stdout.splitlines():
        pid, _, command = line.partition(" ")
        if marker in f" {command} ":
            found.append(int(pid))
    return found


def _child(parent: int, marker: str) -> int | None:
    found = _children(parent, marker)
    return found[0] if found else None


def _eventually(check: Callable[[], bool], what: str, logs: tuple[Path, ...] = ()) -> None:
    deadline = time.monotonic() + PATIENCE
    while not check():
        if time.monotonic() >= deadline:
            tails = [f"--- {log}:\n" + _tail(log) for log in logs]
            raise AssertionError("\n".join([what, *tails]))
        time.sleep(0.2)


def _tail(log: Path, lines: int = 40) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError as exc:
        return f"({exc})"


def _ready(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


def test_up_runs_everything_and_demo_shows_the_samples(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATELINE_")}
    env["DATELINE_LOG_LEVEL"] = "WARNING"
    env["DATELINE_WORKER_PING_SECONDS"] = "1"
    data_dir = tmp_path / "data"
    port = _free_port()
    up_log = tmp_path / "up.log"  # shown, with PostgreSQL's and Redis's logs, when a wait fails
    logs = (up_log, data_dir / "postgres" / "log", data_dir / "redis" / "redis.log")
    with up_log.open("w") as up_stderr:  # the child keeps its own descriptor
        up = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "services.cli",
                "up",
                "--data-dir",
                str(data_dir),
                "--port",
                str(port),
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=up_stderr,
            text=True,
        )
    try:
        assert up.stdout is not None
        line = up.stdout.readline()
        assert f"Dateline is up at http://127.0.0.1:{port}" in line, line
        steps = "".join(up.stdout.readline() for _ in range(10))
        assert f"http://127.0.0.1:{port}/desk" in steps, steps
        assert f"dateline --data-dir {data_dir.resolve()} partners add SLUG --timezone TZ" in steps
        assert "tokens add NAME --role editor" in steps and "README.md" in steps, steps
        # "up" is said once beat schedules (its pidfile holds its pid) and, checked by
        # Supervisor.not_ready, every worker answers a ping.
        [beat] = _children(up.pid, " beat ")
        assert (data_dir / "beat" / "beat.pid").read_text().strip() == str(beat)
        assert httpx.get(f"http://127.0.0.1:{port}/readyz").status_code == 200
        root = httpx.get(f"http://127.0.0.1:{port}/")
        assert (root.status_code, root.headers["location"]) == (307, "/desk")
        # `up` heals like compose would: a dead worker, a hung worker, a dead Redis or
        # PostgreSQL are each started again.
        first, second = _children(up.pid, " worker ")
        os.kill(first, signal.SIGKILL)
        os.kill(second, signal.SIGSTOP)  # hung: alive, but it answers no ping
        _eventually(
            lambda: len(set(_children(up.pid, " worker ")) - {first, second}) == 2,
            "the dead and the hung worker were not both restarted",
            logs,
        )
        redis = _child(up.pid, "redis-server")
        assert redis is not None
        postmaster = data_dir / "postgres" / "postmaster.pid"
        postgres = int(postmaster.read_text().split()[0])
        os.kill(redis, signal.SIGKILL)
        os.kill(postgres, signal.SIGKILL)
        _eventually(
            lambda: _child(up.pid, "redis-server") not in (None, redis),
            "Redis not restarted",
            logs,
        )
        _eventually(
            lambda: postmaster.exists() and int(postmaster.read_text().split()[0]) != postgres,
            "PostgreSQL not restarted",
            logs,
        )
        _eventually(lambda: _ready(port), "the stack did not become ready again", logs)
        url = f"http://127.0.0.1:{port}"
        demo = dateline("--data-dir", str(data_dir), "demo", "--url", url, "--json", env=env)
        assert demo.returncode == 0, demo.stderr
        items = json.loads(demo.stdout)
        by_language = {i["language"]: i for i in items}
        assert set(by_language) == {"en", "ru"}
        en, ru = by_language["en"], by_language["ru"]
        assert en["headline"] == "Grodno Oblast to build 14 new rural health centres this year"
        assert en["versioncreated"] == ru["versioncreated"] == "2022-02-09T08:40:00Z"
        assert en["dateline"]["located"] == "Grodno"
        assert ru["dateline"] == {
            "located": "Гродно",
            "date": "2022-02-09",
            "source": "БЕЛТА",
            "text": "ГРОДНО, 9 февраля (БЕЛТА)",
        }
        assert en["subjects"] == [{"scheme": "category", "code": None, "name": "Regions"}]
        # Again, as a table: the same partner, key and token, the same submissions.
        again = dateline("--data-dir", str(data_dir), "demo", "--url", url, env=env)
        assert again.returncode == 0, again.stderr
        header, first, second, *rest = again.stdout.splitlines()
        assert header.split() == ["headline", "dateline", "UTC", "time", "verdict"]
        assert first.split("  ")[0] == en["headline"] and "GRODNO, 9 February (BelTA)" in first
        assert "ГРОДНО, 9 февраля (БЕЛТА)" in second
        assert all(row.endswith("2022-02-09T08:40:00Z  new") for row in (first, second))
        assert f"{url}/desk" in "\n".join(rest)
        keys = dateline("--data-dir", str(data_dir), "partners", "keys", "demo-belta", env=env)
        assert len(json.loads(keys.stdout)) == 1, keys.stdout
        tokens = dateline("--data-dir", str(data_dir), "tokens", "list", env=env)
        assert [t["name"] for t in json.loads(tokens.stdout)] == ["demo"]
        stored = json.loads((data_dir / "demo-credentials.json").read_text())
        assert stored["key"].startswith("dlk_") and stored["token"].startswith("dlt_")
    finally:
        up.send_signal(signal.SIGTERM)
        code = up.wait(60)
        if up.stdout is not None:
            up.stdout.close()
    assert code == 0
    time.sleep(0.5)
    leftovers = subprocess.run(["pgrep", "-f", str(data_dir)], capture_output=True, text=True)
    assert leftovers.stdout.strip() == ""


def test_up_on_a_busy_port_says_so_plainly_and_exits_1(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATELINE_")}
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = dateline("up", "--port", str(port), "--data-dir", str(tmp_path / "data"), env=env)
    assert done.returncode == 1, done.stderr
    assert done.stdout == ""
    assert (
        f"dateline: port {port} is already in use on 127.0.0.1: stop the other server or "
        "choose another with --port "
    ) in done.stderr
    assert "{" not in done.stderr  # said plainly, not as a log line
    assert not (tmp_path / "data" / "postgres").exists()  # nothing was started


def test_the_root_redirects_to_the_desk(client) -> None:  # type: ignore[no-untyped-def]
    answer = client.get("/", follow_redirects=False)
    assert (answer.status_code, answer.headers["location"]) == (307, "/desk")
    assert "/" not in client.get("/openapi.json").json()["paths"]


def test_parse_with_a_stored_partner_profile(external_env: dict[str, str], tmp_path: Path) -> None:
    assert (
        dateline(
            "partners", "add", "interfax", "--timezone", "Europe/Minsk", env=external_env
        ).returncode
        == 0
    )
    profile = tmp_path / "profile.json"
    profile.write_text(
        json.dumps(
            {
                "strip_lines": ["Read us on Telegram"],
                "category_subjects": {"Sport": {"scheme": "iptc-mediatopic", "code": "15000000"}},
            }
        )
    )
    assert (
        dateline("partners", "set-profile", "interfax", str(profile), env=external_env).returncode
        == 0
    )
    page = tmp_path / "page.txt"
    page.write_text(
        "Sport\n03 June 2023, 18:05\n\nHockey club wins the cup\n\n"
        "MINSK, 3 June (Interfax) - The home club won the cup final on Saturday.\n"
        "Read us on Telegram\n"
    )
    done = dateline("parse", str(page), "--partner", "interfax", env=external_env)
    assert done.returncode == 0, done.stderr
    [item] = json.loads(done.stdout)
    assert item["partner"] == "interfax"
    assert item["versioncreated"] == "2023-06-03T15:05:00Z"
    assert "Telegram" not in item["body_text"]
    assert {"scheme": "iptc-mediatopic", "code": "15000000", "name": "sport"} in item["subjects"]
