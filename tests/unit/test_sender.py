"""The API's sender (services/queue.py, ``Sender``): every submission handed over is sent, in
order, and the messages waiting while a round trip is under way go together in the next one."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace

import pytest

from services import queue
from tests.support import PATIENCE


class Broker:
    """A Celery app stand-in: records each pipeline's pushes; ``hold`` keeps the first round
    trip waiting until it is set."""

    def __init__(self) -> None:
        self.trips: list[list[str]] = []
        self.nudged: list[str] = []
        self.down = False
        self.refused = 0
        self.hold = threading.Event()
        self.started = threading.Event()
        self.pool = SimpleNamespace(acquire=self._acquire)

    def _pipeline(self, transaction: bool) -> SimpleNamespace:
        pushed: list[str] = []

        def lpush(key: str, *raws: bytes) -> None:
            pushed.extend(json.loads(raw)["headers"]["argsrepr"] for raw in raws)

        def zadd(key: str, scores: dict[str, float]) -> None:
            self.nudged.extend(scores)

        def execute() -> None:
            if self.down:
                self.refused += 1
                raise ConnectionError("redis is away")
            self.started.set()
            self.hold.wait(PATIENCE)
            self.trips.append(pushed)

        return SimpleNamespace(lpush=lpush, zadd=zadd, execute=execute)

    @contextmanager
    def _acquire(self, block: bool, timeout: float | None = None) -> Iterator[SimpleNamespace]:
        client = SimpleNamespace(pipeline=self._pipeline)
        yield SimpleNamespace(default_channel=SimpleNamespace(client=client))


def _wait(until: object) -> None:
    deadline = time.monotonic() + PATIENCE
    while not until():  # type: ignore[operator]
        assert time.monotonic() < deadline, "the sender did not send in time"
        time.sleep(0.01)


def test_waiting_messages_go_together_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(queue, "_broker_down_until", {})
    broker = Broker()
    sender = queue.Sender(broker)  # type: ignore[arg-type]
    sender.send("s0")
    assert broker.started.wait(PATIENCE)  # the first round trip is under way, held
    for n in range(1, 30):
        sender.send(f"s{n}")
    broker.hold.set()
    _wait(lambda: sum(len(t) for t in broker.trips) == 30)
    assert broker.trips[0] == [repr(["s0"])]
    assert broker.trips[1] == [repr([f"s{n}"]) for n in range(1, 30)]  # one trip, in order
    assert broker.nudged == [f"s{n}" for n in range(30)]


def test_a_send_that_fails_costs_its_messages_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(queue, "_broker_down_until", {})
    monkeypatch.setattr(queue, "BROKER_BACKOFF_SECONDS", 0.0)
    broker = Broker()
    broker.down = True
    broker.hold.set()
    sender = queue.Sender(broker)  # type: ignore[arg-type]
    sender.send("s0")  # lost here: the sweeper sends it again
    _wait(lambda: broker.refused == 1)
    broker.down = False
    sender.send("s1")
    _wait(lambda: broker.trips)
    assert broker.trips == [[repr(["s1"])]]


class LoopBroker:
    """An asynchronous Redis stand-in for ``LoopSender``: records each pipeline's pushes; the
    first round trip waits for ``hold``."""

    def __init__(self) -> None:
        self.trips: list[list[str]] = []
        self.down = False
        self.refused = 0
        self.hold: asyncio.Event | None = None
        self.closed = False

    def pipeline(self, transaction: bool) -> SimpleNamespace:
        pushed: list[str] = []

        async def execute() -> None:
            if self.down:
                self.refused += 1
                raise ConnectionError("redis is away")
            if self.hold is not None:
                await self.hold.wait()
            self.trips.append(pushed)

        return SimpleNamespace(
            lpush=lambda key, *raws: pushed.extend(
                json.loads(raw)["headers"]["argsrepr"] for raw in raws
            ),
            zadd=lambda key, scores: None,
            execute=execute,
        )

    async def aclose(self) -> None:
        self.closed = True


def test_on_the_loop_waiting_messages_go_together_in_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(queue, "_broker_down_until", {})

    async def run() -> LoopBroker:
        broker = LoopBroker()
        broker.hold = asyncio.Event()
        sender = queue.LoopSender(SimpleNamespace(), client=broker)  # type: ignore[arg-type]
        sender.send("s0")
        await asyncio.sleep(0)  # the first round trip is under way, held
        for n in range(1, 30):
            sender.send(f"s{n}")
        broker.hold.set()
        await sender.close()  # sends what waits, then closes the client
        return broker

    broker = asyncio.run(run())
    assert broker.trips == [[repr(["s0"])], [repr([f"s{n}"]) for n in range(1, 30)]]
    assert broker.closed


def test_on_the_loop_a_send_that_fails_costs_its_messages_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(queue, "_broker_down_until", {})
    monkeypatch.setattr(queue, "BROKER_BACKOFF_SECONDS", 0.0)

    async def run() -> LoopBroker:
        broker = LoopBroker()
        broker.down = True
        sender = queue.LoopSender(SimpleNamespace(), client=broker)  # type: ignore[arg-type]
        sender.send("s0")  # lost here: the sweeper sends it again
        await sender.close()
        broker.down = False
        sender.send("s1")
        await sender.close()
        return broker

    broker = asyncio.run(run())
    assert (broker.refused, broker.trips) == (1, [[repr(["s1"])]])
