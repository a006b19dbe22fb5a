"""Identity (partner, uri) and version order through a real worker."""

from __future__ import annotations

import json

import httpx
import pytest
from sqlalchemy import Engine

from tests.support import bearer, editor_token, partner_key, push, wait_done

pytestmark = pytest.mark.e2e
NINJS = "application/ninjs+json"


def ninjs(
    version: str | None,
    *,
    when: str,
    text: str = "First text of the story.",
    pubstatus: str = "usable",
    uri: str = "urn:newsml:example.com:20220107:quake",
) -> bytes:
    doc = {
        "uri": uri,
        "type": "text",
        "pubstatus": pubstatus,
        "language": "en",
        "headline": f"Earthquake shakes the coast ({version})",
        "versioncreated": when,
        "body_html": f"<p>{text}</p>",
    }
    if version is not None:
        doc["version"] = version
    return json.dumps(doc).encode()


@pytest.fixture
def wire(client: httpx.Client, db: Engine, start_worker):  # type: ignore[no-untyped-def]
    key = partner_key(db, "agency")
    token = editor_token(db)
    start_worker()

    def send(body: bytes) -> dict:  # type: ignore[type-arg]
        answer = push(client, key, body, NINJS)
        assert answer.status_code == 202, answer.text
        done = wait_done(client, token, answer.json()["submission_id"])
        assert done["status"] == "done", done
        return done["items"][0]  # type: ignore[no-any-return]

    def item(item_id: str) -> dict:  # type: ignore[type-arg]
        return client.get(f"/v1/items/{item_id}", headers=bearer(token)).json()  # type: ignore[no-any-return]

    return send, item


def test_newer_version_becomes_current(wire) -> None:  # type: ignore[no-untyped-def]
    send, item = wire
    first = send(ninjs("1", when="2022-01-07T10:00:00Z"))
    second = send(ninjs("2", when="2022-01-07T11:00:00Z", text="Updated text."))
    assert (first["verdict"], second["verdict"]) == ("new", "new_version")
    assert first["item_id"] == second["item_id"]
    current = item(first["item_id"])
    assert current["version"] == "2"
    assert current["body_text"] == "Updated text."
    assert current["versions"] == 2


def test_history_lists_every_version_newest_first(client: httpx.Client, db: Engine, wire) -> None:  # type: ignore[no-untyped-def]
    send, _ = wire
    send(ninjs("2", when="2022-01-07T11:00:00Z", text="Second."))
    send(ninjs("3", when="2022-01-07T12:00:00Z", text="Third."))
    late = send(ninjs("1", when="2022-01-07T10:00:00Z", text="First."))
    token = editor_token(db)
    history = client.get(f"/v1/items/{late['item_id']}/versions", headers=bearer(token)).json()
    assert [(v["version"], v["body_text"], v["current"]) for v in history["versions"]] == [
        ("3", "Third.", True),
        ("2", "Second.", False),
        ("1", "First.", False),
    ]
    assert {v["id"] for v in history["versions"]} == {late["item_id"]}


def test_older_version_arriving_late_does_not_replace_current(wire) -> None:  # type: ignore[no-untyped-def]
    send, item = wire
    send(ninjs("3", when="2022-01-07T12:00:00Z", text="Third text."))
    late = send(ninjs("2", when="2022-01-07T11:00:00Z", text="Second text."))
    assert late["verdict"] == "stale"
    current = item(late["item_id"])
    assert (current["version"], current["body_text"], current["versions"]) == (
        "3",
        "Third text.",
        2,
    )


def test_numeric_versions_compare_as_numbers(wire) -> None:  # type: ignore[no-untyped-def]
    send, item = wire
    send(ninjs("9", when="2022-01-07T12:00:00Z", text="Ninth."))
    tenth = send(ninjs("10", when="2022-01-07T11:00:00Z", text="Tenth."))
    assert tenth["verdict"] == "new_version"
    assert item(tenth["item_id"])["version"] == "10"


def test_same_version_and_text_again_is_a_duplicate(wire) -> None:  # type: ignore[no-untyped-def]
    send, item = wire
    first = send(ninjs("1", when="2022-01-07T10:00:00Z"))
    # Different bytes (key order), same item: a new submission but nothing new stored.
    body = json.loads(ninjs("1", when="2022-01-07T10:00:00Z"))
    again = send(json.dumps(dict(reversed(list(body.items())))).encode())
    assert again["verdict"] == "duplicate"
    assert item(first["item_id"])["versions"] == 1


def test_without_version_the_later_versioncreated_wins(wire) -> None:  # type: ignore[no-untyped-def]
    send, item = wire
    send(ninjs(None, when="2022-01-07T12:00:00Z", text="Later."))
    earlier = send(ninjs(None, when="2022-01-07T09:00:00Z", text="Earlier."))
    assert earlier["verdict"] == "stale"
    assert item(earlier["item_id"])["body_text"] == "Later."


def test_kill_cancels_the_item_whatever_its_version(wire) -> None:  # type: ignore[no-untyped-def]
    send, item = wire
    send(ninjs("3", when="2022-01-07T12:00:00Z"))
    kill = send(ninjs("1", when="2022-01-07T10:00:00Z", pubstatus="canceled"))
    assert kill["verdict"] == "killed"
    current = item(kill["item_id"])
    assert current["pubstatus"] == "canceled"
    assert current["version"] == "3"
    later = send(ninjs("4", when="2022-01-07T13:00:00Z", text="After the kill."))
    assert later["verdict"] == "new_version"
    assert item(kill["item_id"])["pubstatus"] == "canceled"
