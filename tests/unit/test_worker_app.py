"""The worker's Celery app, loaded in a process of its own (services/worker/celery_app.py)."""

from __future__ import annotations

import subprocess
import sys

from tests.support import PATIENCE
from tests.unit.test_beat_app import ENV


def test_what_the_worker_loaded_is_frozen_before_its_pool_forks() -> None:
    """Celery sends ``worker_init`` before it starts the prefork pool: from then on the
    garbage collector leaves the loaded objects alone, so a pool process's full collection
    does not copy the pages it shares with the worker."""
    code = """
import gc
from celery.signals import worker_init
import services.worker.celery_app
before = gc.get_freeze_count()
worker_init.send(sender=None)
print(before, gc.get_freeze_count())
"""
    done = subprocess.run(
        [sys.executable, "-c", code], env=ENV, capture_output=True, text=True,
        timeout=PATIENCE, check=True,
    )  # fmt: skip
    before, after = map(int, done.stdout.split()[-2:])
    assert before == 0
    assert after > 100_000  # the app, SQLAlchemy, the readers, dateparser's data
