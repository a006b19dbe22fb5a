"""Feeds over real HTTP: the Atom feed (read back with our own Atom reader) and the SSE stream
(new and updated items, filters, heartbeats, resuming with Last-Event-ID, disconnects)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import lxml.etree as etree
import pytest
from sqlalchemy import Engine

from services.ingest import routes_feeds
from services.ingest.app import create_app
from services.queue import make_celery
from services.worker.pipeline import process_submission
from shared.core.model import ParseContext
from shared.db import credentials
from shared.reading.formats import parse_body
from tests.api.served import serve, with_routers
from tests.support import PATIENCE, bearer, editor_token, partner_key, push

NINJS = "application/json"
ATOM = "{http://www.w3.org/2005/Atom}"
FAST = {
    "stream_poll_seconds": 0.1,
    "stream_heartbeat_seconds": 0.5,
    "stream_gap_seconds": 2.0,
    "stream_recheck_seconds": 1.0,
}


@pytest.fixture(scope="module")
def feeds_url(settings, engine: Engine, servers) -> Iterator[str]:  # type: ignore[no-untyped-def]
    fast = settings.model_copy(update=FAST)
    app = create_app(fast, engine, make_celery(fast, servers.redis_url))
    with serve(with_routers(app, routes_feeds.router)) as url:
        yield url


@pytest.fixture
def api(feeds_url: str, db: Engine, redis_flush: None) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=feeds_url, timeout=10) as c:
        yield c


@pytest.fixture
def wire(api: httpx.Client, db: Engine, settings):  # type: ignore[no-untyped-def]
    """add(partner, n, ...) pushes a story and processes it with the worker's own pipeline."""
    keys: dict[str, str] = {}

    def add(partner: str, n: int, **fields: Any) -> None:
        if partner not in keys:
            keys[partner] = partner_key(db, partner)
        answer = push(api, keys[partner], _story(n, **fields), NINJS)
        assert answer.status_code == 202, answer.text
        assert process_submission(db, settings, answer.json()["submission_id"]) == "done"

    return add


def _story(n: int, *, language: str = "en", version: str = "1", **fields: Any) -> bytes:
    when = datetime(2022, 1, 7, 10, 0, tzinfo=UTC) + timedelta(minutes=n)
    return json.dumps(
        {
            "uri": f"urn:example:story:{n}",
            "version": version,
            "headline": f"Story number {n} & <friends>",
            "byline": f"Reporter {n}",
            "language": language,
            "firstcreated": when.isoformat(),
            "versioncreated": (when + timedelta(seconds=int(version))).isoformat(),
            "description_text": f"Abstract of story {n}.",
            "body_html": f"<p>Body of story {n} (version {version}), a &amp; b.</p>",
            "subject": [{"name": "Politics"}, {"code": "04000000", "name": "economy"}],
            **fields,
        }
    ).encode()


def _editor(db: Engine) -> dict[str, str]:
    return bearer(editor_token(db))


# --- Atom ---------------------------------------------------------------------------------------


def test_atom_feed_holds_the_listed_items_and_reads_back_with_our_atom_reader(
    api: httpx.Client, db: Engine, wire
) -> None:  # type: ignore[no-untyped-def]
    for n in range(3):
        wire("alpha", n)
    wire("beta", 9)
    headers = _editor(db)
    listed = api.get("/v1/items?partner=alpha", headers=headers).json()["items"]
    answer = api.get("/v1/feed.atom?partner=alpha", headers=headers)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/atom+xml"
    read = parse_body(answer.content, "application/atom+xml", ParseContext())
    assert [(i.uri, i.headline, i.body_html, i.abstract, i.byline) for i in read] == [
        (i["uri"], i["headline"], i["body_html"], i["abstract"], i["byline"]) for i in listed
    ]
    assert [i.subjects for i in read] == [read[0].subjects] * 3
    assert [(s.scheme, s.code, s.name) for s in read[0].subjects] == [
        ("category", None, "Politics"),
        ("iptc-subject", "04000000", "economy"),
    ]
    assert [(i.versioncreated, i.firstcreated) for i in read] == [
        (datetime.fromisoformat(i["versioncreated"]), datetime.fromisoformat(i["firstcreated"]))
        for i in listed
    ]


