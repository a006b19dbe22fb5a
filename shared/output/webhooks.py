"""Outbound webhooks: Standard Webhooks signatures and the SSRF guard for target URLs.

``check_url`` refuses anything but an absolute http(s) URL whose host resolves only to public
addresses (unless private targets are explicitly allowed) and returns the address to connect
to: the sender connects to that pinned address, so a second DNS answer (rebinding) cannot
redirect a delivery into the private network.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import secrets
import socket
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from shared.core.errors import Invalid
from shared.core.settings import Settings

SECRET_PREFIX = "whsec_"
MAX_URL = 2048
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
RESOLVE_TIMEOUT = 5.0  # seconds a DNS lookup may take before the target counts as unresolved
_RESOLVER = ThreadPoolExecutor(max_workers=8, thread_name_prefix="webhook-dns")


class UnsafeTarget(Invalid):
    """A webhook URL that is not http(s), does not resolve, or points at a refused address."""

    def __init__(self, message: str) -> None:
        super().__init__(
            f"webhook url refused: {message}", errors=[{"field": "/url", "message": message}]
        )


@dataclass(frozen=True, slots=True)
class Target:
    """Where a delivery goes: the URL as given and the one address to connect to."""

    url: str
    scheme: str
    host: str
    port: int
    address: str


def new_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` and 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value: ``v1,<base64 HMAC-SHA256 of "{id}.{ts}.{body}">``."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    content = f"{msg_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()


def allow_private(settings: Settings) -> bool:
    """``DATELINE_WEBHOOK_ALLOW_PRIVATE``: whether private targets are allowed."""
    return settings.webhook_allow_private


def refused(address: IPAddress) -> bool:
    """Whether an address is loopback, private, link-local (metadata), CGNAT, ULA, multicast,
    reserved or unspecified, also when it is embedded in an IPv6 address (mapped, 6to4,
    Teredo, NAT64)."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if address.teredo is not None:
            embedded = address.teredo[1]
        if address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None and refused(embedded):
            return True
    return (
        not address.is_global
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def check_url(url: str, *, allow_private: bool = False) -> Target:
    """The URL's pinned target; raises ``UnsafeTarget`` (a 422 naming ``/url``) otherwise.
    Every address the host resolves to must be acceptable, not just the first. The host checked
    is the one the sender connects to: the URL is parsed by ``httpx``, as the sender does, and
    a URL ``httpx`` cannot read is refused here rather than at send time."""
    scheme, host, port = _parse(url)
    addresses = _resolve(host, port)
    if not allow_private:
        bad = next((a for a in addresses if refused(a)), None)
        if bad is not None:
            raise UnsafeTarget(f"{host} resolves to a private or reserved address ({bad})")
    return Target(url, scheme, host, port, str(addresses[0]))


def _parse(url: str) -> tuple[str, str, int]:
    if not isinstance(url, str) or not url or len(url) > MAX_URL:
        raise UnsafeTarget(f"must be an http or https URL of at most {MAX_URL} characters")
    if any(ord(c) < 0x21 or c == "\x7f" for c in url):
        raise UnsafeTarget("must not contain spaces or control characters")
    if not encodable(url):
        raise UnsafeTarget("must be valid Unicode text (no lone surrogates)")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeTarget(f"unreadable URL ({exc})") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeTarget("must be an absolute http or https URL")
    if parts.username is not None or parts.password is not None:
        raise UnsafeTarget("must not carry credentials (user:password@)")
    if parts.fragment:
        raise UnsafeTarget("must not have a fragment")
    return parts.scheme, _sent_host(url), port or (443 if parts.scheme == "https" else 80)


def _sent_host(url: str) -> str:
    """The host as ``httpx`` sends it (IDNA-encoded, ASCII), so the check and the send agree."""
    try:
        host = httpx.URL(url).raw_host.decode("ascii")
    except Exception as exc:  # httpx raises InvalidURL, but also UnicodeError and others
        raise UnsafeTarget(f"unreadable URL ({type(exc).__name__})") from exc
    if not host:
        raise UnsafeTarget("must be an absolute http or https URL")
    return host


def encodable(text: str) -> bool:
    """Whether a string can be stored: valid UTF-8 once encoded, and no U+0000."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in text


def _resolve(host: str, port: int) -> list[IPAddress]:
    """The host's addresses; a lookup slower than ``RESOLVE_TIMEOUT`` counts as unresolved
    (the lookup runs in a small shared pool, so a stuck resolver cannot hold the caller)."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    lookup = _RESOLVER.submit(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
    try:
        infos = lookup.result(timeout=RESOLVE_TIMEOUT)
    except FutureTimeout as exc:
        lookup.cancel()
        raise UnsafeTarget(f"{host} does not resolve within {RESOLVE_TIMEOUT:g} s") from exc
    except (OSError, UnicodeError) as exc:
        raise UnsafeTarget(f"{host} does not resolve") from exc
    found = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    if not found:
        raise UnsafeTarget(f"{host} does not resolve")
    return found
