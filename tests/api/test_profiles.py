"""Agency quirks live in the partner profile: chrome lines, dateline patterns, category maps."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import Engine

from services.worker.pipeline import process_submission
from shared.core.errors import Invalid
from shared.db import credentials
from tests.support import bearer, editor_token, partner_key, push

PAGE = """Home | Newsroom | Contacts
Read us on Telegram
Politics
12 March 2023, 16:45

Parliament passes the new media law

Minsk /Interfax-West/ - The lower house passed the media law in the second reading on Sunday.

The law takes effect in three months, the speaker said.
Read us on Telegram
Share this story
"""

PROFILE = {
    "timezone": "Europe/Minsk",
    "languages": ["en"],
    "strip_lines": ["Read us on Telegram", r"Home \\| .*"],
    "dateline_patterns": [r"^(?P<located>[A-Z][a-z]+) /(?P<source>Interfax-West)/ - "],
    "category_subjects": {"Politics": {"scheme": "iptc-mediatopic", "code": "11000000"}},
}


def test_a_stored_profile_shapes_the_item(client: httpx.Client, db: Engine, settings) -> None:  # type: ignore[no-untyped-def]
    key = partner_key(db, "interfax-west")
    with db.begin() as conn:
        credentials.set_profile(conn, "interfax-west", PROFILE)
    answer = push(client, key, PAGE.encode())
    assert answer.status_code == 202, answer.text
    submission_id = answer.json()["submission_id"]
    assert process_submission(db, settings, submission_id) == "done"
    token = editor_token(db)
    entry = client.get(f"/v1/submissions/{submission_id}", headers=bearer(token)).json()
    item = client.get(f"/v1/items/{entry['items'][0]['item_id']}", headers=bearer(token)).json()
    assert item["headline"] == "Parliament passes the new media law"
    assert item["versioncreated"] == "2023-03-12T13:45:00Z"
    assert item["dateline"] == {
        "located": "Minsk",
        "date": None,
        "source": "Interfax-West",
        "text": "Minsk /Interfax-West/",
    }
    assert item["source"] == "Interfax-West"
    assert item["body_text"].startswith("Minsk /Interfax-West/ - The lower house")
    assert "Telegram" not in item["body_text"] and "Share this story" not in item["body_text"]
    assert {"scheme": "iptc-mediatopic", "code": "11000000", "name": "politics and government"} in (
        item["subjects"]
    )
    assert {"scheme": "category", "code": None, "name": "Politics"} in item["subjects"]


@pytest.mark.parametrize(
    ("profile", "field"),
    [
        ({"timezone": "Mars/Olympus"}, "/timezone"),
        ({"dateline_patterns": ["(unclosed"]}, "/dateline_patterns/0"),
        ({"dateline_patterns": ["no named groups"]}, "/dateline_patterns/0"),
        ({"strip_lines": "not a list"}, "/strip_lines"),
        ({"category_subjects": {"Politics": "11000000"}}, "/category_subjects"),
        ({"colour": "blue"}, "/colour"),
    ],
)
def test_a_bad_profile_is_refused_naming_the_field(
    db: Engine,
    profile: dict,  # type: ignore[type-arg]
    field: str,
) -> None:
    partner_key(db, "belta")
    with db.begin() as conn, pytest.raises(Invalid) as caught:
        credentials.set_profile(conn, "belta", profile)
    assert caught.value.errors[0]["field"] == field
