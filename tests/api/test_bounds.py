"""Reads that cannot take the API's memory or its database: item pages that stop at a byte
budget, paged versions and duplicates, streams capped per token and per process, and one change
poller however many streams are open."""

from __future__ import annotations

import asyncio
import json
import random
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Engine

from services.ingest import streams
from services.ingest.app import create_app
from services.ingest.state import state_of
from services.queue import make_celery
from services.worker.pipeline import process_submission
from shared.db import changes
from tests.api.served import serve
from tests.api.test_feeds import Events
from tests.support import PATIENCE, bearer, editor_token, partner_key, push

NINJS = "application/json"
BUDGET = 7000  # bytes of items' JSON per page: two of the listed stories below, not three
BOUNDS = {
    "max_page_bytes": BUDGET,
    "streams_per_token": 2,
    "max_streams": 3,
    "stream_poll_seconds": 0.1,
    "stream_heartbeat_seconds": 0.5,
    "stream_gap_seconds": 2.0,
    "stream_recheck_seconds": 1.0,
}
STORY = (
    "The national rail operator will add forty new regional trains to its timetable from June, "
    "the transport ministry said on Tuesday, and fares will not change this year. "
)
WORDS = [
    "harbour", "crane", "orchestra", "violin", "glacier", "meadow", "senate", "budget", "tariff",
    "vaccine", "comet", "satellite", "library", "archive", "festival", "mountain", "river",
    "bridge", "tunnel", "airport", "election", "mayor", "court", "verdict", "drought", "harvest",
    "wheat", "coffee", "copper", "mine", "strike", "union", "museum", "painting", "theatre",
    "premiere", "football", "stadium", "marathon", "record", "storm", "flood", "ferry", "island",
    "volcano", "quake", "reactor", "turbine",
]  # fmt: skip


def story(seed: int, words: int = 60) -> str:
    """A text of its own for each seed: different stories, not near duplicates of each other."""
    rng = random.Random(seed)
    return " ".join(rng.choice(WORDS) for _ in range(words)) + "."


@pytest.fixture(scope="module")
def bounded(settings, engine: Engine, servers) -> Iterator[tuple[FastAPI, str]]:  # type: ignore[no-untyped-def]
    tight = settings.model_copy(update=BOUNDS)
    app = create_app(tight, engine, make_celery(tight, servers.redis_url))
    with serve(app) as url:
        yield app, url


@pytest.fixture
def api(bounded: tuple[FastAPI, str], db: Engine, redis_flush: None) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=bounded[1], timeout=30) as c:
        yield c


@pytest.fixture
def wire(api: httpx.Client, db: Engine, settings) -> Callable[..., str]:  # type: ignore[no-untyped-def]
    """wire(partner, uri, ...) pushes a story, processes it with the worker's own pipeline and
    returns the item id."""
    keys: dict[str, str] = {}
    token = editor_token(db)

    def add(partner: str, uri: str, *, minute: int = 0, body: str = "", **fields: Any) -> str:
        if partner not in keys:
            keys[partner] = partner_key(db, partner)
        when = datetime(2023, 5, 2, 9, 0, tzinfo=UTC) + timedelta(minutes=minute)
        doc = {
            "uri": uri,
            "headline": f"Regional trains ({uri})",
            "body_text": body or story(zlib.crc32(uri.encode())),
            "language": "en",
            "versioncreated": when.isoformat(),
            **fields,
        }
        answer = push(api, keys[partner], json.dumps(doc).encode(), NINJS)
        assert answer.status_code == 202, answer.text
        submission_id = answer.json()["submission_id"]
        assert process_submission(db, settings, submission_id) == "done"
        done = api.get(f"/v1/submissions/{submission_id}", headers=bearer(token)).json()
        return str(done["items"][0]["item_id"])

    return add


