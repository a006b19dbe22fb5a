"""The wire desk in a real browser: Debian's chromium, driven by Playwright, against the real API,
PostgreSQL, Redis and a Celery worker. An editor signs in, watches items arrive over the stream
(no polling), changes the order and the time zone shown, searches, opens an item with versions
and a copy, and sees it killed while it is open; a wrong or revoked token is told plainly.

The browser runs in Berlin's zone with British English, so times read "12:00 CET". Every wait
is for something the page shows, bounded by PATIENCE."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, Playwright, Request, expect, sync_playwright
from sqlalchemy import Engine

from shared.db import credentials
from tests.support import PATIENCE, editor_token, partner_key, push, wait_done

pytestmark = pytest.mark.e2e

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
NINJS = "application/json"
WAIT_MS = PATIENCE * 1000

QUAKE = "Earthquake shakes the coast"
BUDGET = "Parliament passes the budget"
STORY = (
    "A strong earthquake shook the northern coast early on Friday, the seismological institute "
    "said, damaging old houses in three fishing towns and cutting power to thousands of homes. "
    "Rescue teams searched collapsed barns near the harbour while the regional governor asked "
    "residents to stay out of damaged buildings until engineers had checked them. Schools in "
    "the area will stay closed on Monday, and the coastal railway runs a reduced timetable."
)
BUDGET_STORY = (
    "Members of parliament approved next year's budget late on Thursday after a week of "
    "debate, with more money for regional hospitals and a freeze on fuel duty."
)


def ninjs(
    uri: str,
    headline: str,
    body: str,
    *,
    when: str,
    version: str | None = None,
    pubstatus: str = "usable",
) -> bytes:
    doc = {
        "uri": uri,
        "type": "text",
        "pubstatus": pubstatus,
        "language": "en",
        "headline": headline,
        "versioncreated": when,
        "body_text": body,
    }
    if version is not None:
        doc["version"] = version
    return json.dumps(doc).encode()


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    assert CHROMIUM.exists(), (
        "Debian's chromium is needed at /usr/bin/chromium (./scripts/test installs it with "
        "apt-get install chromium)"
    )
    launched = playwright.chromium.launch(
        executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
    )
    yield launched
    launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh tab (empty storage) in Berlin's zone; the test fails on any script error."""
    context = browser.new_context(locale="en-GB", timezone_id="Europe/Berlin")
    context.set_default_timeout(WAIT_MS)
    expect.set_options(timeout=WAIT_MS)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    yield tab
    context.close()
    assert errors == []


@pytest.fixture
def wire(client: httpx.Client, db: Engine, start_worker):  # type: ignore[no-untyped-def]
    """Push as a partner over HTTP; a real Celery worker processes it."""
    keys: dict[str, str] = {}
    token = editor_token(db)
    start_worker()

    def send(partner: str, body: bytes) -> dict:  # type: ignore[type-arg]
        if partner not in keys:
            keys[partner] = partner_key(db, partner)
        answer = push(client, keys[partner], body, NINJS)
        assert answer.status_code == 202, answer.text
        done = wait_done(client, token, answer.json()["submission_id"])
        assert done["status"] == "done", done
        return done["items"][0]  # type: ignore[no-any-return]

    return send, token


def sign_in(page: Page, api_url: str, token: str) -> None:
    page.goto(f"{api_url}/desk")
    page.get_by_label("Paste an editor or admin token").fill(token)
    page.get_by_role("button", name="Open the wire").click()


def row(page: Page, headline: str):  # type: ignore[no-untyped-def]
    return page.locator("#wire li").filter(has=page.get_by_role("link", name=headline))


