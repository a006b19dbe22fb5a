"""RFC 9457 problem+json: the one place where errors become HTTP responses."""

from __future__ import annotations

import logging
from typing import Any

import psycopg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect

from services import metrics
from shared.core.errors import DatelineError, RateLimited, Unavailable

logger = logging.getLogger(__name__)

PROBLEM = "application/problem+json"
PUSH_PATHS = ("/v1/items", "/v1/push/")
_CODES = {
    400: "malformed",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "rate_limited",
    503: "unavailable",
}


def problem(
    status: int,
    code: str,
    title: str,
    detail: str,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"https://dateline.dev/problems/{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if errors:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def for_dateline(request: Request, exc: DatelineError) -> JSONResponse:
    if request.method == "POST" and request.url.path.startswith(PUSH_PATHS):
        metrics.record_rejected(exc.code)
    headers = None
    if isinstance(exc, RateLimited | Unavailable):
        headers = {"Retry-After": str(exc.retry_after)}
    if exc.status == 401:
        headers = {"WWW-Authenticate": "Bearer"}
    return problem(exc.status, exc.code, exc.title, exc.detail, exc.errors, headers)


def for_http(exc: HTTPException) -> JSONResponse:
    code = _CODES.get(exc.status_code, "error")
    return problem(
        exc.status_code,
        code,
        str(exc.detail),
        str(exc.detail),
        headers=getattr(exc, "headers", None),
    )


def for_disconnect(request: Request) -> JSONResponse:
    # The client went away mid-upload: nothing was stored and nobody reads the answer.
    logger.info("client disconnected mid-request", extra={"path": request.url.path})
    return problem(400, "malformed", "Client disconnected", "the request body was cut short")


def for_database_down(request: Request) -> JSONResponse:
    logger.error("database unavailable", extra={"path": request.url.path})
    return problem(
        503,
        "unavailable",
        "Service unavailable",
        "the database is unavailable; retry later",
        headers={"Retry-After": "5"},
    )


def for_unexpected(request: Request) -> JSONResponse:
    logger.exception("unhandled error", extra={"path": request.url.path})
    return problem(500, "internal", "Internal error", "an unexpected error occurred")


def answer(request: Request, exc: Exception) -> JSONResponse:
    """The problem for what a route raised, as the handlers ``install`` registers give it: for
    the routes the edge serves without FastAPI's routing (services/ingest/edge.py)."""
    if isinstance(exc, DatelineError):
        return for_dateline(request, exc)
    if isinstance(exc, HTTPException):
        return for_http(exc)
    if isinstance(exc, ClientDisconnect):
        return for_disconnect(request)
    if isinstance(exc, OperationalError | psycopg.OperationalError):  # the latter: loopdb.py
        return for_database_down(request)
    return for_unexpected(request)


def install(app: FastAPI) -> None:
    @app.exception_handler(DatelineError)
    async def _dateline(request: Request, exc: DatelineError) -> JSONResponse:
        return for_dateline(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {
                "field": "/".join(str(p) for p in e["loc"][1:]) or str(e["loc"][0]),
                "message": e["msg"],
            }
            for e in exc.errors()
        ]
        return problem(
            422, "invalid", "Invalid request", "the request parameters are invalid", errors
        )

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> JSONResponse:
        return for_http(exc)

    @app.exception_handler(ClientDisconnect)
    async def _gone(request: Request, exc: ClientDisconnect) -> JSONResponse:
        return for_disconnect(request)

    @app.exception_handler(OperationalError)
    async def _database_down(request: Request, exc: OperationalError) -> JSONResponse:
        return for_database_down(request)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        return for_unexpected(request)
