"""Celery beat's app (``celery -A services.worker.beat_app beat``): the worker's Celery
configuration and schedule (``services.queue.make_celery``), without the worker's code.

Beat only sends the scheduled tasks, by name, to their queue. Started with the worker's app
(``services.worker.celery_app``) it imported the readers, SQLAlchemy and the deduplication
code it never runs: 1,479 modules, a 163 MB process for the whole life of the stack. With this
app it is a fraction of that (docs/performance.md).
"""

from __future__ import annotations

from services.logs import configure_logging, quiet_periodic_tasks
from services.queue import make_celery
from shared.core.embedded import EmbeddedRedis
from shared.core.settings import Settings

settings = Settings()
configure_logging(settings.log_level)
# Redis only: beat never touches the database (so it never starts an embedded one either).
_redis_url = settings.redis_url or EmbeddedRedis(settings.data_dir).running_url()
if _redis_url is None:
    raise RuntimeError("no Redis: set DATELINE_REDIS_URL or run `dateline up`")
app = make_celery(settings, _redis_url)
# Celery's per-run lines for the scheduled tasks are DEBUG; the tasks log what they find.
quiet_periodic_tasks(entry["task"] for entry in app.conf.beat_schedule.values())
