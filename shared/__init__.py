"""Dateline's core: models, formats, normalisation, timestamps and storage.

Nothing here imports FastAPI or Celery; the services under ``services/`` depend on this
package, never the reverse.
"""
