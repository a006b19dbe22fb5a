"""A pushed item reaches a publishing system's webhook: real API, worker, beat and receiver."""

from __future__ import annotations

import time

import httpx
import pytest
from sqlalchemy import Engine

from shared.db import subscriptions
from tests.conftest import SAMPLES
from tests.receiver import Receiver, clean_subscriptions, verify
from tests.support import bearer, editor_token, partner_key, push, wait_done

pytestmark = pytest.mark.e2e

PAGE = (SAMPLES / "e2e" / "potash-2022-03-14.txt").read_bytes()


def test_a_pushed_item_is_delivered_signed_to_the_subscribed_receiver(
    client: httpx.Client, db: Engine, start_worker, monkeypatch: pytest.MonkeyPatch
) -> None:
    clean_subscriptions(db)
    monkeypatch.setenv("DATELINE_WEBHOOK_ALLOW_PRIVATE", "true")  # the receiver is on 127.0.0.1
    key = partner_key(db, "belta", "Europe/Minsk", ("en",))
    token = editor_token(db)
    with Receiver(200) as receiver, Receiver(200) as other:
        with db.begin() as conn:
            sub = subscriptions.create(
                conn, url=receiver.url, filters={"partner": "belta"}, allow_private=True
            )
            subscriptions.create(
                conn, url=other.url, filters={"language": "ru"}, allow_private=True
            )
        start_worker(beat=True)

        accepted = push(client, key, PAGE).json()
        [entry] = wait_done(client, token, accepted["submission_id"])["items"]
        [request] = receiver.wait_for(1)
        time.sleep(2.5)  # one more delivery run: nothing else is sent
        assert len(receiver.received) == 1
        assert other.received == []

    assert verify(sub["secret"], request)
    assert abs(int(request.headers["webhook-timestamp"]) - time.time()) < 60
    body = request.json()
    item = client.get(f"/v1/items/{entry['item_id']}", headers=bearer(token)).json()
    assert body == {"type": "item.created", "timestamp": body["timestamp"], "data": item}
    assert item["partner"] == "belta"
    admin = bearer(editor_token(db, "admin"))
    found = client.get(f"/v1/subscriptions/{sub['id']}", headers=admin).json()
    assert found["deliveries"] == {"pending": 0, "sent": 1, "failed": 0}
    clean_subscriptions(db)
