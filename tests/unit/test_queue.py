"""Sending work never holds a partner: a broker that is away is skipped for a while."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import SimpleNamespace

import pytest

from services import queue
from shared.core.settings import Settings


class Broker:
    """A Celery app stand-in whose Redis fails while ``down``: ``enqueue`` pushes the message
    and records it (``queue.NUDGES``) in one pipeline on a pooled connection."""

    def __init__(self) -> None:
        self.down = True
        self.sent: list[str] = []
        self.nudged: dict[str, float] = {}
        self.tries = 0
        self.pool = SimpleNamespace(acquire=self._acquire)

    def _pipeline(self, transaction: bool) -> SimpleNamespace:
        commands: list[Callable[[], None]] = []

        def execute() -> None:
            self.tries += 1
            if self.down:
                raise ConnectionError("redis is away")
            for command in commands:
                command()

        def lpush(key: str, raw: bytes) -> None:
            commands.append(lambda: self.sent.append(json.loads(raw)["headers"]["argsrepr"]))

        def zadd(key: str, scores: dict[str, float]) -> None:
            commands.append(lambda: self.nudged.update(scores))

        return SimpleNamespace(lpush=lpush, zadd=zadd, execute=execute)

    @contextmanager
    def _acquire(self, block: bool, timeout: float | None = None) -> Iterator[SimpleNamespace]:
        client = SimpleNamespace(pipeline=self._pipeline)
        yield SimpleNamespace(default_channel=SimpleNamespace(client=client))


def test_a_failed_send_skips_the_broker_until_the_backoff_ends(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = [1000.0]
    monkeypatch.setattr(time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(queue, "_broker_down_until", {})
    broker = Broker()
    assert queue.enqueue(broker, "s1") is False  # type: ignore[arg-type]
    assert queue.enqueue(broker, "s2") is False  # type: ignore[arg-type]
    assert broker.tries == 1  # the second push did not wait on the broker at all
    broker.down = False
    clock[0] += queue.BROKER_BACKOFF_SECONDS
    assert queue.enqueue(broker, "s3") is True  # type: ignore[arg-type]
    assert broker.sent == ["['s3']"]
    assert list(broker.nudged) == ["s3"]


def test_a_broker_that_failed_holds_back_its_own_sends_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(queue, "_broker_down_until", {})
    away, up = Broker(), Broker()
    up.down = False
    assert queue.enqueue(away, "s1") is False  # type: ignore[arg-type]
    assert queue.enqueue(up, "s2") is True  # type: ignore[arg-type]
    assert up.sent == ["['s2']"] and away.tries == 1


def test_senders_try_redis_once_with_short_timeouts() -> None:
    settings = Settings(database_url="postgresql:///dateline", redis_url="unix:///r.sock")
    sender = queue.make_celery(settings, "unix:///nonexistent/redis.sock", sender=True)
    worker = queue.make_celery(settings, "unix:///nonexistent/redis.sock")
    options = sender.conf.broker_transport_options
    assert options["max_retries"] == 0 and options["socket_timeout"] <= 2
    assert "max_retries" not in worker.conf.broker_transport_options  # workers reconnect
