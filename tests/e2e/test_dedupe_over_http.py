"""Deduplication over HTTP: copies across partners, edited page resends, clusters, and races
between real worker processes on real PostgreSQL."""

from __future__ import annotations

import json
import random
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy import Engine, text

from services.worker.pipeline import process_submission
from shared.db import clusters
from tests.support import bearer, editor_token, partner_key, push, wait_done

STORY = (
    "The national rail operator will add forty new regional trains to its timetable from "
    "June, the transport ministry said on Tuesday. The trains will run on the busiest commuter "
    "lines around the capital and replace carriages built in the nineteen eighties. Fares will "
    "not change this year, a ministry spokesman told reporters after the cabinet meeting. "
    "Passenger numbers on regional lines grew by a fifth last year, and the operator expects "
    "further growth once the new timetable is in place."
)
OTHER = (
    "Heavy snow closed three mountain passes overnight and the weather service warned of "
    "avalanches in the northern valleys. Ski resorts asked visitors to stay off closed slopes "
    "while rescue teams checked the roads, and schools in two districts stayed shut on Monday."
)


def ninjs(uri: str, body: str, headline: str = "Rail operator adds regional trains") -> bytes:
    return json.dumps(
        {
            "uri": uri,
            "headline": headline,
            "body_text": body,
            "versioncreated": "2023-05-02T09:00:00Z",
            "language": "en",
        }
    ).encode()


@pytest.fixture
def wire(client: httpx.Client, db: Engine, settings):  # type: ignore[no-untyped-def]
    keys: dict[str, str] = {}
    token = editor_token(db)

    def send(partner: str, body: bytes, content_type: str = "application/json") -> dict:  # type: ignore[type-arg]
        if partner not in keys:
            keys[partner] = partner_key(db, partner, "Europe/Berlin")
        answer = push(client, keys[partner], body, content_type)
        assert answer.status_code == 202, answer.text
        assert process_submission(db, settings, answer.json()["submission_id"]) == "done"
        done = client.get(
            f"/v1/submissions/{answer.json()['submission_id']}", headers=bearer(token)
        ).json()
        return done["items"][0]  # type: ignore[no-any-return]

    def get(path: str) -> dict:  # type: ignore[type-arg]
        return client.get(path, headers=bearer(token)).json()  # type: ignore[no-any-return]

    return send, get


def test_the_same_text_from_another_partner_is_a_near_duplicate_in_the_first_cluster(wire) -> None:  # type: ignore[no-untyped-def]
    send, get = wire
    first = send("alpha", ninjs("a:1", STORY))
    copy = send("beta", ninjs("b:77", STORY, headline="New trains for commuters"))
    assert (first["verdict"], copy["verdict"]) == ("new", "near_duplicate")
    original, duplicate = get(f"/v1/items/{first['item_id']}"), get(f"/v1/items/{copy['item_id']}")
    assert original["duplicate_of"] is None and original["cluster"] == first["item_id"]
    assert duplicate["duplicate_of"] == first["item_id"]
    assert duplicate["cluster"] == first["item_id"]
    assert duplicate["fingerprint"] == original["fingerprint"]
    listed = get("/v1/items")["items"]
    assert [i["id"] for i in listed] == [first["item_id"]]
    everything = get("/v1/items?include_duplicates=true")["items"]
    assert {i["id"] for i in everything} == {first["item_id"], copy["item_id"]}
    assert [i["id"] for i in get(f"/v1/items/{first['item_id']}/duplicates")["items"]] == [
        copy["item_id"]
    ]
    assert [i["id"] for i in get(f"/v1/items/{copy['item_id']}/duplicates")["items"]] == [
        first["item_id"]
    ]


def test_a_light_copy_edit_is_a_near_duplicate_and_a_different_story_is_new(wire) -> None:  # type: ignore[no-untyped-def]
    send, _ = wire
    first = send("alpha", ninjs("a:1", STORY))
    edited = STORY.replace("forty new", "40 new").replace("told reporters", "said")
    assert send("beta", ninjs("b:1", edited))["verdict"] == "near_duplicate"
    other = send("beta", ninjs("b:2", OTHER, headline="Snow closes passes"))
    assert other["verdict"] == "new"
    assert other["item_id"] != first["item_id"]


def test_the_same_partner_under_another_id_is_a_near_duplicate(wire) -> None:  # type: ignore[no-untyped-def]
    send, get = wire
    first = send("alpha", ninjs("a:1", STORY))
    again = send("alpha", ninjs("a:2", STORY))
    assert again["verdict"] == "near_duplicate"
    assert get(f"/v1/items/{again['item_id']}")["duplicate_of"] == first["item_id"]


