"""The ingest and read API (FastAPI)."""
