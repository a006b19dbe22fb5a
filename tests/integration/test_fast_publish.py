"""The API sends a submission's message itself (services/queue.message) rather than through
Celery's send path: the message must be the one Celery would send, and a real worker must run it
(the end-to-end tests do). Checked here against Celery's own, on the real Redis."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
import redis

from services import queue
from services.queue import PROCESS_SUBMISSION, QUEUE, SWEEP_QUEUE, make_celery
from shared.core.embedded import redis_client_url

VARYING = {"id", "root_id", "correlation_id", "delivery_tag", "reply_to", "origin"}


def _shape(raw: bytes) -> dict[str, Any]:
    """The message with its per-message values (ids, origin) blanked and its body decoded."""
    message = json.loads(raw)
    message["body"] = json.loads(base64.b64decode(message["body"]))
    for part in (message["headers"], message["properties"]):
        for key in VARYING & part.keys():
            part[key] = "…"
    return dict(message)


@pytest.mark.parametrize("name", [QUEUE, SWEEP_QUEUE])
def test_the_message_is_the_one_celery_sends(
    servers, settings, redis_flush: None, name: str
) -> None:  # type: ignore[no-untyped-def]
    app = make_celery(settings, servers.redis_url, sender=True)
    client = redis.Redis.from_url(redis_client_url(servers.redis_url))
    app.send_task(PROCESS_SUBMISSION, args=["sub-1"], queue=name, retry=False)
    celery_sent = client.rpop(name)
    assert queue.enqueue(app, "sub-1", queue=name)
    ours = client.rpop(name)
    assert celery_sent is not None and ours is not None
    assert _shape(ours) == _shape(celery_sent)
    mine = json.loads(ours)
    assert (
        mine["headers"]["id"] == mine["headers"]["root_id"] == mine["properties"]["correlation_id"]
    )
    assert client.zscore(queue.NUDGES, "sub-1") is not None  # recorded in the same round trip


def test_each_message_has_its_own_task_id() -> None:
    first, second = (json.loads(queue.message("sub-1")) for _ in range(2))
    assert first["headers"]["id"] != second["headers"]["id"]
    assert first["properties"]["delivery_tag"] != second["properties"]["delivery_tag"]
