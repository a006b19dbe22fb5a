"""Never lose an accepted item: lost Redis messages and killed workers cost seconds, not data.

Timings come from ``FAST`` in conftest: lease 4 s, sweep every 1 s, re-send after 2 s. The
bound each recovery is held to is lease + sweep plus a generous slack for polling and for starting
a replacement worker on a busy machine; what it rules out is waiting for Redis's one-hour
visibility timeout, or for a backlog to drain. The measured figure is printed.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
import redis
from sqlalchemy import Connection, Engine, func, select, text

from shared.core.embedded import redis_client_url
from shared.db.tables import item_versions, items
from tests.conftest import SAMPLES
from tests.support import PATIENCE, editor_token, partner_key, push, wait_done

pytestmark = pytest.mark.e2e

PAGE = (SAMPLES / "e2e" / "potash-2022-03-14.txt").read_bytes()
LEASE, SWEEP = 4.0, 1.0
SLACK = 60.0  # polling, and a replacement worker's start-up on a loaded 2-core machine
BOUND = LEASE + SWEEP + SLACK


@contextmanager
def items_locked(engine: Engine) -> Iterator[Connection]:
    """Hold writers to ``items`` so a worker blocks mid-task, after its claim."""
    with engine.connect() as conn:
        trans = conn.begin()
        conn.execute(text("LOCK TABLE items IN EXCLUSIVE MODE"))
        try:
            yield conn
        finally:
            trans.rollback()


def wait_status(engine: Engine, submission_id: str, status: str, timeout: float = PATIENCE) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            found = conn.execute(
                text("SELECT status FROM submissions WHERE id = :i"), {"i": submission_id}
            ).scalar()
        if found == status:
            return
        time.sleep(0.05)
    raise AssertionError(f"submission never reached {status}")


def assert_stored_once(engine: Engine) -> None:
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(items)).scalar() == 1
        assert conn.execute(select(func.count()).select_from(item_versions)).scalar() == 1


def test_a_flushed_redis_costs_seconds_not_the_item(
    client: httpx.Client, db: Engine, servers, start_worker
) -> None:
    key, token = partner_key(db, "belta", "Europe/Minsk"), editor_token(db)
    accepted = push(client, key, PAGE).json()
    redis.Redis.from_url(redis_client_url(servers.redis_url)).flushall()  # the nudge is gone
    start_worker(beat=True)
    done = wait_done(client, token, accepted["submission_id"], timeout=BOUND)
    assert done["status"] == "done"
    assert [i["verdict"] for i in done["items"]] == ["new"]
    assert_stored_once(db)


def test_killed_pool_child_mid_task_does_not_lose_the_submission(
    client: httpx.Client, db: Engine, start_worker
) -> None:
    key, token = partner_key(db, "belta", "Europe/Minsk"), editor_token(db)
    worker = start_worker(beat=True)
    with items_locked(db):
        accepted = push(client, key, PAGE).json()
        wait_status(db, accepted["submission_id"], "processing")
        [child] = worker.children()
        os.kill(child, signal.SIGKILL)
        killed_at = time.monotonic()
    done = wait_done(client, token, accepted["submission_id"], timeout=BOUND)
    recovered = time.monotonic() - killed_at
    assert done["status"] == "done", done
    assert done["attempts"] == 2
    assert [i["verdict"] for i in done["items"]] == ["new"]
    assert_stored_once(db)
    assert recovered <= BOUND, f"recovered after {recovered:.1f} s"
    print(f"recovered {recovered:.1f} s after the pool child was killed")


def test_killed_worker_main_process_mid_task_does_not_lose_the_submission(
    client: httpx.Client, db: Engine, start_worker
) -> None:
    key, token = partner_key(db, "belta", "Europe/Minsk"), editor_token(db)
    worker = start_worker(beat=True)
    with items_locked(db):
        accepted = push(client, key, PAGE).json()
        wait_status(db, accepted["submission_id"], "processing")
        worker.kill_main()  # SIGKILL to the main process and its pool
        killed_at = time.monotonic()
    start_worker()
    done = wait_done(client, token, accepted["submission_id"], timeout=BOUND)
    recovered = time.monotonic() - killed_at
    assert done["status"] == "done", done
    assert done["attempts"] == 2
    assert_stored_once(db)
    assert recovered <= BOUND, f"recovered after {recovered:.1f} s"
    print(f"recovered {recovered:.1f} s after the worker was killed")


def test_exhausted_attempts_end_dead(client: httpx.Client, db: Engine, start_worker) -> None:
    key, token = partner_key(db, "belta", "Europe/Minsk"), editor_token(db)
    accepted = push(client, key, PAGE).json()
    with db.begin() as conn:  # as if five workers had died holding it
        conn.execute(
            text(
                "UPDATE submissions SET attempts = 5, status = 'processing', "
                "lease_until = now() - interval '1 second' WHERE id = :i"
            ),
            {"i": accepted["submission_id"]},
        )
    start_worker(beat=True)
    done = wait_done(client, token, accepted["submission_id"], timeout=BOUND)
    assert done["status"] == "dead"
    assert done["error"]["code"] == "attempts_exhausted"
