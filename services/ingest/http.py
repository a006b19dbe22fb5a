"""How the API is served: uvicorn with the C HTTP parser (httptools), bounded.

uvicorn's httptools protocol is 1.7× as fast as its pure-Python h11 one
(``bench/http_parsers.py``), but it bounds nothing: a request head of any size is collected, and
a connection that sends a few bytes a minute, or nothing at all, is held for ever. This protocol
adds the bounds a server facing the internet needs:

* **Head size.** The request line and headers together may hold ``MAX_HEAD_BYTES`` (64 KiB);
  above that the answer is ``431`` and the connection is closed.
* **Head time.** A request's head must arrive within ``DATELINE_HEADER_TIMEOUT_SECONDS``
  (10 s) of its first byte, and a new connection must start one within that time: else
  ``408`` and the connection is closed (slowloris).
* **Body time.** A request's body must arrive within ``DATELINE_READ_TIMEOUT_SECONDS`` (60 s)
  of its head (5 MiB in 60 s is 85 KB/s): else ``408``, closed; the route sees a disconnect.

Idle keep-alive connections are closed by uvicorn itself after ``timeout_keep_alive`` (5 s).

And what a connection makes the API hold before its request is read:

* **Reads of ``READ_BYTES`` (64 KiB).** The event loop reads up to 256 KiB from a connection at
  a time (uvloop and asyncio alike), so each connection with a large body in waiting held up
  to 256 KiB before its route had read a byte (45 large pushes in waiting: 10 MB). Here
  connections are read through one 64 KiB buffer per event loop (``SmallReads``).
* **A large body waits for its route.** Once the head declares a body over ``READ_BYTES``,
  reading pauses until the route asks for the body (uvicorn resumes it then): a large push
  waiting for its partner's turn in the parser pool holds its head and one read, not its body.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

import httptools
import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from shared.core.settings import Settings

logger = logging.getLogger(__name__)

MAX_HEAD_BYTES = 64 * 1024
READ_BYTES = 64 * 1024


class _HeadTooLarge(Exception):
    pass


class BoundedHttpTools(HttpToolsProtocol):
    """uvicorn's httptools protocol with a bounded request head and read deadlines."""

    header_timeout = 10.0
    read_timeout = 60.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_bytes = 0
        self._declared = 0
        self._deadline: asyncio.TimerHandle | None = None

    # The deadline: one timer, for the head or for the body.
    def _arm(self, seconds: float) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(seconds, self._too_slow)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _too_slow(self) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        started = self.cycle is not None and self.cycle.response_started
        if not started:
            logger.info("request too slow; connection closed", extra={"client": self.client})
            self._refuse(408, b"the request did not arrive in time")
        else:
            self.transport.close()

    def _refuse(self, status: int, message: bytes) -> None:
        reason = {408: b"Request Timeout", 431: b"Request Header Fields Too Large"}[status]
        self.transport.write(
            b"HTTP/1.1 %d %s\r\ncontent-type: text/plain; charset=utf-8\r\n"
            b"content-length: %d\r\nconnection: close\r\n\r\n%s"
            % (status, reason, len(message), message)
        )
        self.transport.close()

    # uvicorn's protocol, with the bounds.
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm(self.header_timeout)  # a connection that never starts a request is closed

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        self._unset_keepalive_if_required()
        if self._deadline is None and (self.cycle is None or self.cycle.response_complete):
            self._arm(self.header_timeout)  # the next request on a kept-alive connection
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserCallbackError as exc:
            if isinstance(exc.__context__, _HeadTooLarge):
                self._refuse(431, b"the request line and headers are over 64 KiB")
                return
            self._invalid()
        except httptools.HttpParserError:
            self._invalid()
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()

    def _invalid(self) -> None:
        self._disarm()
        message = "Invalid HTTP request received."
        self.logger.warning(message)
        self.send_400_response(message)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._head_bytes = 0
        self._declared = 0  # the body's Content-Length

    def on_url(self, url: bytes) -> None:
        self._count(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count(len(name) + len(value) + 4)
        if name.lower() == b"content-length" and value.strip().isdigit():
            self._declared = int(value)
        super().on_header(name, value)

    def _count(self, size: int) -> None:
        self._head_bytes += size
        if self._head_bytes > MAX_HEAD_BYTES:
            raise _HeadTooLarge

    def on_headers_complete(self) -> None:
        self._arm(self.read_timeout)
        super().on_headers_complete()
        if self._declared > READ_BYTES:
            self.flow.pause_reading()  # until the route asks for the body (cycle.receive)

    def on_message_complete(self) -> None:
        self._disarm()
        super().on_message_complete()


class _Buffer(threading.local):
    """One read buffer per thread, so per event loop: a loop asks for it, reads into it and
    hands it back (``buffer_updated``) in one step, before any other connection's read."""

    def __init__(self) -> None:
        # A view, not the bytearray: asyncio's TLS reader writes into a slice of what it is
        # given, and a bytearray's slice is a copy.
        self.memory = memoryview(bytearray(READ_BYTES))


_BUFFER = _Buffer()


class SmallReads(asyncio.BufferedProtocol):
    """A connection read ``READ_BYTES`` at a time, for the HTTP protocol ``http`` (which, being
    an ``asyncio.Protocol``, would be handed all the loop reads at once)."""

    http: type[BoundedHttpTools] = BoundedHttpTools

    def __init__(self, **kwargs: Any) -> None:
        self.inner = self.http(**kwargs)

    def get_buffer(self, sizehint: int) -> memoryview:
        return _BUFFER.memory

    def buffer_updated(self, nbytes: int) -> None:
        self.inner.data_received(_BUFFER.memory[:nbytes].tobytes())

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.inner.connection_made(transport)  # type: ignore[arg-type]

    def connection_lost(self, exc: Exception | None) -> None:
        self.inner.connection_lost(exc)

    def eof_received(self) -> None:
        self.inner.eof_received()

    def pause_writing(self) -> None:
        self.inner.pause_writing()

    def resume_writing(self) -> None:
        self.inner.resume_writing()


def protocol_for(settings: Settings) -> type[SmallReads]:
    """The protocol with this configuration's timeouts."""
    http = type(
        "DatelineHttp",
        (BoundedHttpTools,),
        {
            "header_timeout": settings.header_timeout_seconds,
            "read_timeout": settings.read_timeout_seconds,
        },
    )
    return type("DatelineConnection", (SmallReads,), {"http": http})


def server_config(app: Any, settings: Settings, **options: Any) -> uvicorn.Config:
    """The uvicorn configuration every server of the API uses (``up``, ``api``, the tests)."""
    return uvicorn.Config(
        app,
        http=protocol_for(settings),  # type: ignore[arg-type]  # any protocol factory
        log_config=None,
        access_log=False,
        lifespan="on",  # the app closes its event loop's connections (app._lifespan)
        **options,
    )
