"""Reading: submissions (owner or editor), items newest first with filters and cursors."""

from __future__ import annotations

import json
import socket
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import Engine

from services.worker.pipeline import process_submission
from tests.support import bearer, editor_token, partner_key, push

NINJS = "application/json"


def _story(n: int, *, language: str = "en", minute: int | None = None) -> bytes:
    when = datetime(2022, 1, 7, 10, 0, tzinfo=UTC) + timedelta(
        minutes=n if minute is None else minute
    )
    return json.dumps(
        {
            "uri": f"urn:example:story:{n}",
            "headline": f"Story number {n}",
            "language": language,
            "versioncreated": when.isoformat(),
            "body_text": f"Body of story {n} for the wire.",
        }
    ).encode()


@pytest.fixture
def stored(client: httpx.Client, db: Engine, settings):  # type: ignore[no-untyped-def]
    """Push and process (in-process pipeline, same code the worker runs) a few stories."""
    keys = {"alpha": partner_key(db, "alpha"), "beta": partner_key(db, "beta")}

    def add(partner: str, body: bytes) -> str:
        answer = push(client, keys[partner], body, NINJS)
        assert answer.status_code == 202, answer.text
        submission_id: str = answer.json()["submission_id"]
        assert process_submission(db, settings, submission_id) == "done"
        return submission_id

    return keys, add


def test_partner_reads_its_own_submission_but_not_anothers(client: httpx.Client, stored) -> None:  # type: ignore[no-untyped-def]
    keys, add = stored
    submission_id = add("alpha", _story(1))
    mine = client.get(f"/v1/submissions/{submission_id}", headers=bearer(keys["alpha"]))
    assert mine.status_code == 200
    body = mine.json()
    assert set(body) == {
        "id", "partner", "status", "received_at", "attempts", "error", "warnings", "items"
    }  # fmt: skip
    assert (body["id"], body["partner"], body["status"], body["attempts"]) == (
        submission_id,
        "alpha",
        "done",
        1,
    )
    assert body["received_at"].endswith("Z")
    [entry] = body["items"]
    assert set(entry) == {"item_id", "uri", "version", "verdict"}
    assert (entry["uri"], entry["verdict"]) == ("urn:example:story:1", "new")
    theirs = client.get(f"/v1/submissions/{submission_id}", headers=bearer(keys["beta"]))
    assert theirs.status_code == 404
    assert theirs.json()["code"] == "not_found"


def test_partner_key_cannot_read_items(client: httpx.Client, stored) -> None:  # type: ignore[no-untyped-def]
    keys, _ = stored
    answer = client.get("/v1/items", headers=bearer(keys["alpha"]))
    assert answer.status_code == 403
    assert answer.json()["code"] == "forbidden"


def test_items_are_newest_first_with_cursor_pages(client: httpx.Client, db: Engine, stored) -> None:  # type: ignore[no-untyped-def]
    _, add = stored
    for n in range(5):
        add("alpha", _story(n))
    token = editor_token(db)
    seen: list[str] = []
    url: str | None = "/v1/items?limit=2"
    pages = 0
    while url:
        page = client.get(url, headers=bearer(token)).json()
        seen += [i["headline"] for i in page["items"]]
        url = page["next"]
        pages += 1
    assert pages == 3
    assert seen == [f"Story number {n}" for n in (4, 3, 2, 1, 0)]


def test_items_filter_by_partner_language_and_time(
    client: httpx.Client, db: Engine, stored
) -> None:  # type: ignore[no-untyped-def]
    _, add = stored
    add("alpha", _story(1, language="en-GB"))
    add("alpha", _story(2, language="ru"))
    add("beta", _story(3, language="en"))
    token = editor_token(db)

    def headlines(query: str) -> list[str]:
        answer = client.get(f"/v1/items?{query}", headers=bearer(token))
        assert answer.status_code == 200, answer.text
        return [i["headline"] for i in answer.json()["items"]]

    assert headlines("partner=alpha") == ["Story number 2", "Story number 1"]
    assert headlines("language=en") == ["Story number 3", "Story number 1"]
    assert headlines("since=2022-01-07T10:02:00Z") == ["Story number 3", "Story number 2"]
    assert headlines("until=2022-01-07T10:02:00Z") == ["Story number 2", "Story number 1"]
    assert headlines("partner=nobody") == []


