"""Engines and migrations. Engines are built per process (after a Celery fork), never at import."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, create_engine

from shared.core.settings import Settings, sqlalchemy_url

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"


def make_engine(
    database_url: str, *, pool_size: int = 5, max_overflow: int = 10, pre_ping: bool = True
) -> Engine:
    """A pooled engine. Connections are made as needed and kept up to ``pool_size``; above it
    ``max_overflow`` more are made and closed again after use, so ``pool_size`` should cover the
    process's usual concurrency (the API: its thread limit) or every request pays a connect.

    ``pre_ping`` checks each connection with a round trip when it is taken from the pool. The
    API turns it off (it would double the round trips of a push): after a database restart the
    requests already holding a stale connection answer 503, the pool is renewed at once, and
    the partner's retry succeeds."""
    return create_engine(
        sqlalchemy_url(database_url),
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_pre_ping=pre_ping,
        pool_recycle=3600,
        hide_parameters=True,  # logged errors must not carry raw bodies or secrets
        future=True,
    )


def api_engine(database_url: str, settings: Settings) -> Engine:
    """The API's engine: a connection kept for each of its threads (plus a few for the stream
    poller and the checks), no pre-ping."""
    return make_engine(database_url, pool_size=settings.api_threads + 4, pre_ping=False)


@contextmanager
def autocommit(engine: Engine) -> Iterator[Connection]:
    """A connection whose every statement is its own transaction: for a single read or a single
    write, it saves the BEGIN and COMMIT (or ROLLBACK) round trips."""
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT")
        yield conn


def alembic_config() -> Config:  # alembic is imported only by what migrates
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision; safe to run concurrently and repeatedly."""
    from alembic import command

    config = alembic_config()
    with engine.begin() as connection:
        # One migrator at a time: `up`, `migrate` and compose's job may start together.
        connection.exec_driver_sql("SELECT pg_advisory_xact_lock(7461726)")
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
