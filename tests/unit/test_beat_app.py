"""Beat's app (services/worker/beat_app.py): the worker's schedule, without the worker's code."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.support import PATIENCE

ENV = {
    **os.environ,
    "DATELINE_REDIS_URL": "redis://127.0.0.1:1/0",
    "DATELINE_DATABASE_URL": "postgresql://dateline@127.0.0.1:1/unused",
}
HEAVY = ("sqlalchemy", "lxml", "psycopg", "services.worker.pipeline", "services.worker.celery_app")


def _in_a_process(module: str) -> dict[str, object]:
    code = f"""
import json, sys
from {module} import app
print(json.dumps({{
    "schedule": {{name: [entry["task"], entry["schedule"], entry["options"]]
                 for name, entry in app.conf.beat_schedule.items()}},
    "tasks": sorted(app.tasks),
    "broker": app.conf.broker_url,
    "loaded": [name for name in {HEAVY!r} if name in sys.modules],
}}))
"""
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=ENV,
        capture_output=True,
        text=True,
        timeout=PATIENCE,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_beat_sends_what_the_worker_runs_and_loads_none_of_the_worker_s_code() -> None:
    beat = _in_a_process("services.worker.beat_app")
    worker = _in_a_process("services.worker.celery_app")
    assert beat["loaded"] == []
    assert beat["schedule"] == worker["schedule"] and beat["broker"] == worker["broker"]
    schedule = beat["schedule"]
    assert isinstance(schedule, dict) and set(schedule) == {"sweep", "prune", "deliver"}
    worker_tasks = worker["tasks"]
    assert isinstance(worker_tasks, list)
    assert {task for task, _, _ in schedule.values()} <= set(worker_tasks)