def test_atom_feed_has_the_rfc_4287_feed_elements_and_links_each_item(
    api: httpx.Client, db: Engine, wire
) -> None:  # type: ignore[no-untyped-def]
    wire("alpha", 1)
    wire("alpha", 2)
    headers = _editor(db)
    listed = api.get("/v1/items", headers=headers).json()["items"]
    root = etree.fromstring(api.get("/v1/feed.atom?language=en", headers=headers).content)
    assert root.tag == f"{ATOM}feed"
    assert root.findtext(f"{ATOM}id").endswith("/v1/feed.atom?language=en")
    assert root.findtext(f"{ATOM}title") == "Dateline items (language=en)"
    assert root.findtext(f"{ATOM}updated") == listed[0]["versioncreated"]
    links = [(link.get("rel"), link.get("href")) for link in root.findall(f"{ATOM}link")]
    assert links == [("self", "/v1/feed.atom?language=en")]
    entries = root.findall(f"{ATOM}entry")
    assert [
        (
            e.findtext(f"{ATOM}id"),
            e.get("{http://www.w3.org/XML/1998/namespace}lang"),
            e.findtext(f"{ATOM}author/{ATOM}name"),
            e.find(f"{ATOM}link").attrib,
            e.find(f"{ATOM}content").get("type"),
        )
        for e in entries
    ] == [
        (
            i["uri"],
            "en",
            i["byline"],
            {"rel": "alternate", "href": f"/v1/items/{i['id']}", "type": "application/json"},
            "html",
        )
        for i in listed
    ]


def test_atom_feed_pages_with_a_relative_next_link(api: httpx.Client, db: Engine, wire) -> None:  # type: ignore[no-untyped-def]
    for n in range(3):
        wire("alpha", n)
    headers = _editor(db)
    first = etree.fromstring(api.get("/v1/feed.atom?limit=2", headers=headers).content)
    [nxt] = [link.get("href") for link in first.findall(f"{ATOM}link[@rel='next']")]
    assert nxt.startswith("/v1/feed.atom?limit=2&cursor=")
    second = etree.fromstring(api.get(nxt, headers=headers).content)
    ids = [[e.findtext(f"{ATOM}id") for e in f.findall(f"{ATOM}entry")] for f in (first, second)]
    assert ids == [["urn:example:story:2", "urn:example:story:1"], ["urn:example:story:0"]]
    assert first.findtext(f"{ATOM}id") == second.findtext(f"{ATOM}id")
    assert second.find(f"{ATOM}link[@rel='next']") is None


def test_an_empty_atom_feed_is_still_a_valid_feed(api: httpx.Client, db: Engine) -> None:
    root = etree.fromstring(api.get("/v1/feed.atom", headers=_editor(db)).content)
    assert (root.tag, root.findall(f"{ATOM}entry")) == (f"{ATOM}feed", [])
    assert root.findtext(f"{ATOM}updated").endswith("Z")


@pytest.mark.parametrize(
    ("query", "field"),
    [("limit=201", "limit"), ("limit=0", "limit"), ("since=2022-01-07T10:00:00", "since")],
)
def test_atom_feed_refuses_bad_filters_as_the_list_does(
    api: httpx.Client, db: Engine, query: str, field: str
) -> None:
    answer = api.get(f"/v1/feed.atom?{query}", headers=_editor(db))
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    assert (answer.json()["code"], answer.json()["errors"][0]["field"]) == ("invalid", field)


def test_feeds_need_an_editor_token(api: httpx.Client, db: Engine) -> None:
    key = partner_key(db, "alpha")
    for path in ("/v1/feed.atom", "/v1/stream"):
        assert api.get(path).status_code == 401
        answer = api.get(path, headers=bearer(key))
        assert (answer.status_code, answer.json()["code"]) == (403, "forbidden")


# --- Server-Sent Events -------------------------------------------------------------------------


class Events:
    """Reads an open SSE response: events as dicts, comments as ``{"comment": text}``."""

    def __init__(self, response: httpx.Response) -> None:
        self.lines = response.iter_lines()

    def next(self) -> dict[str, str]:
        event: dict[str, str] = {}
        for line in self.lines:
            if line == "":
                if event:
                    return event
                continue
            if line.startswith(":"):
                return {"comment": line[1:].strip()}
            name, _, value = line.partition(":")
            event[name] = value.removeprefix(" ")
        raise AssertionError(f"the stream ended: {event}")

    def items(self, count: int, timeout: float = PATIENCE) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        found: list[dict[str, Any]] = []
        while len(found) < count:
            assert time.monotonic() < deadline, f"only {len(found)} of {count} items came"
            event = self.next()
            if event.get("event") == "item":
                found.append({"event_id": event["id"], **json.loads(event["data"])})
        return found


