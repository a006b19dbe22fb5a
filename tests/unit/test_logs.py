"""Log levels: Celery's routine lines about the periodic tasks are DEBUG, what matters stays.

The lines are written by Celery's own code where it can be called without a broker (the beat
scheduler's "Sending due task", the trace's "succeeded"), else with Celery's own message
templates and loggers.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from celery import Celery
from celery.app import trace
from celery.beat import ScheduleEntry, Scheduler

from services.logs import JsonFormatter, PeriodicTaskFilter, quiet_periodic_tasks
from services.queue import PROCESS_SUBMISSION, PRUNE, SWEEP, make_celery
from services.worker import webhooks
from shared.core.settings import Settings


def no_engine() -> Any:
    raise AssertionError("nothing here runs a task")


def periodic_tasks() -> set[str]:
    """The tasks beat sends, built the way services/worker/celery_app.py builds its app."""
    app = make_celery(Settings(), "redis://127.0.0.1:1/0")
    webhooks.register(app, no_engine, Settings())
    return {entry["task"] for entry in app.conf.beat_schedule.values()}


class Captured:
    def __init__(self) -> None:
        self.stream = io.StringIO()
        self.handler = logging.StreamHandler(self.stream)
        self.handler.setFormatter(JsonFormatter())

    def lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.stream.getvalue().splitlines()]


@pytest.fixture
def captured() -> Iterator[Captured]:
    root = logging.getLogger()
    level = root.level
    out = Captured()
    root.addHandler(out.handler)
    try:
        yield out
    finally:
        root.removeHandler(out.handler)
        root.setLevel(level)


@pytest.fixture
def quiet(captured: Captured) -> Captured:
    captured.handler.addFilter(PeriodicTaskFilter(periodic_tasks()))
    return captured


class OfflineScheduler(Scheduler):
    def apply_async(self, entry: Any, producer: Any = None, advance: bool = True, **_: Any) -> Any:
        return None  # nothing is sent: only the line beat writes first is wanted


def routine_lines(task: str) -> None:
    """What one run of a scheduled ``task`` writes at INFO, from beat and from the worker."""
    app = Celery("test", set_as_current=False)
    scheduler = OfflineScheduler(app, lazy=True, Producer=object)
    scheduler.apply_entry(ScheduleEntry(name=task.split(".")[-1], task=task, app=app, schedule=1))
    context = {"id": "0f0e", "name": task, "args": "()", "kwargs": "{}", "eta": None}
    logging.getLogger("celery.worker.strategy").info(
        trace.LOG_RECEIVED, context, extra={"data": context}
    )
    trace.info(trace.LOG_SUCCESS, {"id": "0f0e", "name": task, "return_value": 0, "runtime": 0.01})
    # A run that expired before a worker took it (the next one supersedes it).
    logging.getLogger("celery.worker.request").info("Discarding revoked task: %s[%s]", task, "0f0e")


def test_the_periodic_tasks_are_the_sweep_delivery_and_prune() -> None:
    assert periodic_tasks() == {SWEEP, webhooks.DELIVER, PRUNE}


@pytest.mark.parametrize("task", sorted(periodic_tasks()))
def test_routine_lines_about_periodic_tasks_are_not_shown_at_info(
    task: str, quiet: Captured
) -> None:
    logging.getLogger().setLevel(logging.INFO)
    routine_lines(task)
    assert quiet.lines() == []


def test_at_debug_they_are_shown_as_debug(quiet: Captured) -> None:
    logging.getLogger().setLevel(logging.DEBUG)
    routine_lines(SWEEP)
    lines = quiet.lines()
    assert {
        f"Scheduler: Sending due task sweep ({SWEEP})",
        f"Task {SWEEP}[0f0e] received",
        f"Task {SWEEP}[0f0e] succeeded in 0.01s: 0",
        f"Discarding revoked task: {SWEEP}[0f0e]",
    } <= {line["event"] for line in lines}
    assert {line["level"] for line in lines} == {"debug"}


def test_without_the_filter_the_same_lines_are_info(captured: Captured) -> None:
    logging.getLogger().setLevel(logging.INFO)
    routine_lines(SWEEP)
    assert [line["level"] for line in captured.lines()] == ["info"] * 4


def test_lines_about_submissions_stay_at_info(quiet: Captured) -> None:
    logging.getLogger().setLevel(logging.INFO)
    routine_lines(PROCESS_SUBMISSION)
    assert [line["level"] for line in quiet.lines()] == ["info"] * 4


def test_failures_of_periodic_tasks_and_their_findings_stay(quiet: Captured) -> None:
    logging.getLogger().setLevel(logging.INFO)
    logging.getLogger("celery.app.trace").error(
        trace.LOG_FAILURE,
        {
            "id": "0f0e",
            "name": SWEEP,
            "description": "raised unexpected",
            "exc": "OperationalError",
        },
    )
    logging.getLogger("services.worker.celery_app").info(
        "sweeper re-sent submissions", extra={"count": 3}
    )
    logging.getLogger("services.worker.webhooks").warning("webhook delivery failed")
    lines = quiet.lines()
    assert [(line["level"], line["event"]) for line in lines] == [
        ("error", f"Task {SWEEP}[0f0e] raised unexpected: OperationalError"),
        ("info", "sweeper re-sent submissions"),
        ("warning", "webhook delivery failed"),
    ]
    assert lines[1]["count"] == 3


def test_quiet_periodic_tasks_installs_one_filter_on_the_root_handlers(
    captured: Captured,
) -> None:
    try:
        quiet_periodic_tasks({SWEEP})
        quiet_periodic_tasks({SWEEP, PRUNE})  # replaces the first
        filters = [f for f in captured.handler.filters if isinstance(f, PeriodicTaskFilter)]
        assert [f.tasks for f in filters] == [frozenset({SWEEP, PRUNE})]
    finally:
        for handler in logging.getLogger().handlers:
            for f in [f for f in handler.filters if isinstance(f, PeriodicTaskFilter)]:
                handler.removeFilter(f)
