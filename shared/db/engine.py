"""Engines and migrations. Engines are built per process (after a Celery fork), never at import."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine

from shared.settings import sqlalchemy_url

MIGRATIONS = Path(__file__).parent / "migrations"


def make_engine(database_url: str, *, pool_size: int = 5) -> Engine:
    return create_engine(
        sqlalchemy_url(database_url),
        pool_size=pool_size,
        max_overflow=10,
        pool_pre_ping=True,
        hide_parameters=True,  # logged errors must not carry raw bodies or secrets
        future=True,
    )


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision; safe to run concurrently and repeatedly."""
    config = alembic_config()
    with engine.begin() as connection:
        # One migrator at a time: `up`, `migrate` and compose's job may start together.
        connection.exec_driver_sql("SELECT pg_advisory_xact_lock(7461726)")
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
