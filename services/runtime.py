"""Resolve where the servers are: explicit URLs win, else the embedded servers in data_dir."""

from __future__ import annotations

from dataclasses import dataclass

from shared.core.embedded import EmbeddedPostgres, EmbeddedRedis
from shared.core.settings import Settings


@dataclass
class Runtime:
    settings: Settings
    database_url: str
    redis_url: str | None
    postgres: EmbeddedPostgres | None = None
    redis: EmbeddedRedis | None = None

    def close(self) -> None:
        if self.redis is not None:
            self.redis.stop()
        if self.postgres is not None:
            self.postgres.stop()


def resolve(
    settings: Settings, *, need_redis: bool, keep_running: bool = False, start_redis: bool = True
) -> Runtime:
    """URLs for the database (and Redis); embedded servers are started or joined as needed."""
    postgres = None
    database_url = settings.database_url
    if database_url is None:
        postgres = EmbeddedPostgres(settings.data_dir, keep_running=keep_running)
        database_url = postgres.start()
    redis = None
    redis_url = settings.redis_url
    if redis_url is None and need_redis:
        embedded = EmbeddedRedis(settings.data_dir)
        redis_url = embedded.running_url()
        if redis_url is None and start_redis:
            redis_url = embedded.start()
            redis = embedded
    return Runtime(settings, database_url, redis_url, postgres, redis)
