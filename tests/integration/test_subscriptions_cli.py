"""`dateline subscriptions add|list|remove` against the test database (in process)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from services.cli import subscriptions as cli
from shared.output.webhooks import UnsafeTarget
from tests.receiver import clean_subscriptions
from tests.support import partner_key


def _run(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="dateline")
    cli.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.handler(args))


@pytest.fixture
def database(db: Engine, servers, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:  # type: ignore[no-untyped-def]
    clean_subscriptions(db)
    monkeypatch.setenv("DATELINE_DATABASE_URL", servers.database_url)
    monkeypatch.setenv("DATELINE_REDIS_URL", servers.redis_url)
    yield db
    clean_subscriptions(db)


def test_add_prints_the_secret_once_then_list_and_remove(
    database: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    partner_key(database, "belta")
    url = "https://93.184.215.14/hooks"
    assert (
        _run("subscriptions", "add", url, "--partner", "belta", "--language", "en", "--json") == 0
    )
    created = json.loads(capsys.readouterr().out)
    assert set(created) == {"id", "url", "secret"}
    assert (created["url"], created["secret"][:6]) == (url, "whsec_")

    assert _run("subscriptions", "list", "--json") == 0
    [listed] = json.loads(capsys.readouterr().out)
    assert "secret" not in listed
    assert (listed["id"], listed["filters"], listed["disabled_at"]) == (
        created["id"], {"partner": "belta", "language": "en"}, None,
    )  # fmt: skip
    assert _run("subscriptions", "list") == 0
    assert (
        capsys.readouterr().out == f"{created['id']}  active   {url}  language=en partner=belta\n"
    )

    assert _run("subscriptions", "remove", created["id"]) == 0
    assert capsys.readouterr().out == f"subscription {created['id']} removed\n"
    assert _run("subscriptions", "list", "--json") == 0
    assert json.loads(capsys.readouterr().out) == []


def test_add_refuses_a_private_url(database: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATELINE_WEBHOOK_ALLOW_PRIVATE", raising=False)
    with pytest.raises(UnsafeTarget) as caught:
        _run("subscriptions", "add", "http://127.0.0.1:8080/in")
    assert caught.value.errors == [
        {
            "field": "/url",
            "message": "127.0.0.1 resolves to a private or reserved address (127.0.0.1)",
        }
    ]
