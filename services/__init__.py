"""Dateline's processes: the ingest API, the Celery worker and the ``dateline`` CLI."""
