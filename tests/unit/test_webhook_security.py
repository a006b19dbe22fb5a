"""Webhook signatures, the SSRF guard, the retry schedule, subscription filters and the
sender's error handling (no I/O but loopback)."""

from __future__ import annotations

import ipaddress
import socket
import time
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

import shared.output.webhooks as shared_webhooks
from services.worker.webhooks import Outcome, attempt, pinned
from shared.core.model import Verdict
from shared.db.items import Stored
from shared.db.subscriptions import RETRY_DELAYS, Due, events, matches, retry_delay
from shared.output.webhooks import Target, UnsafeTarget, check_url, new_secret, refused, sign


def test_signature_matches_the_standard_webhooks_test_vector() -> None:
    # The specification's published example (also in every Standard Webhooks library's tests).
    signature = sign(
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "msg_p5jXN8AQM9LWM0D4loKWxJek",
        1614265330,
        b'{"test": 2432232314}',
    )
    assert signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_secrets_are_whsec_with_32_random_bytes() -> None:
    first, second = new_secret(), new_secret()
    assert first.startswith("whsec_") and len(first) == 6 + 44
    assert first != second


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1", "10.0.0.1", "172.16.5.4", "192.168.1.1", "169.254.169.254", "100.64.0.1",
        "0.0.0.0", "224.0.0.1", "240.0.0.1", "255.255.255.255", "::1", "::", "fe80::1",
        "fd00:ec2::254", "fc00::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "2002:7f00:1::",
        "64:ff9b::a9fe:a9fe", "ff02::1",
    ],
)  # fmt: skip
def test_private_loopback_link_local_cgnat_ula_mapped_and_metadata_addresses_are_refused(
    address: str,
) -> None:
    assert refused(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111"])
def test_public_addresses_are_accepted(address: str) -> None:
    assert not refused(ipaddress.ip_address(address))


def test_a_public_literal_is_pinned_to_itself_with_the_default_port() -> None:
    assert check_url("https://93.184.215.14/hooks?x=1") == Target(
        "https://93.184.215.14/hooks?x=1", "https", "93.184.215.14", 443, "93.184.215.14"
    )


def test_a_host_with_any_private_address_is_refused_even_if_another_is_public(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    answers = [
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, 443))
        for ip in ("93.184.215.14", "10.0.0.7")
    ]
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: answers)
    with pytest.raises(UnsafeTarget) as caught:
        check_url("https://hooks.example.com/in")
    assert caught.value.errors == [
        {
            "field": "/url",
            "message": "hooks.example.com resolves to a private or reserved address (10.0.0.7)",
        }
    ]


def test_private_targets_pass_when_explicitly_allowed() -> None:
    target = check_url("http://127.0.0.1:8080/in", allow_private=True)
    assert (target.address, target.port) == ("127.0.0.1", 8080)


def test_the_connection_goes_to_the_pinned_address_but_tls_checks_the_host_name() -> None:
    target = Target(
        "https://hooks.example.com:8443/in?a=1", "https", "hooks.example.com", 8443, "2606:4700::1"
    )
    url, extensions = pinned(target)
    assert str(url) == "https://[2606:4700::1]:8443/in?a=1"
    assert extensions == {"sni_hostname": "hooks.example.com"}
    plain = Target("http://hooks.example.com/in", "http", "hooks.example.com", 80, "93.184.215.14")
    plain_url, plain_extensions = pinned(plain)
    assert (str(plain_url), plain_extensions) == ("http://93.184.215.14/in", {})


def test_retries_follow_the_svix_schedule_for_about_three_days() -> None:
    assert [retry_delay(n) for n in range(1, 8)] == [5, 300, 1800, 7200, 18000, 36000, 36000]
    assert retry_delay(len(RETRY_DELAYS)) == 36000
    assert retry_delay(len(RETRY_DELAYS) + 1) is None
    total_hours = sum(RETRY_DELAYS) / 3600
    assert 72 < total_hours < 80


def test_new_items_updates_and_kills_are_announced_duplicates_and_stale_are_not() -> None:
    stored = [
        Stored("a", Verdict.NEW), Stored("b", Verdict.NEW_VERSION), Stored("c", Verdict.KILLED),
        Stored("d", Verdict.DUPLICATE), Stored("e", Verdict.STALE),
        Stored("f", Verdict.NEAR_DUPLICATE),
    ]  # fmt: skip
    assert events(stored) == [("a", "item.created"), ("b", "item.updated"), ("c", "item.killed")]