@pytest.mark.parametrize(
    "query,field",
    [
        ("limit=201", "limit"),
        ("limit=0", "limit"),
        ("since=yesterday", "since"),
        ("cursor=%%%", "cursor"),
        # a tampered cursor: base64 of "2022-01-07T10:00:00+00:00|a\x00b" and of a naive stamp
        ("cursor=MjAyMi0wMS0wN1QxMDowMDowMCswMDowMHxhAGI", "cursor"),
        ("cursor=MjAyMi0wMS0wN1QxMDowMDowMHxhYmM", "cursor"),
        ("since=2022-01-07T10:00:00", "since"),
    ],
)
def test_bad_item_queries_are_422_naming_the_parameter(
    client: httpx.Client, db: Engine, query: str, field: str
) -> None:
    answer = client.get(f"/v1/items?{query}", headers=bearer(editor_token(db)))
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["field"] == field


def test_unknown_item_is_a_404_problem(client: httpx.Client, db: Engine) -> None:
    answer = client.get("/v1/items/nope", headers=bearer(editor_token(db)))
    assert answer.status_code == 404
    assert answer.json()["code"] == "not_found"


def test_admin_token_reads_items(client: httpx.Client, db: Engine) -> None:
    answer = client.get("/v1/items", headers=bearer(editor_token(db, role="admin")))
    assert answer.status_code == 200
    assert answer.json() == {"items": [], "next": None}


def test_health_and_readiness(client: httpx.Client) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ok", "checks": {"database": "ok", "redis": "ok"}}


def test_readiness_probes_reuse_one_broker_connection(client: httpx.Client, servers) -> None:  # type: ignore[no-untyped-def]
    """A probe every few seconds, for months: each one opening a new Redis connection grew the
    API (docs/performance.md). Counted by Redis itself, not by timing."""
    import redis

    from shared.core.embedded import redis_client_url

    broker = redis.Redis.from_url(redis_client_url(servers.redis_url))
    assert client.get("/readyz").status_code == 200  # the pool's connection, made once
    before = broker.info("stats")["total_connections_received"]
    for _ in range(20):
        assert client.get("/readyz").json()["checks"]["redis"] == "ok"
    assert broker.info("stats")["total_connections_received"] - before <= 1


def test_readiness_reports_a_broker_that_is_away(settings) -> None:  # type: ignore[no-untyped-def]
    from services.ingest.app import _check_redis
    from services.queue import make_celery

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    away = make_celery(settings, f"redis://127.0.0.1:{port}/0", sender=True)
    assert _check_redis(away).startswith("error: ")


def test_readiness_survives_a_connection_redis_dropped(settings, servers) -> None:  # type: ignore[no-untyped-def]
    """After Redis restarts, the pooled connection is dead: the probe must not report the
    broker away because of it."""
    import redis

    from services.ingest.app import _check_redis
    from services.queue import make_celery, redis_of
    from shared.core.embedded import redis_client_url

    broker = redis.Redis.from_url(redis_client_url(servers.redis_url))
    app = make_celery(settings, servers.redis_url, sender=True)
    assert _check_redis(app) == "ok"
    with redis_of(app) as pooled:  # the connection the probe used, kept in the pool
        broker.client_kill_filter(_id=pooled.client_id())
    assert _check_redis(app) == "ok"


def _rich(uri: str, headline: str, body: str, language: str, **extra: object) -> bytes:
    return json.dumps(
        {
            "uri": uri,
            "headline": headline,
            "body_text": body,
            "language": language,
            "versioncreated": "2022-01-07T10:00:00Z",
            **extra,
        }
    ).encode()