def _pages(api: httpx.Client, token: str, url: str, key: str) -> list[list[dict[str, Any]]]:
    """Every page from ``url`` on, following ``next``."""
    pages: list[list[dict[str, Any]]] = []
    next_url: str | None = url
    while next_url:
        answer = api.get(next_url, headers=bearer(token))
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert set(body) == {key, "next"}
        pages.append(body[key])
        next_url = body["next"]
        assert len(pages) < 100, "next never ends"
    return pages


def json_size(value: Any) -> int:
    """The bytes ``value`` takes in a JSON response (compact, UTF-8, as the API writes it)."""
    written = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return len(written.encode())


def _within_budget(page: list[dict[str, Any]]) -> bool:
    return len(page) == 1 or sum(json_size(i) for i in page) <= BUDGET


# --- Item pages ---------------------------------------------------------------------------------


def test_a_list_page_stops_at_the_byte_budget_and_next_goes_on_from_there(
    api: httpx.Client, db: Engine, wire
) -> None:  # type: ignore[no-untyped-def]
    ids = [wire("alpha", f"u:{n}", minute=n, body=story(n, 120)) for n in range(5)]
    token = editor_token(db)
    pages = _pages(api, token, "/v1/items?limit=200", "items")
    assert len(pages) > 1
    assert all(_within_budget(page) for page in pages)
    assert max(len(page) for page in pages) > 1
    assert [i["id"] for page in pages for i in page] == ids[::-1]  # newest first, each once
    # The item limit still applies under the budget.
    assert [len(p) for p in _pages(api, token, "/v1/items?limit=1", "items")] == [1] * 5


def test_an_item_bigger_than_the_budget_is_a_page_of_its_own(
    api: httpx.Client, db: Engine, wire
) -> None:  # type: ignore[no-untyped-def]
    small = wire("alpha", "u:small", minute=0)
    big = wire("alpha", "u:big", minute=1, body=story(1, 3000))
    pages = _pages(api, editor_token(db), "/v1/items", "items")
    assert [[i["id"] for i in page] for page in pages] == [[big], [small]]
    assert json_size(pages[0][0]) > BUDGET


def test_the_atom_feed_pages_within_the_budget_too(api: httpx.Client, db: Engine, wire) -> None:  # type: ignore[no-untyped-def]
    for n in range(4):
        wire("alpha", f"u:{n}", minute=n, body=story(n, 300))
    answer = api.get("/v1/feed.atom?limit=200", headers=bearer(editor_token(db)))
    assert answer.status_code == 200
    assert b'rel="next"' in answer.content


# --- Versions and duplicates --------------------------------------------------------------------


def test_versions_come_a_page_at_a_time_in_version_order(
    api: httpx.Client, db: Engine, wire
) -> None:  # type: ignore[no-untyped-def]
    for minute, version in enumerate([None, "1", "10", "2", "3"]):
        extra = {} if version is None else {"version": version}
        item_id = wire("alpha", "u:versions", minute=minute, body=story(minute, 12), **extra)
    token = editor_token(db)
    whole = _pages(api, token, f"/v1/items/{item_id}/versions?limit=200", "versions")
    assert len(whole) == 1
    [everything] = whole
    assert [v["version"] for v in everything] == ["10", "3", "2", "1", None]
    assert [v["current"] for v in everything] == [True, False, False, False, False]
    for limit in (1, 2, 3):
        paged = _pages(api, token, f"/v1/items/{item_id}/versions?limit={limit}", "versions")
        assert [len(p) for p in paged[:-1]] == [limit] * (len(paged) - 1)
        assert [v for page in paged for v in page] == everything


def test_a_versions_page_stops_at_the_byte_budget(api: httpx.Client, db: Engine, wire) -> None:  # type: ignore[no-untyped-def]
    for version in range(1, 6):
        item_id = wire("alpha", "u:big", body=story(version, 300), version=str(version))
    pages = _pages(api, editor_token(db), f"/v1/items/{item_id}/versions", "versions")
    assert len(pages) > 1
    assert all(_within_budget(page) for page in pages)
    assert [v["version"] for page in pages for v in page] == ["5", "4", "3", "2", "1"]


