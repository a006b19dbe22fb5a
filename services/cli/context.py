"""Settings and database access for CLI commands (embedded servers joined or started)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine

from services.runtime import Runtime, resolve
from shared.core.settings import Settings
from shared.db.engine import make_engine, migrate


@contextmanager
def database(*, need_redis: bool = False) -> Iterator[tuple[Runtime, Engine]]:
    """A migrated database; embedded servers started here are stopped on exit."""
    runtime = resolve(Settings(), need_redis=need_redis)
    engine = make_engine(runtime.database_url, pool_size=1)
    try:
        migrate(engine)
        yield runtime, engine
    finally:
        engine.dispose()
        runtime.close()


@contextmanager
def transaction() -> Iterator[Connection]:
    with database() as (_, engine), engine.begin() as conn:
        yield conn
