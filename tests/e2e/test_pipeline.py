"""A page pushed over HTTP goes through a real Celery worker into PostgreSQL, field by field."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import Engine

from tests.conftest import SAMPLES
from tests.support import bearer, editor_token, partner_key, push, wait_done

pytestmark = pytest.mark.e2e

PAGE = (SAMPLES / "e2e" / "potash-2022-03-14.txt").read_bytes()

EXPECTED_BODY_START = (
    "MINSK, 14 March (BelTA) – A new rail route for potash fertilisers bound for ports in Asia "
    "was opened on Monday, the company's press service told BelTA.\n\nThe first train"
)


def test_page_becomes_a_normalised_item_with_every_field(
    client: httpx.Client, db: Engine, start_worker
) -> None:
    key = partner_key(db, "belta", "Europe/Minsk", ("en",))
    token = editor_token(db)
    start_worker()

    answer = push(client, key, PAGE)
    assert answer.status_code == 202
    accepted = answer.json()
    assert accepted["status"] == "queued"
    assert accepted["status_url"] == f"/v1/submissions/{accepted['submission_id']}"
    assert answer.headers["location"] == accepted["status_url"]

    submission = wait_done(client, token, accepted["submission_id"])
    assert submission["status"] == "done", submission
    assert submission["partner"] == "belta"
    assert submission["attempts"] == 1
    assert submission["error"] is None
    [entry] = submission["items"]
    assert entry["verdict"] == "new"
    assert entry["version"] is None
    assert entry["uri"].startswith("urn:dateline:belta:")

    item = client.get(f"/v1/items/{entry['item_id']}", headers=bearer(token)).json()
    body_text = item.pop("body_text")
    body_html = item.pop("body_html")
    assert body_text.startswith(EXPECTED_BODY_START)
    assert body_text.endswith("the company's deputy director general said.")
    assert "Subscribe" not in body_text and "Twitter" not in body_text
    assert "potash producer opens" not in body_text
    assert body_html.startswith("<p>MINSK, 14 March (BelTA) – A new rail route")
    assert body_html.count("<p>") == 3
    assert len(item.pop("fingerprint")) == 64
    for server_time in ("received_at", "processed_at"):
        assert item.pop(server_time).endswith("Z")
    assert item == {
        "id": entry["item_id"],
        "uri": entry["uri"],
        "version": None,
        "partner": "belta",
        "format": "text",
        "type": "text",
        "pubstatus": "usable",
        "headline": "Belarusian potash producer opens new rail route to Asian ports",
        "slugline": None,
        "byline": None,
        "abstract": None,
        "ednote": None,
        "word_count": 74,
        "language": "en",
        "dateline": {
            "located": "Minsk",
            "date": "2022-03-14",
            "source": "BelTA",
            "text": "MINSK, 14 March (BelTA)",
        },
        "firstcreated": "2022-03-14T06:05:00Z",
        "versioncreated": "2022-03-14T06:05:00Z",
        "embargoed": None,
        "urgency": None,
        "priority": None,
        "subjects": [{"scheme": "category", "code": None, "name": "Economics"}],
        "keywords": [],
        "places": [],
        "genre": None,
        "source": "BelTA",
        "copyrightholder": None,
        "usageterms": None,
        "renditions": [],
        "associations": [],
        "duplicate_of": None,
        "cluster": entry["item_id"],
        "versions": 1,
        "submission_id": accepted["submission_id"],
        "warnings": [],
    }


def test_identical_bytes_return_the_same_submission(client: httpx.Client, db: Engine) -> None:
    key = partner_key(db, "belta", "Europe/Minsk")
    first = push(client, key, PAGE)
    again = push(client, key, PAGE, **{"Idempotency-Key": "another-key"})
    assert first.status_code == 202
    assert again.status_code == 200
    assert again.json()["submission_id"] == first.json()["submission_id"]


def test_idempotency_key_reused_with_other_bytes_is_422(client: httpx.Client, db: Engine) -> None:
    key = partner_key(db, "belta", "Europe/Minsk")
    first = push(client, key, PAGE, **{"Idempotency-Key": "k-1"})
    assert first.status_code == 202
    same_key = push(
        client, key, PAGE.replace(b"55 wagons", b"56 wagons"), **{"Idempotency-Key": "k-1"}
    )
    assert same_key.status_code == 422
    problem = same_key.json()
    assert problem["code"] == "invalid"
    assert problem["errors"] == [{"field": "Idempotency-Key", "message": "reused with other bytes"}]
    repeat = push(client, key, PAGE, **{"Idempotency-Key": "k-1"})
    assert repeat.status_code == 200
    assert repeat.json()["submission_id"] == first.json()["submission_id"]


def test_same_bytes_from_another_partner_is_another_submission(
    client: httpx.Client, db: Engine
) -> None:
    one = push(client, partner_key(db, "belta", "Europe/Minsk"), PAGE)
    two = push(client, partner_key(db, "other", "Europe/Minsk"), PAGE)
    assert one.status_code == two.status_code == 202
    assert one.json()["submission_id"] != two.json()["submission_id"]
