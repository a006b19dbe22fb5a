"""The error tree. Every error Dateline raises on purpose is a ``DatelineError``.

    DatelineError                      code, HTTP status, title
    ├── InputError                     bad input from a client: always a 4xx, nothing stored
    │   ├── Malformed        400       bytes or syntax that cannot be parsed
    │   ├── Unauthorized     401
    │   ├── Forbidden        403
    │   ├── NotFound         404
    │   ├── PayloadTooLarge  413
    │   ├── UnsupportedMediaType 415
    │   ├── Invalid          422       well-formed but invalid content
    │   │   └── TimestampError         an impossible or unreadable date
    │   └── RateLimited      429
    ├── Unavailable          503       a dependency is down; the client should retry
    └── TransientError                 worker side: retried with backoff

A worker marks a submission failed on an ``InputError`` or any unexpected exception; it needs no
class of its own.

``errors`` carries ``[{field|index|line, message}]`` entries; ``field`` is a JSON Pointer.
Codes are stable strings: extend them, never rename them.
"""

from __future__ import annotations

from typing import Any, ClassVar

ErrorEntry = dict[str, Any]


class DatelineError(Exception):
    code: ClassVar[str] = "error"
    status: ClassVar[int] = 500
    title: ClassVar[str] = "Internal error"

    def __init__(self, detail: str, *, errors: list[ErrorEntry] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = list(errors or [])

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "detail": self.detail}
        if self.errors:
            body["errors"] = self.errors
        return body


class InputError(DatelineError):
    status = 400


class Malformed(InputError):
    code = "malformed"
    status = 400
    title = "Malformed request body"


class Unauthorized(InputError):
    code = "unauthorized"
    status = 401
    title = "Unauthorized"


class Forbidden(InputError):
    code = "forbidden"
    status = 403
    title = "Forbidden"


class NotFound(InputError):
    code = "not_found"
    status = 404
    title = "Not found"


class PayloadTooLarge(InputError):
    code = "payload_too_large"
    status = 413
    title = "Payload too large"


class UnsupportedMediaType(InputError):
    code = "unsupported_media_type"
    status = 415
    title = "Unsupported media type"


class Invalid(InputError):
    code = "invalid"
    status = 422
    title = "Invalid content"


class TimestampError(Invalid):
    """A date or time that is impossible (31 February, offset +25:00) or cannot be read."""


class RateLimited(InputError):
    code = "rate_limited"
    status = 429
    title = "Too many requests"
    retry_after: int = 1  # seconds, sent as ``Retry-After``


class Unavailable(DatelineError):
    code = "unavailable"
    status = 503
    title = "Service unavailable"
    retry_after: int = 1  # seconds, sent as ``Retry-After``


class TransientError(DatelineError):
    code = "transient"