def test_duplicates_come_a_page_at_a_time_oldest_first(api: httpx.Client, db: Engine, wire) -> None:  # type: ignore[no-untyped-def]
    first = wire("alpha", "a:1", body=STORY)
    copies = [wire(p, f"{p}:1", body=STORY) for p in ("beta", "gamma", "delta", "epsilon")]
    token = editor_token(db)
    [whole] = _pages(api, token, f"/v1/items/{first}/duplicates", "items")
    assert [i["id"] for i in whole] == copies
    assert all(i["duplicate_of"] == first for i in whole)
    paged = _pages(api, token, f"/v1/items/{first}/duplicates?limit=3", "items")
    assert [[i["id"] for i in page] for page in paged] == [copies[:3], copies[3:]]
    from_a_copy = _pages(api, token, f"/v1/items/{copies[0]}/duplicates?limit=1", "items")
    assert [i["id"] for page in from_a_copy for i in page] == [first, *copies[1:]]


@pytest.mark.parametrize("what", ["versions", "duplicates"])
@pytest.mark.parametrize(
    ("query", "field"),
    [("limit=0", "limit"), ("limit=201", "limit"), ("cursor=%%%", "cursor"),
     ("cursor=eHw0Mg", "cursor"), ("cursor=dnw5OTk5OTk5OQ", "cursor")],
)  # fmt: skip
def test_bad_paging_of_versions_and_duplicates_is_a_422_naming_it(
    api: httpx.Client, db: Engine, wire, what: str, query: str, field: str
) -> None:  # type: ignore[no-untyped-def]
    item_id = wire("alpha", "u:1")
    answer = api.get(f"/v1/items/{item_id}/{what}?{query}", headers=bearer(editor_token(db)))
    assert answer.status_code == 422, answer.text
    assert (answer.json()["code"], answer.json()["errors"][0]["field"]) == ("invalid", field)


@pytest.mark.parametrize("what", ["versions", "duplicates"])
def test_versions_and_duplicates_of_an_unknown_item_are_a_404(
    api: httpx.Client, db: Engine, what: str
) -> None:
    answer = api.get(f"/v1/items/nope/{what}", headers=bearer(editor_token(db)))
    assert (answer.status_code, answer.json()["code"]) == (404, "not_found")


# --- Stream caps --------------------------------------------------------------------------------


def _hub(app: FastAPI) -> streams.StreamHub:
    hub = state_of(app).made(streams.StreamHub)  # made by the first stream
    assert hub is not None
    return hub


def _wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + PATIENCE
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def _open(stack: ExitStack, api: httpx.Client, token: str, **headers: str) -> httpx.Response:
    return stack.enter_context(
        api.stream("GET", "/v1/stream", headers={**bearer(token), **headers})
    )


@pytest.fixture
def no_streams(bounded: tuple[FastAPI, str]) -> FastAPI:
    """The bounded app, once earlier tests' streams are gone."""
    app = bounded[0]
    hub = state_of(app).made(streams.StreamHub)
    if hub is not None:
        _wait_for(lambda: not hub.streams and not hub.polling, "earlier streams still open")
    return app


def test_streams_over_the_cap_of_a_token_or_of_the_process_are_a_429(
    api: httpx.Client, db: Engine, no_streams: FastAPI
) -> None:
    first, second, third = (editor_token(db) for _ in range(3))
    with ExitStack() as stack:
        mine = [_open(stack, api, first) for _ in range(2)]
        assert [r.status_code for r in mine] == [200, 200]
        over = api.get("/v1/stream", headers=bearer(first))
        assert over.status_code == 429
        assert over.headers["content-type"] == "application/problem+json"
        assert over.headers["retry-after"] == str(streams.RETRY_AFTER)
        assert over.json()["code"] == "rate_limited"
        assert _open(stack, api, second).status_code == 200  # another token: three in all
        full = api.get("/v1/stream", headers=bearer(third))
        assert (full.status_code, full.json()["code"]) == (429, "rate_limited")
        assert "serves 3 streams" in full.json()["detail"]
        mine[0].close()  # a slot frees once the server notices the client went
        _wait_for(lambda: len(_hub(no_streams).streams) == 2, "the closed stream kept its slot")
        again = _open(stack, api, first)
        assert again.status_code == 200
        events = Events(again)
        assert events.next() == {"retry": "1100"}
    _wait_for(lambda: not _hub(no_streams).streams, "streams kept their slots")
    assert streams.open_streams() == 0