ITEM: dict[str, Any] = {
    "partner": "belta",
    "language": "en-GB",
    "pubstatus": "canceled",
    "subjects": [
        {"scheme": "category", "code": None, "name": "President"},
        {"scheme": "iptc-mediatopic", "code": "20000587", "name": "economy"},
    ],
}


@pytest.mark.parametrize(
    ("filters", "event", "expected"),
    [
        ({}, "item.created", True),
        ({"partner": "belta"}, "item.created", True),
        ({"partner": "tass"}, "item.created", False),
        ({"language": "en"}, "item.created", True),
        ({"language": "EN-gb"}, "item.created", True),
        ({"language": "e"}, "item.created", False),
        ({"subject": "President"}, "item.created", True),
        ({"subject": "20000587"}, "item.created", True),
        ({"subject": "iptc-mediatopic:20000587"}, "item.created", True),
        ({"subject": "category:20000587"}, "item.created", False),
        ({"pubstatus": "usable"}, "item.updated", False),
        ({"pubstatus": "usable"}, "item.killed", True),
        ({"pubstatus": "usable", "partner": "tass"}, "item.killed", False),
    ],
)
def test_filters_mean_what_they_mean_on_the_item_list(
    filters: dict[str, str], event: str, expected: bool
) -> None:
    assert matches(filters, ITEM, event) is expected


def _resolving_to(monkeypatch: pytest.MonkeyPatch, address: str) -> list[str]:
    """Make every DNS lookup answer ``address``; returns the hosts looked up."""
    asked: list[str] = []

    def fake(host: str, port: int, *args: Any, **kwargs: Any) -> list[Any]:
        asked.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    return asked


def test_a_host_the_sender_cannot_parse_is_refused_by_the_check(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _resolving_to(monkeypatch, "93.184.215.14")
    with pytest.raises(UnsafeTarget) as caught:
        check_url("http://ex\u00adample.com/")  # a soft hyphen: Python's IDNA drops it
    assert caught.value.errors == [{"field": "/url", "message": "unreadable URL (InvalidURL)"}]


def test_the_host_checked_is_the_ascii_host_the_sender_connects_to(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asked = _resolving_to(monkeypatch, "93.184.215.14")
    target = check_url("https://Bücher.example/in")
    assert asked == ["xn--bcher-kva.example"]
    assert (target.host, target.address) == ("xn--bcher-kva.example", "93.184.215.14")


@pytest.mark.parametrize("url", ["http://8.8.8.8/\ud800", "http://8.8.8.8/a\x00"])
def test_a_url_that_cannot_be_stored_is_refused(url: str) -> None:
    with pytest.raises(UnsafeTarget) as caught:
        check_url(url)
    assert [e["field"] for e in caught.value.errors] == ["/url"]


def test_a_slow_dns_answer_counts_as_unresolved(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shared_webhooks, "RESOLVE_TIMEOUT", 0.1)
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: time.sleep(1))
    started = time.monotonic()
    with pytest.raises(UnsafeTarget) as caught:
        check_url("https://slow.example/in")
    assert time.monotonic() - started < 0.8
    assert caught.value.errors == [
        {"field": "/url", "message": "slow.example does not resolve within 0.1 s"}
    ]


class _Exploding(httpx.BaseTransport):
    def handle_request(self, request: httpx.Request) -> httpx.Response:
        raise RuntimeError("boom")


def _due(url: str) -> Due:
    return Due(
        id=7, subscription_id="s1", url=url, secret=new_secret(), event="item.created",
        payload={}, created_at=datetime(2024, 1, 1, tzinfo=UTC), attempt=1,
    )  # fmt: skip


def test_an_attempt_turns_any_error_into_a_failed_outcome() -> None:
    outcome = attempt(_due("http://127.0.0.1:9/in"), allow_private=True, transport=_Exploding())
    assert outcome == Outcome(status=None, error="RuntimeError: boom")


def test_a_claimed_delivery_does_not_show_its_secret() -> None:
    due = _due("http://127.0.0.1:9/in")
    assert due.secret not in repr(due)
    assert "secret" not in repr(due)
