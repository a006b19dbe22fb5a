"""The API's composition root: ``create_app(settings, engine, celery)``."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from celery import Celery
from fastapi import FastAPI, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy import Engine, text

from services import metrics
from services.ingest import (
    desk,
    problems,
    routes,
    routes_feeds,
    routes_push,
    routes_subscriptions,
)
from shared.settings import Settings
from shared.timestamps import warm_up

logger = logging.getLogger(__name__)


def create_app(settings: Settings, engine: Engine, celery: Celery) -> FastAPI:
    app = FastAPI(
        title="Dateline",
        version="0.1.0",
        description="Wire ingestion: partners push items; editors read normalised items.",
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.celery = celery
    warm_up()  # the first push must not pay for loading the date parser's data
    problems.install(app)
    app.include_router(routes.router)
    app.include_router(routes_push.router)
    app.include_router(desk.router)
    app.include_router(routes_feeds.router)
    app.include_router(metrics.router)
    app.include_router(routes_subscriptions.router)

    @app.middleware("http")
    async def refuse_nul(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        # PostgreSQL text cannot hold U+0000; refuse it before it reaches a query. The query is
        # checked decoded: "%00" is the NUL a client sends.
        params = request.query_params.multi_items()
        if "\x00" in request.url.path or any("\x00" in k + v for k, v in params):
            return problems.problem(
                400, "malformed", "Malformed request", "the path or query contains a NUL character"
            )
        return await call_next(request)

    @app.middleware("http")
    async def request_id(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        rid = request.headers.get("x-request-id") or uuid.uuid4().hex
        request.state.request_id = rid[:64]
        response = await call_next(request)
        response.headers["X-Request-ID"] = request.state.request_id
        return response

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/desk", status_code=307)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    def readyz(response: Response) -> dict[str, Any]:
        checks = {"database": _check_db(engine), "redis": _check_redis(celery)}
        ok = all(v == "ok" for v in checks.values())
        response.status_code = 200 if ok else 503
        return {"status": "ok" if ok else "unavailable", "checks": checks}

    return app


def _check_db(engine: Engine) -> str:
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # readiness reports any failure
        return f"error: {type(exc).__name__}"
    return "ok"


def _check_redis(celery: Celery) -> str:
    try:
        with celery.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:  # readiness reports any failure
        return f"error: {type(exc).__name__}"
    return "ok"
