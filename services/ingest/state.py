"""What the API's routes share, read through one typed accessor: ``state_of(request).engine``
rather than untyped ``request.app.state.engine`` lookups scattered over the routes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import redis
from celery import Celery
from fastapi import FastAPI, Request
from sqlalchemy import Engine

from shared.core.settings import Settings

T = TypeVar("T")


@dataclass(slots=True)
class ApiState:
    settings: Settings
    engine: Engine
    celery: Celery
    redis: redis.Redis | None = None  # made on first use (rate limit, replay cache)
    # One object per type, made on first use inside the app's event loop (the stream hub, the
    # parser pool, the body budget): their modules say how, this one need not know them.
    _made: dict[type, Any] = field(default_factory=dict)

    def one(self, kind: type[T], make: Callable[[], T]) -> T:
        """The app's ``kind`` object, made by ``make`` the first time."""
        found: T | None = self._made.get(kind)
        if found is None:
            found = self._made[kind] = make()
        return found

    def made(self, kind: type[T]) -> T | None:
        """The app's ``kind`` object if it was made."""
        found: T | None = self._made.get(kind)
        return found


def install(app: FastAPI, settings: Settings, engine: Engine, celery: Celery) -> ApiState:
    state = ApiState(settings, engine, celery)
    app.state.api = state
    return state


def state_of(where: Request | FastAPI) -> ApiState:
    app = where.app if isinstance(where, Request) else where
    state: ApiState = app.state.api
    return state