def test_stream_sends_new_and_updated_items_in_order_as_contract_json(
    api: httpx.Client, db: Engine, wire
) -> None:  # type: ignore[no-untyped-def]
    wire("alpha", 0)  # before connecting: not sent
    with api.stream("GET", "/v1/stream", headers=_editor(db)) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = Events(response)
        wire("alpha", 1)
        wire("alpha", 2)
        got = events.items(2)
        wire("alpha", 1, version="2")
        got += events.items(1)
    listed = {i["uri"]: i for i in api.get("/v1/items", headers=_editor(db)).json()["items"]}
    assert [(g["uri"], g["version"]) for g in got] == [
        ("urn:example:story:1", "1"),
        ("urn:example:story:2", "1"),
        ("urn:example:story:1", "2"),
    ]
    assert [int(g["event_id"]) for g in got] == sorted(int(g["event_id"]) for g in got)
    assert {k: v for k, v in got[2].items() if k != "event_id"} == listed["urn:example:story:1"]


def test_stream_resumes_after_last_event_id_with_what_was_missed(
    api: httpx.Client, db: Engine, wire
) -> None:  # type: ignore[no-untyped-def]
    headers = _editor(db)
    with api.stream("GET", "/v1/stream", headers=headers) as response:
        wire("alpha", 1)
        [seen] = Events(response).items(1)
    wire("alpha", 2)
    wire("alpha", 3)
    resumed = {**headers, "Last-Event-ID": seen["event_id"]}
    with api.stream("GET", "/v1/stream", headers=resumed) as response:
        missed = Events(response).items(2)
    assert [m["uri"] for m in missed] == ["urn:example:story:2", "urn:example:story:3"]
    assert int(missed[0]["event_id"]) > int(seen["event_id"])


def test_stream_filters_by_partner_and_language(api: httpx.Client, db: Engine, wire) -> None:  # type: ignore[no-untyped-def]
    with api.stream("GET", "/v1/stream?partner=alpha&language=en", headers=_editor(db)) as resp:
        wire("beta", 1)
        wire("alpha", 2, language="fr")
        wire("alpha", 3, language="en-GB")
        got = Events(resp).items(1)
    assert [(g["partner"], g["uri"], g["language"]) for g in got] == [
        ("alpha", "urn:example:story:3", "en-GB")
    ]


def test_an_idle_stream_sends_heartbeat_comments(api: httpx.Client, db: Engine) -> None:
    with api.stream("GET", "/v1/stream", headers=_editor(db)) as response:
        events = Events(response)
        first, second = events.next(), events.next()
    assert first == {"retry": "1100"}
    assert second == {"comment": "heartbeat"}


def _no_open_streams() -> None:
    """Wait until the server has noticed every earlier client go (at its next poll)."""
    deadline = time.monotonic() + PATIENCE
    while routes_feeds.open_streams() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert routes_feeds.open_streams() == 0


def test_the_stream_stops_when_the_client_goes_away(api: httpx.Client, db: Engine) -> None:
    _no_open_streams()  # earlier tests' streams
    with api.stream("GET", "/v1/stream", headers=_editor(db)) as response:
        events = Events(response)  # kept: a dropped line iterator closes the connection
        events.next()
        assert routes_feeds.open_streams() == 1
    _no_open_streams()


@pytest.mark.parametrize("value", ["abc", "-1", "1.5", "99999999999999999999"])
def test_a_last_event_id_the_stream_never_sent_is_a_422(
    api: httpx.Client, db: Engine, value: str
) -> None:
    answer = api.get("/v1/stream", headers={**_editor(db), "Last-Event-ID": value})
    assert answer.status_code == 422
    assert answer.json()["errors"] == [
        {"field": "last-event-id", "message": "not a non-negative integer"}
    ]


def test_a_revoked_token_stops_its_open_stream(api: httpx.Client, db: Engine) -> None:
    token = editor_token(db)
    with api.stream("GET", "/v1/stream", headers=bearer(token)) as response:
        events = Events(response)
        assert events.next() == {"retry": "1100"}
        with db.begin() as conn:
            credentials.revoke(conn, token.split("_")[1])
        seen = []
        while (event := events.next()) != {"comment": "credential revoked"}:
            seen.append(event)  # heartbeats until the next check
        assert all(e == {"comment": "heartbeat"} for e in seen)
        with pytest.raises(AssertionError, match="the stream ended"):
            events.next()
