"""Helpers for API tests: partners, tokens, pushes and waiting for the worker."""

from __future__ import annotations

import os
import time
from typing import Any

import httpx
from sqlalchemy import Engine

from shared.db import credentials

TEXT = "text/plain; charset=utf-8"

# How long a test waits for something to happen before it gives up. Waits end as soon as the
# event is seen, so this only bounds a failure; it is generous because the suite must pass on a
# busy 2-core machine, where starting a Celery worker alone has taken over 10 s.
PATIENCE = float(os.environ.get("DATELINE_TEST_PATIENCE", "120"))


def partner_key(
    engine: Engine, slug: str, timezone: str = "UTC", languages: tuple[str, ...] = ()
) -> str:
    with engine.begin() as conn:
        _, key = credentials.create_partner(conn, slug=slug, timezone=timezone, languages=languages)
    return key


def editor_token(engine: Engine, role: str = "editor") -> str:
    with engine.begin() as conn:
        return credentials.create_token(conn, name=f"test-{role}", role=role)


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def push(
    client: httpx.Client, key: str, body: bytes, content_type: str = TEXT, **headers: str
) -> httpx.Response:
    return client.post(
        "/v1/items", content=body, headers={**bearer(key), "Content-Type": content_type, **headers}
    )


def wait_done(
    client: httpx.Client, token: str, submission_id: str, timeout: float = PATIENCE
) -> dict[str, Any]:
    """Poll the submission until it is finished; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    body: dict[str, Any] = {}
    while time.monotonic() < deadline:
        body = client.get(f"/v1/submissions/{submission_id}", headers=bearer(token)).json()
        if body.get("status") in ("done", "failed", "dead"):
            return body
        time.sleep(0.1)
    raise AssertionError(f"submission {submission_id} not finished in {timeout} s: {body}")
