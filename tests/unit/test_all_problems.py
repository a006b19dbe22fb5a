"""A 422 names every problem of the document, not only the first (shared/reading/collect.py):
each bad field of an item, each bad member of a batch, at most MAX_ERRORS entries."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from shared.core.errors import Invalid
from shared.core.model import Profile
from shared.reading.collect import MAX_ERRORS
from shared.reading.prepare import prepare

PROFILE = Profile.from_dict({"timezone": "UTC"})


def _refused(doc: Any, content_type: str = "application/json") -> Invalid:
    raw = doc if isinstance(doc, bytes) else json.dumps(doc).encode()
    with pytest.raises(Invalid) as caught:
        prepare(raw, content_type, namespace="t", profile=PROFILE, received_at=datetime.now(UTC))
    return caught.value


def _story(n: int, **fields: Any) -> dict[str, Any]:
    return {"uri": f"urn:t:{n}", "headline": f"Story {n}", "body_text": "A sentence.", **fields}


def test_every_bad_field_of_a_ninjs_item_is_named() -> None:
    error = _refused(_story(1, urgency="high", priority=42, versioncreated="soon-ish 99"))
    assert [e["field"] for e in error.errors] == ["/versioncreated", "/urgency", "/priority"]
    assert error.detail.startswith("3 problems; the first: /versioncreated")


def test_every_bad_field_found_while_normalising_is_named() -> None:
    error = _refused(_story(1, uri="urn:t:\r\n1", version="2\u200b3"))
    assert [e["field"] for e in error.errors] == ["/uri", "/version"]
    assert error.detail.startswith("2 problems; the first: uri contains")


def test_one_bad_field_keeps_its_own_detail() -> None:
    error = _refused(_story(1, urgency="high"))
    assert error.errors == [{"field": "/urgency", "message": "must be an integer from 1 to 9"}]
    assert error.detail == "/urgency: must be an integer from 1 to 9"


def test_every_bad_member_of_a_batch_is_named_with_its_index() -> None:
    batch = [_story(0, uri="urn:t:\n0"), _story(1), _story(2, uri="urn:t:\t2", version="\x01")]
    error = _refused(batch)
    assert [(e["index"], e["field"]) for e in error.errors] == [
        (0, "/uri"),
        (2, "/uri"),
        (2, "/version"),
    ]
    assert error.detail == "2 of 3 batch items are invalid; nothing was accepted"


def test_errors_stop_at_the_bound_and_say_how_many_more() -> None:
    batch = [_story(n, urgency="high") for n in range(MAX_ERRORS + 20)]
    error = _refused(batch)
    assert len(error.errors) == MAX_ERRORS
    assert error.errors[-2] == {
        "index": MAX_ERRORS - 2,
        "field": "/urgency",
        "message": "must be an integer from 1 to 9",
    }
    assert error.errors[-1] == {"message": "and 21 more problems"}
