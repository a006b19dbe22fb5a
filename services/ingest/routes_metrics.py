"""``GET /metrics`` on the API port. The counters and the exposition are services/metrics.py,
which the worker imports too: it must not pull in the web framework."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST

from services.ingest.state import state_of
from services.metrics import authorize, exposition

router = APIRouter()


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    """The exposition; behind a bearer token when ``DATELINE_METRICS_TOKEN`` is set."""
    state = state_of(request)
    authorize(state.settings, request.headers.get("authorization"))
    return Response(exposition(state.engine), media_type=CONTENT_TYPE_LATEST)