def test_items_filter_by_subject_pubstatus_and_full_text(
    client: httpx.Client, db: Engine, stored
) -> None:  # type: ignore[no-untyped-def]
    _, add = stored
    add(
        "alpha",
        _rich(
            "u:1",
            "Central bank raises interest rates",
            "The central bank raised its key rates again.",
            "en",
            subject=[{"code": "04000000", "scheme": "iptc", "name": "economy"}],
        ),
    )
    add(
        "alpha",
        _rich(
            "u:2",
            "Снегопад в Минске",
            "В Минске выпал снег, дороги заметены.",
            "ru",
            pubstatus="withheld",
        ),
    )
    add(
        "beta",
        _rich(
            "u:3",
            "Football final tonight",
            "Two clubs meet in the cup final.",
            "en",
            subject=[{"name": "Sport", "scheme": "category"}],
        ),
    )
    token = editor_token(db)

    def uris(query: str) -> list[str]:
        answer = client.get(f"/v1/items?{query}", headers=bearer(token))
        assert answer.status_code == 200, answer.text
        return sorted(i["uri"] for i in answer.json()["items"])

    assert uris("subject=04000000") == ["u:1"]
    assert uris("subject=iptc-subject:04000000") == ["u:1"]
    assert uris("subject=Sport") == ["u:3"]
    assert uris("pubstatus=withheld") == ["u:2"]
    assert uris("q=rate") == ["u:1"]  # stemmed: "rates" matches "rate"
    assert uris("q=%22cup+final%22") == ["u:3"]
    assert uris("q=снега") == ["u:2"]  # Russian stemming
    assert uris("q=bank+-central") == []
    assert uris("q=interest&language=en") == ["u:1"]
    bad = client.get("/v1/items?pubstatus=deleted", headers=bearer(token))
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "pubstatus"


def test_item_as_ninjs_3_and_2_validates_against_the_iptc_schemas(
    client: httpx.Client, db: Engine, stored
) -> None:  # type: ignore[no-untyped-def]
    from shared.output import ninjs as ninjs_out

    _, add = stored
    submission_id = add("alpha", _story(1))
    token = editor_token(db)
    entry = client.get(f"/v1/submissions/{submission_id}", headers=bearer(token)).json()
    url = f"/v1/items/{entry['items'][0]['item_id']}"
    three = client.get(f"{url}?format=ninjs", headers=bearer(token))
    assert three.headers["content-type"].startswith("application/ninjs+json")
    ninjs_out.validate_ninjs3(three.json())
    assert three.json()["uri"] == "urn:example:story:1"
    assert three.json()["headlines"][0]["value"] == "Story number 1"
    by_accept = client.get(url, headers={**bearer(token), "Accept": "application/ninjs+json"})
    assert by_accept.json() == three.json()
    two = client.get(f"{url}?format=ninjs2", headers=bearer(token)).json()
    ninjs_out.validate_ninjs2(two)
    assert two["versioncreated"] == "2022-01-07T10:01:00Z"
    assert client.get(url, headers=bearer(token)).json()["headline"] == "Story number 1"
    assert client.get(f"{url}?format=xml", headers=bearer(token)).status_code == 422


@pytest.mark.parametrize(
    "url",
    [
        "/v1/items?q=a%00b",
        "/v1/items?partner=%00",
        "/v1/items?subject=x&language=e%00n",
        "/v1/items/abc%00def",
        "/v1/feed.atom?q=%00",
        "/v1/submissions/%00",
    ],
)
def test_a_nul_anywhere_in_the_path_or_query_is_a_400(
    client: httpx.Client, db: Engine, url: str
) -> None:
    answer = client.get(url, headers=bearer(editor_token(db)))
    assert answer.status_code == 400, answer.text
    assert answer.json()["code"] == "malformed"


def test_versions_and_duplicates_keep_their_keys_and_add_a_next_link(
    client: httpx.Client, db: Engine, stored
) -> None:  # type: ignore[no-untyped-def]
    _, add = stored
    first = add("alpha", _story(1))
    # Another text under the same uri, stamped earlier: a stale version, kept in the history.
    add("alpha", _rich("urn:example:story:1", "Story number 1", "Changed text.", "en"))
    token = editor_token(db)
    entry = client.get(f"/v1/submissions/{first}", headers=bearer(token)).json()
    url = f"/v1/items/{entry['items'][0]['item_id']}"
    whole = client.get(f"{url}/versions", headers=bearer(token)).json()
    assert (set(whole), whole["next"]) == ({"versions", "next"}, None)
    assert [v["current"] for v in whole["versions"]] == [True, False]
    page = client.get(f"{url}/versions?limit=1", headers=bearer(token)).json()
    assert page["versions"] == whole["versions"][:1]
    assert page["next"].startswith(f"{url}/versions?limit=1&cursor=")
    rest = client.get(page["next"], headers=bearer(token)).json()
    assert (rest["versions"], rest["next"]) == (whole["versions"][1:], None)
    assert client.get(f"{url}/duplicates", headers=bearer(token)).json() == {
        "items": [],
        "next": None,
    }
