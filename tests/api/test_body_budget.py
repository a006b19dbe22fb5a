"""Bodies are bounded. Still arriving (services/ingest/body.py): one sender's slow uploads cannot
hold more than its share of memory, nor all senders together more than the process budget; what
was held is given back when an upload ends, however it ends. Stored: an item's normalised body
over ``DATELINE_MAX_ITEM_BODY_BYTES`` is a 422 naming the field (and the index in a batch)."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, text

from services.ingest.app import create_app
from services.ingest.body import BodyBudget
from services.ingest.parsing import ParsePool
from services.ingest.state import state_of
from services.queue import make_celery
from tests.api.served import serve
from tests.support import PATIENCE, bearer, partner_key

BUDGET = {
    "max_buffered_bytes": 4000,
    "buffered_bytes_per_sender": 2500,
    "max_item_body_bytes": 1500,
}
STORY = (
    "Council approves budget\n\nLONDON, 3 Dec - "
    + "The council approved the new budget after a long debate. " * 20
)


@pytest.fixture(scope="module")
def served(settings, engine: Engine, servers) -> Iterator[tuple[FastAPI, str]]:  # type: ignore[no-untyped-def]
    tight = settings.model_copy(update=BUDGET)
    app = create_app(tight, engine, make_celery(tight, servers.redis_url, sender=True))
    with serve(app) as url:
        yield app, url


def _stalled(url: str, key: str, sent: int, declared: int = 3000) -> socket.socket:
    """An upload that sends ``sent`` bytes of a ``declared``-byte body, then waits."""
    parts = urlsplit(url)
    conn = socket.create_connection((parts.hostname, parts.port), timeout=PATIENCE)
    conn.sendall(
        b"POST /v1/items HTTP/1.1\r\nHost: t\r\nContent-Type: text/plain\r\n"
        b"Authorization: Bearer %s\r\nContent-Length: %d\r\n\r\n%s"
        % (key.encode(), declared, b"x" * sent)
    )
    return conn


def _until(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + PATIENCE
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.02)


def test_slow_uploads_are_held_to_a_share_per_sender_and_a_total(
    served: tuple[FastAPI, str], db: Engine, redis_flush: None
) -> None:
    app, url = served
    a, b = partner_key(db, "agency-a"), partner_key(db, "agency-b")
    held = lambda: (budget := state_of(app).made(BodyBudget)) and budget.held  # noqa: E731
    with _stalled(url, a, 2000):
        _until(lambda: held() == 2000, "the first 2000 bytes were not counted")
        # A second upload from A would take A over its share: 429, at once.
        refused = httpx.post(
            f"{url}/v1/items",
            content=b"y" * 1000,
            headers={**bearer(a), "Content-Type": "text/plain"},
        )
        assert refused.status_code == 429, refused.text
        assert refused.headers["retry-after"] == "1"
        # B has its own share: its story goes through while A's upload hangs.
        ok = httpx.post(
            f"{url}/v1/items",
            content=STORY.encode(),
            headers={**bearer(b), "Content-Type": "text/plain"},
        )
        assert ok.status_code == 202, ok.text
        assert held() == 2000  # B's body was given back once read
        with _stalled(url, b, 1500):
            _until(lambda: held() == 3500, "B's stalled bytes were not counted")
            # The total is 4000: another 1000 bytes from anyone must wait.
            busy = httpx.post(
                f"{url}/v1/items",
                content=b"z" * 1000,
                headers={**bearer(b), "Content-Type": "text/plain"},
            )
            assert busy.status_code == 503, busy.text
            assert busy.json()["code"] == "unavailable" and busy.headers["retry-after"] == "1"
    # Both stalled clients went away: everything they held is given back.
    _until(lambda: held() == 0, "the abandoned uploads' bytes were not given back")
    again = httpx.post(
        f"{url}/v1/items",
        content=STORY.encode(),
        headers={**bearer(a), "Content-Type": "text/plain"},
    )
    assert again.status_code == 202, again.text


def test_an_item_body_over_the_limit_is_a_422_naming_the_field_and_nothing_is_stored(
    served: tuple[FastAPI, str], db: Engine, redis_flush: None
) -> None:
    _, url = served
    key = partner_key(db, "agency-c")
    long = "Long story\n\nLONDON, 3 Dec - " + "Word after word after word. " * 60  # ~1.7 KB
    answer = httpx.post(
        f"{url}/v1/items",
        content=long.encode(),
        headers={**bearer(key), "Content-Type": "text/plain"},
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"] == [{"field": "/body_html", "message": "over 1500 bytes"}]
    batch = [
        {"uri": "urn:c:1", "headline": "Short", "body_text": "A short story."},
        {"uri": "urn:c:2", "headline": "Long", "body_text": "Word after word. " * 120},
    ]
    answer = httpx.post(f"{url}/v1/items", json=batch, headers=bearer(key))
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"] == [
        {"index": 1, "field": "/body_html", "message": "over 1500 bytes"}
    ]
    with db.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM submissions")).scalar() == 0


@pytest.fixture(scope="module")
def pooled(settings, engine: Engine, servers) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """Every body over 1000 bytes parsed in the pool; a tiny CPU budget at /budget."""
    tight = settings.model_copy(update={"inline_parse_bytes": 1000, "parse_processes": 1})
    app = create_app(tight, engine, make_celery(tight, servers.redis_url, sender=True))
    with serve(app) as url:
        yield url
    _close_pool(app)


def test_a_large_document_is_read_in_the_parser_pool_and_accepted(
    pooled: str, db: Engine, redis_flush: None
) -> None:
    key = partner_key(db, "agency-d")
    long = "Pooled story\n\nLONDON, 3 Dec - " + "Word after word after word. " * 60
    answer = httpx.post(
        f"{pooled}/v1/items",
        content=long.encode(),
        headers={**bearer(key), "Content-Type": "text/plain"},
        timeout=PATIENCE,
    )
    assert answer.status_code == 202, answer.text
    with db.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM submissions")).scalar() == 1


def test_a_document_over_its_cpu_budget_is_a_422_too_complex(
    settings, engine: Engine, servers, db: Engine, redis_flush: None
) -> None:  # type: ignore[no-untyped-def]
    tight = settings.model_copy(
        update={"inline_parse_bytes": 1000, "parse_processes": 1, "parse_cpu_seconds": 0.001}
    )
    app = create_app(tight, engine, make_celery(tight, servers.redis_url, sender=True))
    key = partner_key(db, "agency-e")
    long = "Complex story\n\nLONDON, 3 Dec - " + "Word after word after word.\n\n" * 4000
    with serve(app) as url:
        answer = httpx.post(
            f"{url}/v1/items",
            content=long.encode(),
            headers={**bearer(key), "Content-Type": "text/plain"},
            timeout=PATIENCE,
        )
    _close_pool(app)
    assert answer.status_code == 422, answer.text
    assert answer.json()["code"] == "too_complex"
    assert answer.json()["errors"] == [{"field": "", "message": "too complex to read in time"}]
    with db.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM submissions")).scalar() == 0


def _close_pool(app: FastAPI) -> None:
    pool = state_of(app).made(ParsePool)
    if pool is not None:
        pool.close()