def test_an_editor_follows_the_wire_live_searches_opens_an_item_and_sees_it_killed(
    page: Page, api_url: str, wire
) -> None:  # type: ignore[no-untyped-def]
    send, token = wire
    quake = send(
        "agency", ninjs("urn:quake", QUAKE, STORY, when="2022-01-07T11:00:00Z", version="1")
    )
    assert quake["verdict"] == "new"
    list_reads: list[str] = []

    def on_request(request: Request) -> None:
        if re.search(r"/v1/items(\?|$)", request.url):
            list_reads.append(request.url)

    page.on("request", on_request)
    sign_in(page, api_url, token)

    # Times carry their zone; the stream is open; the overview counts what is loaded.
    expect(row(page, QUAKE).locator(".stamp")).to_have_text("7 Jan 2022, 12:00 CET")
    expect(page.locator("#live-status")).to_have_text("Live")
    expect(page.locator("#zone-label")).to_have_text("Times in CET (Europe/Berlin)")
    expect(page.locator("#overview")).to_be_visible()
    expect(page.locator("#overview-rows tr")).to_have_text([re.compile(r"^agency\s*1\s*1\s*\d")])
    expect(page.locator("#overview-hour")).to_contain_text("1 item arrived in the last hour")

    # A story dated earlier arrives later: pushed to the page by the stream, marked new, with no
    # new read of the list (the page does not poll).
    reads_before = len(list_reads)
    send("agency", ninjs("urn:budget", BUDGET, BUDGET_STORY, when="2022-01-07T09:00:00Z"))
    expect(row(page, BUDGET).locator(".badge-new")).to_have_text("new")
    expect(page.locator("#wire a.headline")).to_have_text([QUAKE, BUDGET])
    assert list_reads[reads_before:] == []
    expect(page.locator("#mark-seen")).to_have_text("1 new: mark all seen")

    # Newest received first: the later arrival leads; its own (older) time is still shown.
    page.get_by_label("Order").select_option("received")
    expect(page.locator("#wire a.headline")).to_have_text([BUDGET, QUAKE])
    expect(row(page, BUDGET).locator(".stamp")).to_have_text("dated 7 Jan 2022, 10:00 CET")

    # UTC instead of the local zone, remembered across a reload (as is the order).
    page.get_by_label("Show times in UTC").check()
    expect(row(page, QUAKE).locator(".stamp")).to_have_text("dated 7 Jan 2022, 11:00 UTC")
    page.reload()
    expect(page.get_by_label("Show times in UTC")).to_be_checked()
    expect(page.locator("#zone-label")).to_have_text("Times in UTC")
    expect(page.locator("#wire a.headline")).to_have_text([BUDGET, QUAKE])
    expect(row(page, BUDGET).locator(".stamp")).to_have_text("dated 7 Jan 2022, 09:00 UTC")
    expect(page.locator("#live-status")).to_have_text("Live")

    # A second version of the quake (it moves to the top: it arrived last) and a copy of it from
    # another partner (a near duplicate: not listed, but shown with the item).
    send(
        "agency",
        ninjs(
            "urn:quake",
            QUAKE,
            STORY + " Two people were taken to hospital.",
            when="2022-01-07T12:00:00Z",
            version="2",
        ),
    )
    copy = send(
        "copydesk",
        ninjs("urn:copy:1", "Quake hits fishing towns", STORY, when="2022-01-07T12:30:00Z"),
    )
    assert copy["verdict"] == "near_duplicate"
    expect(row(page, QUAKE).locator(".badge-versions")).to_have_text("2 versions")
    expect(row(page, QUAKE).locator(".badge-updated")).to_have_text("updated")
    expect(page.locator("#wire a.headline")).to_have_text([QUAKE, BUDGET])

    # The item, its versions and its copy; opening it clears its mark.
    page.locator("#wire").get_by_role("link", name=QUAKE).click()
    item = page.locator("#item")
    expect(item.locator("#item-title")).to_have_text(QUAKE)
    expect(page.locator("#overview")).to_be_hidden()
    expect(item.locator("#item-body")).to_contain_text("Two people were taken to hospital.")
    expect(item.locator("#item-versions summary")).to_have_count(2)
    expect(item.locator("#item-versions summary").first).to_contain_text("Version 2 current")
    expect(item.locator("#item-duplicates")).to_contain_text("Quake hits fishing towns")
    expect(item.locator("#item-duplicates")).to_contain_text("copydesk")
    expect(item.locator("#item-killed")).to_be_hidden()
    expect(row(page, QUAKE).locator(".badge-updated")).to_have_count(0)
    expect(page.locator("#mark-seen")).to_be_hidden()

    # Full-text search (the item stays open).
    page.get_by_label("Search").fill("earthquake")
    page.get_by_label("Search").press("Enter")
    expect(page.locator("#wire a.headline")).to_have_text([QUAKE])
    expect(item.locator("#item-title")).to_have_text(QUAKE)

    # The agency kills it while it is open: the page says so without being asked.
    killed = send(
        "agency",
        ninjs(
            "urn:quake",
            QUAKE,
            STORY,
            when="2022-01-07T13:00:00Z",
            version="3",
            pubstatus="canceled",
        ),
    )
    assert killed["verdict"] == "killed"
    expect(item.locator("#item-killed")).to_be_visible()
    expect(item.locator("#item-badges .badge-killed")).to_have_text("killed")
    expect(item.locator("#item-versions summary")).to_have_count(3)
    expect(item.locator("#item-updated")).to_contain_text("Updated live at")
    expect(row(page, QUAKE)).to_have_class(re.compile(r"\bkilled\b"))

    # Closing the item brings the overview back.
    page.get_by_role("button", name="Close").click()
    expect(page.locator("#overview")).to_be_visible()
    expect(page.locator("#overview-rows tr")).to_have_count(1)


def test_a_wrong_or_revoked_token_is_told_in_a_plain_sentence(
    page: Page, api_url: str, client: httpx.Client, db: Engine
) -> None:
    plain = "That token was not accepted: it may be mistyped, or it has been revoked."
    sign_in(page, api_url, "dlt_abcdefghijkl_not-a-real-secret")
    problem = page.locator("#problem")
    expect(problem).to_contain_text(plain)
    expect(page.get_by_label("Paste an editor or admin token")).to_be_visible()
    assert "`" not in problem.inner_text()
    assert "Bearer" not in problem.inner_text() and "credential" not in problem.inner_text()

    token = editor_token(db)
    sign_in(page, api_url, token)
    expect(page.locator("#live-status")).to_have_text("Live")
    expect(problem).to_be_hidden()
    with db.begin() as conn:
        credentials.revoke(conn, token.split("_")[1])
    page.reload()  # the token is kept in the tab; the server no longer takes it
    expect(problem).to_contain_text(plain)
    expect(page.get_by_label("Paste an editor or admin token")).to_be_visible()
    assert "`" not in problem.inner_text()
