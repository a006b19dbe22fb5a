"""What the API's routes share, read through one typed accessor: ``state_of(request).engine``
rather than untyped ``request.app.state.engine`` lookups scattered over the routes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from celery import Celery
from fastapi import FastAPI, Request
from sqlalchemy import Engine

from shared.settings import Settings

if TYPE_CHECKING:
    import redis

    from services.ingest.body import BodyBudget
    from services.ingest.parsing import ParsePool
    from services.ingest.streams import StreamHub


@dataclass(slots=True)
class ApiState:
    settings: Settings
    engine: Engine
    celery: Celery
    # Made on first use, inside the app's event loop or its threads.
    redis: redis.Redis | None = None
    stream_hub: StreamHub | None = None
    parse_pool: ParsePool | None = None
    body_budget: BodyBudget | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def install(app: FastAPI, settings: Settings, engine: Engine, celery: Celery) -> ApiState:
    state = ApiState(settings, engine, celery)
    app.state.api = state
    return state


def state_of(where: Request | FastAPI) -> ApiState:
    app = where.app if isinstance(where, Request) else where
    state: ApiState = app.state.api
    return state