def test_every_stream_is_fed_by_one_poller(
    api: httpx.Client, db: Engine, wire, no_streams: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    polled: list[int] = []
    real_poll = changes.ChangeFeed.poll

    def counted(feed: changes.ChangeFeed) -> list[changes.Change]:
        polled.append(id(feed))
        return real_poll(feed)

    monkeypatch.setattr(changes.ChangeFeed, "poll", counted)
    wire("alpha", "u:before")  # so the streams start above an existing version
    with ExitStack() as stack:
        readers = [Events(_open(stack, api, editor_token(db))) for _ in range(3)]
        for reader in readers:
            assert reader.next() == {"retry": "1100"}
        hub = _hub(no_streams)
        _wait_for(lambda: all(s.mark is not None for s in hub.streams), "streams not started")
        polled.clear()
        item_id = wire("alpha", "u:1")
        got = [reader.items(1) for reader in readers]
        polls_before = len(polled)
        _wait_for(lambda: len(polled) >= polls_before + 5, "the poller stopped")
    assert [[i["id"] for i in g] for g in got] == [[item_id]] * 3
    assert len(set(polled)) == 1  # one feed read for all three streams
    assert hub.polls >= len(polled)


def test_a_stream_resuming_from_far_back_catches_up_beside_a_live_one(
    api: httpx.Client, db: Engine, wire, no_streams: FastAPI
) -> None:  # type: ignore[no-untyped-def]
    token = editor_token(db)
    with ExitStack() as stack:
        live = Events(_open(stack, api, token))
        assert live.next() == {"retry": "1100"}
        hub = _hub(no_streams)
        _wait_for(lambda: all(s.mark is not None for s in hub.streams), "stream not started")
        first = [wire("alpha", f"u:{n}", minute=n) for n in range(3)]
        seen = live.items(3)
        assert [i["id"] for i in seen] == first
        # From before the first of them: the three are sent again, in order, to this stream only.
        back = Events(_open(stack, api, token, **{"Last-Event-ID": "0"}))
        assert [i["id"] for i in back.items(3)] == first
        later = wire("alpha", "u:later", minute=9)
        assert [i["id"] for i in back.items(1)] == [later]
        assert [i["id"] for i in live.items(1)] == [later]  # once, not again from the catch-up


def test_a_stream_filters_in_python_as_the_query_would() -> None:
    def change(partner: str, language: str | None, duplicate_of: str | None) -> changes.Change:
        return changes.Change(1, {}, partner, language, duplicate_of)

    en = changes.Filters(partner="alpha", language="EN")
    assert en.matches(change("alpha", "en-GB", None))
    assert en.matches(change("alpha", "en", None))
    assert not en.matches(change("alpha", "eng", None))
    assert not en.matches(change("alpha", None, None))
    assert not en.matches(change("beta", "en", None))
    assert not en.matches(change("alpha", "en", "x"))
    assert changes.Filters(include_duplicates=True).matches(change("beta", None, "x"))


def test_a_stream_too_slow_for_its_queue_is_given_nothing_more(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(streams, "QUEUE_LIMIT", 2)
    slow = streams.Stream("k", changes.Filters(), mark=0)
    fast = streams.Stream("k", changes.Filters(), mark=0)
    fast.queue = asyncio.Queue()
    found = [changes.Change(n, {"n": n}) for n in (1, 2, 3)]
    streams.StreamHub._hand_out(found, 0, 5, [slow, fast])
    assert (slow.overflowed, slow.mark, slow.queue.qsize()) == (True, 2, 2)
    assert (fast.overflowed, fast.mark, fast.queue.qsize()) == (False, 5, 3)
