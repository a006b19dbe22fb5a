"""Every sample of every format goes in over HTTP and comes out of the item API exactly as
``dateline parse`` (the offline path) normalises it."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine

from services.worker.pipeline import process_submission
from shared.db import credentials
from shared.output.serialise import contract_item, item_doc
from shared.reading.prepare import prepare
from tests.conftest import SAMPLES
from tests.support import bearer, editor_token, partner_key, push

CONTENT_TYPES = {
    "ninjs": "application/ninjs+json",
    "nitf": "application/xml",
    "newsml-g2": "application/vnd.iptc.g2.newsmessage+xml",
    "newsml1": "text/xml",
    "feed": "application/rss+xml",
    "html": "text/html; charset=utf-8",
    "email": "message/rfc822",
    "anpa": "text/plain",
    "iptc7901": "text/plain",
    "text": "text/plain; charset=utf-8",
}
SERVER_FIELDS = (
    "id",
    "partner",
    "received_at",
    "processed_at",
    "duplicate_of",
    "cluster",
    "versions",
    "submission_id",
)
CASES = [
    pytest.param(path, CONTENT_TYPES[folder], id=f"{folder}/{path.name}")
    for folder in CONTENT_TYPES
    for path in sorted((SAMPLES / folder).glob("*"))
    if path.is_file()
]


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


@pytest.mark.parametrize(("path", "content_type"), CASES)
def test_sample_round_trips_through_the_api(
    client: httpx.Client, db: Engine, settings, path: Path, content_type: str
) -> None:
    key = partner_key(db, "wire", "Europe/Berlin", ("en",))
    token = editor_token(db)
    raw = path.read_bytes()
    if content_type == "text/plain":  # legacy wires: UTF-8 where it decodes, else latin-1
        content_type += "; charset=" + ("utf-8" if _is_utf8(raw) else "latin-1")
    answer = push(client, key, raw, content_type)
    assert answer.status_code == 202, answer.text
    submission_id = answer.json()["submission_id"]
    assert process_submission(db, settings, submission_id) == "done"
    submission = client.get(f"/v1/submissions/{submission_id}", headers=bearer(token)).json()
    with db.connect() as conn:
        profile = credentials.get_partner(conn, "wire").profile
    offline = prepare(
        raw,
        content_type,
        namespace="wire",
        profile=profile,
        received_at=datetime.fromisoformat(submission["received_at"]),
    )
    assert len(submission["items"]) == len(offline)
    for entry, expected in zip(submission["items"], offline, strict=True):
        stored = client.get(f"/v1/items/{entry['item_id']}", headers=bearer(token)).json()
        want = contract_item(item_doc(expected), {})
        got = {k: v for k, v in stored.items() if k not in SERVER_FIELDS}
        assert got == {k: v for k, v in want.items() if k not in SERVER_FIELDS}
        assert stored["partner"] == "wire"
        assert stored["submission_id"] == submission_id