def test_an_edited_resend_of_a_page_updates_the_same_item(wire) -> None:  # type: ignore[no-untyped-def]
    send, get = wire
    page = "Economics\n02 May 2023, 11:00\n\nRail operator adds regional trains\n\n" + STORY
    first = send("belta", page.encode(), "text/plain")
    edited = page.replace("Rail operator adds regional trains", "Forty new trains for regions")
    edited = edited.replace("11:00", "11:30").replace("a fifth", "twenty percent")
    update = send("belta", edited.encode(), "text/plain")
    assert update["verdict"] == "new_version"
    assert (update["item_id"], update["uri"]) == (first["item_id"], first["uri"])
    item = get(f"/v1/items/{first['item_id']}")
    assert item["headline"] == "Forty new trains for regions"
    assert item["versions"] == 2


def test_a_killed_item_is_never_a_candidate(wire) -> None:  # type: ignore[no-untyped-def]
    send, _ = wire
    send("alpha", ninjs("a:1", STORY))
    kill = json.loads(ninjs("a:1", STORY))
    kill.update(pubstatus="canceled", version="2")
    assert send("alpha", json.dumps(kill).encode())["verdict"] == "killed"
    assert send("beta", ninjs("b:1", STORY))["verdict"] == "new"


def test_buckets_older_than_the_window_are_pruned(wire, db: Engine) -> None:  # type: ignore[no-untyped-def]
    send, _ = wire
    send("alpha", ninjs("a:1", STORY))
    with db.begin() as conn:
        conn.execute(text("UPDATE lsh_buckets SET created_at = now() - interval '100 hours'"))
        assert clusters.prune(conn, window_hours=72) == 32
        assert clusters.prune(conn, window_hours=72) == 0


# --- races between real worker processes ------------------------------------------------------

WORDS = [
    f"{a}{b}"
    for a in ("ka", "lo", "mi", "ne", "su", "ta", "vo", "zi")
    for b in ("ber", "dan", "fel", "gor", "hin", "mar", "nol", "pes", "rit", "sol", "tun", "vex")
]


def _story(seed: int) -> str:
    rng = random.Random(seed)
    return ". ".join(" ".join(rng.choice(WORDS) for _ in range(12)) for _ in range(8)) + "."


@pytest.mark.e2e
def test_racing_workers_leave_one_canonical_item_per_story(
    client: httpx.Client, db: Engine, start_worker
) -> None:
    partners = {p: partner_key(db, p) for p in ("alpha", "beta", "gamma", "delta")}
    token = editor_token(db)
    start_worker(concurrency=2)
    start_worker(concurrency=2)
    stories = {n: _story(n) for n in range(8)}
    bodies = [
        (p, ninjs(f"{p}:{n}", stories[n] if i % 2 else stories[n] + " Updated."))
        for n in stories
        for i, p in enumerate(partners)
    ]
    random.Random(7).shuffle(bodies)
    with ThreadPoolExecutor(8) as pool:
        answers = list(
            pool.map(lambda pb: push(client, partners[pb[0]], pb[1], "application/json"), bodies)
        )
    ids = [a.json()["submission_id"] for a in answers]
    for submission_id in ids:
        assert wait_done(client, token, submission_id, timeout=60)["status"] == "done"
    with db.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT split_part(uri, ':', 2) AS story, count(*) AS items, "
                "count(*) FILTER (WHERE duplicate_of IS NULL) AS canonical, "
                "count(DISTINCT cluster) AS clusters FROM items GROUP BY 1 ORDER BY 1"
            )
        ).all()
    assert [(r.items, r.canonical, r.clusters) for r in rows] == [(4, 1, 1)] * len(stories)


@pytest.mark.e2e
def test_racing_resends_of_one_version_store_it_once(
    client: httpx.Client, db: Engine, start_worker
) -> None:
    key, token = partner_key(db, "alpha"), editor_token(db)
    start_worker(concurrency=2)
    start_worker(concurrency=2)
    doc = json.loads(ninjs("a:1", STORY))
    doc["version"] = "3"
    # Different bytes (key order, spacing), the same item: separate submissions.
    variants = [
        json.dumps(dict(sorted(doc.items(), reverse=bool(i % 2))), indent=i).encode()
        for i in range(6)
    ]
    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(lambda b: push(client, key, b, "application/json"), variants))
    verdicts = [
        wait_done(client, token, a.json()["submission_id"], timeout=60)["items"][0]["verdict"]
        for a in answers
    ]
    assert sorted(verdicts) == ["duplicate"] * 5 + ["new"]
    with db.connect() as conn:
        assert conn.execute(text("SELECT count(*), max(versions) FROM items")).one() == (1, 1)
        assert conn.execute(text("SELECT count(*) FROM item_versions")).scalar() == 1
