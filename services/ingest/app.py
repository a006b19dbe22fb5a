"""The API's composition root: ``create_app(settings, engine, celery)``."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import redis
from celery import Celery
from fastapi import FastAPI, Response
from fastapi.responses import RedirectResponse
from sqlalchemy import Engine, text

from services.ingest import (
    desk,
    problems,
    ratelimit,
    routes,
    routes_feeds,
    routes_metrics,
    routes_push,
    routes_subscriptions,
)
from services.ingest.edge import Edge
from services.ingest.loopdb import LoopPool
from services.ingest.state import install, state_of
from services.queue import LoopSender, redis_of
from shared.core.memory import return_large_buffers
from shared.core.settings import Settings
from shared.reading.timestamps import warm_up

logger = logging.getLogger(__name__)


def create_app(settings: Settings, engine: Engine, celery: Celery) -> FastAPI:
    app = FastAPI(
        lifespan=_lifespan,
        title="Dateline",
        version="0.1.0",
        description="Wire ingestion: partners push items; editors read normalised items.",
    )
    install(app, settings, engine, celery)  # routes read it through state_of()
    warm_up()  # the first push must not pay for loading the date parser's data
    return_large_buffers()  # large bodies' memory leaves with them (shared/core/memory.py)
    problems.install(app)
    app.include_router(routes.router)
    app.include_router(routes_push.router)
    app.include_router(desk.router)
    app.include_router(routes_feeds.router)
    app.include_router(routes_metrics.router)
    app.include_router(routes_subscriptions.router)

    app.add_middleware(Edge, threads=settings.api_threads)

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/desk", status_code=307)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:  # on the loop: it never waits for a busy thread
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    def readyz(response: Response) -> dict[str, Any]:
        checks = {"database": _check_db(engine), "redis": _check_redis(celery)}
        ok = all(v == "ok" for v in checks.values())
        response.status_code = 200 if ok else 503
        return {"status": "ok" if ok else "unavailable", "checks": checks}

    return app


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Nothing to start; on the way out, the push path's connections made on the event loop
    (services/ingest/loopdb.py, ratelimit.LoopRedis, queue.LoopSender) are closed while their
    loop still runs."""
    yield
    state = state_of(app)
    pool = state.made(LoopPool)
    if pool is not None:
        await pool.close()
    limiter = state.made(ratelimit.LoopRedis)
    if limiter is not None:
        await limiter.client.aclose()
    sender = state.made(LoopSender)
    if sender is not None:
        await sender.close()


def _check_db(engine: Engine) -> str:
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # readiness reports any failure
        return f"error: {type(exc).__name__}"
    return "ok"


def _check_redis(celery: Celery) -> str:
    """A ping on a broker connection from Celery's pool. Opening a new connection per probe, as
    this did, grew the process by about 1.6 MB every 5,000 probes (docs/performance.md)."""
    try:
        with redis_of(celery, timeout=2) as client:
            try:
                client.ping()
            # A connection Redis dropped (a restart): once more, on a new one. Recent redis-py
            # retries by itself; the versions our lower bound allows may not.
            except redis.ConnectionError:
                client.ping()
    except Exception as exc:  # readiness reports any failure
        return f"error: {type(exc).__name__}"
    return "ok"
