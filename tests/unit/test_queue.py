"""Sending work never holds a partner: a broker that is away is skipped for a while."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace

import pytest

from services import queue
from services.queue import PROCESS_SUBMISSION
from shared.settings import Settings


class Broker:
    """A Celery app stand-in whose sends fail while ``down``."""

    def __init__(self) -> None:
        self.down = True
        self.sent: list[list[str]] = []
        self.nudged: dict[str, float] = {}
        self.tries = 0

    def send_task(self, name: str, *, args: list[str], queue: str, retry: bool) -> None:
        self.tries += 1
        assert (name, retry) == (PROCESS_SUBMISSION, False)
        if self.down:
            raise ConnectionError("redis is away")
        self.sent.append(args)

    @contextmanager
    def connection_for_write(self) -> Iterator[SimpleNamespace]:
        """What ``enqueue`` records each sent message in (``queue.NUDGES``)."""
        client = SimpleNamespace(zadd=lambda key, scores: self.nudged.update(scores))
        yield SimpleNamespace(default_channel=SimpleNamespace(client=client))


def test_a_failed_send_skips_the_broker_until_the_backoff_ends(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = [1000.0]
    monkeypatch.setattr(time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(queue, "_broker_down_until", 0.0)
    broker = Broker()
    assert queue.enqueue(broker, "s1") is False  # type: ignore[arg-type]
    assert queue.enqueue(broker, "s2") is False  # type: ignore[arg-type]
    assert broker.tries == 1  # the second push did not wait on the broker at all
    broker.down = False
    clock[0] += queue.BROKER_BACKOFF_SECONDS
    assert queue.enqueue(broker, "s3") is True  # type: ignore[arg-type]
    assert broker.sent == [["s3"]]
    assert list(broker.nudged) == ["s3"]


def test_senders_try_redis_once_with_short_timeouts() -> None:
    settings = Settings(database_url="postgresql:///dateline", redis_url="unix:///r.sock")
    sender = queue.make_celery(settings, "unix:///nonexistent/redis.sock", sender=True)
    worker = queue.make_celery(settings, "unix:///nonexistent/redis.sock")
    options = sender.conf.broker_transport_options
    assert options["max_retries"] == 0 and options["socket_timeout"] <= 2
    assert "max_retries" not in worker.conf.broker_transport_options  # workers reconnect
