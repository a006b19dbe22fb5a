"""Bodies are bounded. Still arriving (services/ingest/body.py): one sender's slow uploads cannot
hold more than its share of memory, nor all senders together more than the process budget; what
was held is given back when an upload ends, however it ends. Stored: an item's normalised body
over ``DATELINE_MAX_ITEM_BODY_BYTES`` is a 422 naming the field (and the index in a batch)."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from functools import partial
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


def _stalled(
    url: str, key: str, sent: int, declared: int = 3000, body: bytes | None = None
) -> socket.socket:
    """An upload that sends ``sent`` bytes of a ``declared``-byte body (``body``, else x's),
    then waits."""
    parts = urlsplit(url)
    conn = socket.create_connection((parts.hostname, parts.port), timeout=PATIENCE)
    conn.sendall(
        b"POST /v1/items HTTP/1.1\r\nHost: t\r\nContent-Type: text/plain\r\n"
        b"Authorization: Bearer %s\r\nContent-Length: %d\r\n\r\n%s"
        % (key.encode(), declared, (b"x" * sent if body is None else body[:sent]))
    )
    return conn


def _held(app: FastAPI) -> int:
    """The bytes of bodies the app holds while they arrive."""
    budget = state_of(app).made(BodyBudget)
    return 0 if budget is None else budget.held


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
    held = partial(_held, app)
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


@pytest.fixture
def turns(settings, engine: Engine, servers) -> Iterator[tuple[FastAPI, str]]:  # type: ignore[no-untyped-def]
    """Bodies over 1000 bytes read in the pool, one at a time per partner; a 10 s read
    deadline, so a push waits at most 5 s for its partner's turn."""
    tight = settings.model_copy(
        update={"inline_parse_bytes": 1000, "parse_processes": 1, "read_timeout_seconds": 10.0}
    )
    app = create_app(tight, engine, make_celery(tight, servers.redis_url, sender=True))
    with serve(app) as url:
        yield app, url
    _close_pool(app)


def _partner_id(db: Engine, slug: str) -> int:
    with db.connect() as conn:
        return int(
            conn.execute(text("SELECT id FROM partners WHERE slug = :s"), {"s": slug}).one()[0]
        )


def _post(url: str, key: str, body: bytes) -> httpx.Response:
    return httpx.post(
        f"{url}/v1/items",
        content=body,
        headers={**bearer(key), "Content-Type": "text/plain"},
        timeout=PATIENCE,
    )


LARGE = ("Pooled story\n\nLONDON, 3 Dec - " + "Word after word after word. " * 100).encode()


def test_a_large_push_waits_for_its_partner_s_turn_before_its_body_is_read(
    turns: tuple[FastAPI, str], db: Engine, redis_flush: None
) -> None:
    app, url = turns
    a, b = partner_key(db, "agency-f"), partner_key(db, "agency-g")
    a_id = _partner_id(db, "agency-f")
    pool = lambda: state_of(app).made(ParsePool)  # noqa: E731
    waiting = lambda: (made := pool()) is not None and made.waiting[a_id]  # noqa: E731
    later = LARGE.replace(b"Pooled", b"Second")
    held = partial(_held, app)
    with _stalled(url, a, 500, len(LARGE), LARGE) as first:  # takes A's turn, then stalls
        _until(lambda: held() == 500, "the first push's body was not being read")
        # A's second large push sends its head only: it is waiting for the turn, not for its
        # body (a push that read its body first would be waiting for the bytes instead).
        with _stalled(url, a, 0, len(later), later) as second:
            _until(lambda: waiting() == 1, "the second push did not wait for A's turn")
            # Another partner's large push is not in A's queue.
            other = _post(url, b, LARGE)
            assert other.status_code == 202, other.text
            first.sendall(LARGE[500:])  # the first body completes; the turn passes on
            assert first.recv(4096).startswith(b"HTTP/1.1 202")
            _until(lambda: waiting() == 0, "the second push did not get the turn")
            second.sendall(later)
            assert second.recv(4096).startswith(b"HTTP/1.1 202")
    with db.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM submissions")).scalar() == 3


def test_a_large_push_that_waits_too_long_for_its_turn_is_a_429(
    turns: tuple[FastAPI, str], db: Engine, redis_flush: None
) -> None:
    app, url = turns
    a = partner_key(db, "agency-h")
    held = partial(_held, app)
    with _stalled(url, a, 500, declared=len(LARGE)):  # holds the turn, past the 5 s patience
        _until(lambda: held() == 500, "the first push did not take the turn")
        refused = _post(url, a, LARGE)
    assert refused.status_code == 429, refused.text
    assert refused.json()["code"] == "rate_limited" and refused.headers["retry-after"] == "5"


def _close_pool(app: FastAPI) -> None:
    pool = state_of(app).made(ParsePool)
    if pool is not None:
        pool.close()


def test_a_large_body_of_unknown_length_waits_for_the_turn_once_it_turns_out_large(
    turns: tuple[FastAPI, str], db: Engine, redis_flush: None
) -> None:
    """Chunked, no Content-Length: read until half the inline limit has arrived (it may turn
    out large), then wait for the partner's turn holding that much, not the rest."""
    app, url = turns
    a = partner_key(db, "agency-i")
    a_id = _partner_id(db, "agency-i")
    waiting = lambda: (pool := state_of(app).made(ParsePool)) is not None and pool.waiting[a_id]  # noqa: E731
    chunked = LARGE.replace(b"Pooled", b"Chunked")
    first_part, rest = chunked[:600], chunked[600:]  # past half the 1000-byte limit only
    parts = urlsplit(url)
    with _stalled(url, a, 500, len(LARGE), LARGE) as first:  # takes A's turn, then stalls
        _until(lambda: _held(app) == 500, "the first push's body was not being read")
        with socket.create_connection((parts.hostname, parts.port), timeout=PATIENCE) as second:
            second.sendall(
                b"POST /v1/items HTTP/1.1\r\nHost: t\r\nContent-Type: text/plain\r\n"
                b"Authorization: Bearer %s\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n"
                % (a.encode(), len(first_part), first_part)
            )
            _until(lambda: waiting() == 1, "the chunked push did not wait for A's turn")
            assert _held(app) == 500 + len(first_part)  # what had arrived, and no more
            second.sendall(b"%x\r\n%s\r\n0\r\n\r\n" % (len(rest), rest))
            first.sendall(LARGE[500:])  # the first push completes; the turn passes on
            assert first.recv(4096).startswith(b"HTTP/1.1 202")
            assert second.recv(4096).startswith(b"HTTP/1.1 202")
    with db.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM submissions")).scalar() == 2
