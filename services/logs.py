"""One JSON object per line on stderr; ``extra=`` fields become keys. No secrets, no bodies.

Celery's routine lines about the periodic tasks (sweep, webhook delivery, prune) are DEBUG, not
INFO: beat sends a sweep every second, and "Sending due task", "Task … received" and "Task …
succeeded" for each made about two lines a second on an idle system. What those tasks find (a
sweep that re-sent submissions, a delivery that failed) they log themselves at INFO or WARNING.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        entry.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def configure_logging(level: str = "INFO") -> None:
    root = logging.getLogger()
    if any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.getLogger("pgserver").setLevel(logging.WARNING)  # chatty about every pg_ctl call


class PeriodicTaskFilter(logging.Filter):
    """Demote Celery's INFO lines that name one of ``tasks`` to DEBUG (and drop them unless the
    logger that wrote them is enabled for DEBUG). Warnings and errors about them are untouched.

    A line names a task when one of its arguments is the task's name: the mapping of "Task
    %(name)s[%(id)s] received/succeeded", or the arguments of "Scheduler: Sending due task %s
    (%s)" and "Discarding revoked task: %s[%s]" (a sweep that expired unrun)."""

    def __init__(self, tasks: Iterable[str]) -> None:
        super().__init__()
        self.tasks = frozenset(tasks)

    def _names_a_task(self, args: object) -> bool:
        if isinstance(args, Mapping):
            return args.get("name") in self.tasks
        if isinstance(args, tuple):
            return any(isinstance(arg, str) and arg in self.tasks for arg in args)
        return False

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.INFO or not record.name.startswith("celery"):
            return True
        if not self._names_a_task(record.args):
            return True
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)


def quiet_periodic_tasks(tasks: Iterable[str]) -> None:
    """Install :class:`PeriodicTaskFilter` for ``tasks`` on the root logger's handlers (in
    place of an earlier one); call after :func:`configure_logging`."""
    quiet = PeriodicTaskFilter(tasks)
    for handler in logging.getLogger().handlers:
        for old in [f for f in handler.filters if isinstance(f, PeriodicTaskFilter)]:
            handler.removeFilter(old)
        handler.addFilter(quiet)
