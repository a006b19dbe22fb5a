"""The Celery worker: thin tasks over ``pipeline`` (which has no Celery import)."""
