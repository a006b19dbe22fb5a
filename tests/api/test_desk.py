"""The wire-desk page: served with strict security headers, only its own assets, and a script
that talks to nothing but the API paths the app really has; its stream parser, run by node; and
the received order of ``GET /v1/items`` that the desk's "newest received" reads."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from services.ingest import desk
from services.worker.pipeline import process_submission
from tests.support import bearer, editor_token, partner_key, push

STATIC = Path(desk.__file__).parent / "static"
SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    ),
    "x-content-type-options": "nosniff",
}
# A scheme followed by //, a protocol-relative //host.tld, or a CSS/JS way to pull in a resource.
EXTERNAL = re.compile(
    r"(?i)\b[a-z][a-z0-9+.-]*://"  # http://, https://, ws://, file://
    r"|(?<![\w:/])//(?=[\w-]+\.[\w.-]+)"  # //host.tld
    r"|@import|(?-i:url\()"  # CSS imports and url(...) (JS's new URL() is fine)
    r"|\bimport\s*\("  # dynamic imports
    r"|^\s*import\s(?!.*\sfrom\s+\"\./[\w-]+\.js\";$)",  # static imports but of a sibling file
    re.MULTILINE,
)
SIBLING_IMPORT = re.compile(r'^import\s.*\sfrom\s+"\./([\w-]+\.js)";$', re.MULTILINE)
API_LITERAL = re.compile(r"[`'\"](/v1/[^`'\"?\s]+)")  # the bare prefix "/v1/" calls nothing


@pytest.fixture(scope="module")
def web(api_url: str) -> Iterator[httpx.Client]:
    """The real app; the desk needs no database rows."""
    with httpx.Client(base_url=api_url, timeout=30) as client:
        yield client


def _security_headers(response: httpx.Response) -> dict[str, str]:
    return {name: response.headers.get(name, "") for name in SECURITY_HEADERS}


def test_desk_page_is_html_with_the_security_headers(web: httpx.Client) -> None:
    page = web.get("/desk")
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert _security_headers(page) == SECURITY_HEADERS
    assert page.text == (STATIC / "desk.html").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("desk.js", "text/javascript; charset=utf-8"),
        ("sse.js", "text/javascript; charset=utf-8"),
        ("desk.css", "text/css; charset=utf-8"),
    ],
)
def test_each_asset_is_served_with_its_content_type_and_the_security_headers(
    web: httpx.Client, name: str, content_type: str
) -> None:
    asset = web.get(f"/desk/static/{name}")
    assert asset.status_code == 200
    assert asset.headers["content-type"] == content_type
    assert _security_headers(asset) == SECURITY_HEADERS
    assert asset.content == (STATIC / name).read_bytes()


@pytest.mark.parametrize(
    "name",
    [
        "desk.html",
        "DESK.JS",
        "desk.js.map",
        "app.py",
        "..%2Fdesk.py",
        "%2e%2e%2fdesk.py",
        "..%5Cdesk.py",
        "%2e%2e",
        "static%2Fdesk.js",
    ],
)
def test_unknown_or_traversing_asset_names_are_404_problems(web: httpx.Client, name: str) -> None:
    answer = web.get(f"/desk/static/{name}")
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["code"] == "not_found"


def test_page_references_only_its_own_assets(web: httpx.Client) -> None:
    html = (STATIC / "desk.html").read_text(encoding="utf-8")
    references = set(re.findall(r"""\b(?:src|href|action)\s*=\s*["']([^"']*)["']""", html))
    assert references == {"data:,", "#wire", "/desk/static/desk.css", "/desk/static/desk.js"}
    for path in ("/desk/static/desk.css", "/desk/static/desk.js"):
        assert web.get(path).status_code == 200


@pytest.mark.parametrize("name", ["desk.html", "desk.js", "sse.js", "desk.css"])
def test_no_external_urls_anywhere_in_the_page_script_or_styles(name: str) -> None:
    text = (STATIC / name).read_text(encoding="utf-8")
    assert EXTERNAL.findall(text) == []


def test_the_script_imports_only_served_assets(web: httpx.Client) -> None:
    """A module the script imports is fetched by the browser: it must be an asset the desk
    serves (as JavaScript), or the page would not start."""
    imported = SIBLING_IMPORT.findall((STATIC / "desk.js").read_text(encoding="utf-8"))
    assert imported == ["sse.js"]
    for name in imported:
        assert desk.ASSETS[name].startswith("text/javascript")
        assert web.get(f"/desk/static/{name}").status_code == 200


def test_script_calls_only_get_paths_that_exist_in_the_openapi(web: httpx.Client) -> None:
    script = (STATIC / "desk.js").read_text(encoding="utf-8")
    # One fetch() in the whole script, inside the helper that refuses anything but /v1/ paths.
    assert re.findall(r"\bfetch\(\s*([^,)]*)", script) == ["path"]
    called = {re.sub(r"\$\{[^}]*\}", "{}", p) for p in API_LITERAL.findall(script)}
    spec = web.get("/openapi.json").json()
    gets = {re.sub(r"\{[^}]*\}", "{}", p) for p, ops in spec["paths"].items() if "get" in ops}
    assert called == {
        "/v1/items",
        "/v1/items/{}",
        "/v1/items/{}/versions",
        "/v1/items/{}/duplicates",
        "/v1/stream",
    }
    assert called <= gets


def test_every_element_the_script_looks_up_exists_in_the_page() -> None:
    script = (STATIC / "desk.js").read_text(encoding="utf-8")
    html = (STATIC / "desk.html").read_text(encoding="utf-8")
    wanted = set(re.findall(r"""\$\(\s*["']([\w-]+)["']\s*\)""", script))
    present = set(re.findall(r"""\bid\s*=\s*["']([\w-]+)["']""", html))
    assert wanted
    assert wanted - present == set()


@pytest.mark.parametrize("name", ["desk.js", "sse.js"])
def test_script_is_valid_javascript_module_syntax(tmp_path: Path, name: str) -> None:
    module = tmp_path / name.replace(".js", ".mjs")  # .mjs: checked as an ES module
    shutil.copyfile(STATIC / name, module)
    checked = subprocess.run([_node(), "--check", str(module)], capture_output=True, text=True)
    assert (checked.returncode, checked.stderr) == (0, "")


def _node() -> str:
    node = shutil.which("node")
    assert node is not None, "node is needed to check the desk script"
    return node


# ---------------------------------------------------------------------------------------------
# The stream parser (sse.js), run by node on bytes cut in awkward places

SSE_HARNESS = """
import { SseParser, pump } from "./sse.mjs";

function record() {
  const seen = [];
  const parser = new SseParser({
    onEvent: (type, data, id) => seen.push(["event", type, data, id]),
    onComment: (text) => seen.push(["comment", text]),
    onRetry: (ms) => seen.push(["retry", ms]),
  });
  return { seen, parser };
}

const cases = JSON.parse(process.argv[2]);
const out = {};
for (const [name, chunks] of Object.entries(cases)) {
  const { seen, parser } = record();
  for (const chunk of chunks) parser.feed(chunk);
  out[name] = { seen, lastEventId: parser.lastEventId };
}
// Bytes through pump(): a UTF-8 character split across reads, a BOM, an event cut off at the end.
const bytes = new TextEncoder().encode("\\ufeffevent: item\\nid: 7\\ndata: Zürich\\n\\ndata: cut");
const { seen, parser } = record();
const body = new ReadableStream({
  start(controller) {
    for (const at of [[0, 5], [5, 28], [28, 29], [29, bytes.length]]) {
      controller.enqueue(bytes.slice(...at));
    }
    controller.close();
  },
});
await pump(body, parser);
out.pumped = { seen, lastEventId: parser.lastEventId };
console.log(JSON.stringify(out));
"""

STREAM = (
    "retry: 2000\n\n"
    'event: item\nid: 4\ndata: {"id": "a"}\n\n'
    ": heartbeat\n\n"
    'event: item\nid: 5\ndata: {"id": "b"}\n\n'
)


def _run_parser(tmp_path: Path, cases: dict[str, list[str]]) -> dict[str, Any]:
    shutil.copyfile(STATIC / "sse.js", tmp_path / "sse.mjs")
    (tmp_path / "harness.mjs").write_text(SSE_HARNESS, encoding="utf-8")
    ran = subprocess.run(
        [_node(), str(tmp_path / "harness.mjs"), json.dumps(cases)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert ran.returncode == 0, ran.stderr
    return json.loads(ran.stdout)  # type: ignore[no-any-return]


def test_stream_parser_follows_the_event_stream_format(tmp_path: Path) -> None:
    expected_stream = [
        ["retry", 2000],
        ["event", "item", '{"id": "a"}', "4"],
        ["comment", "heartbeat"],
        ["event", "item", '{"id": "b"}', "5"],
    ]
    found = _run_parser(
        tmp_path,
        {
            "whole": [STREAM],
            "char_by_char": list(STREAM),
            "crlf_split_between_cr_and_lf": ["event: item\r\nid: 4\r", "\ndata: x\r\n\r\n"],
            "cr_only": [STREAM.replace("\n", "\r")],
            "multiline_and_fields": [
                "data: one\ndata\ndata:  two\nevent\nfoo: bar\n\n",  # no colon: empty value
                "id: 9\n\n",  # an id alone dispatches nothing but is remembered
                "id: bad\0id\ndata: z\n\n",  # an id holding NUL is ignored
                "retry: soon\ndata: after\n\n",  # a retry that is not digits is ignored
            ],
            "cut_off": ["event: item\nid: 3\ndata: done\n\n", "id: 4\ndata: never ends"],
        },
    )
    assert found["whole"] == {"seen": expected_stream, "lastEventId": "5"}
    assert found["char_by_char"] == found["whole"]
    assert found["cr_only"] == found["whole"]
    assert found["crlf_split_between_cr_and_lf"] == {
        "seen": [["event", "item", "x", "4"]],
        "lastEventId": "4",
    }
    assert found["multiline_and_fields"] == {
        "seen": [
            ["event", "message", "one\n\n two", ""],
            ["event", "message", "z", "9"],
            ["event", "message", "after", "9"],
        ],
        "lastEventId": "9",
    }
    assert found["cut_off"] == {"seen": [["event", "item", "done", "3"]], "lastEventId": "3"}
    assert found["pumped"] == {"seen": [["event", "item", "Zürich", "7"]], "lastEventId": "7"}


# ---------------------------------------------------------------------------------------------
# GET /v1/items?sort=received: newest arrival first, for the desk's "newest received"


def _dated(n: int, when: datetime, *, body: str = "") -> bytes:
    return json.dumps(
        {
            "uri": f"urn:example:sorted:{n}",
            "headline": f"Dated story {n}",
            "language": "en",
            "versioncreated": when.isoformat(),
            "body_text": body or f"Body of the dated story number {n} for the wire.",
        }
    ).encode()


@pytest.fixture
def arrivals(client: httpx.Client, db: Engine, settings):  # type: ignore[no-untyped-def]
    """Stories whose own times run against their order of arrival: pushed and processed one
    after the other (the worker's own code, in process)."""
    key = partner_key(db, "alpha")
    noon = datetime(2022, 1, 7, 12, 0, tzinfo=UTC)

    def arrive(n: int, hours_before_noon: int, body: str = "") -> None:
        when = noon - timedelta(hours=hours_before_noon)
        answer = push(client, key, _dated(n, when, body=body), "application/json")
        assert answer.status_code == 202, answer.text
        assert process_submission(db, settings, answer.json()["submission_id"]) == "done"

    for n, hours in ((1, 0), (2, 5), (3, 2), (4, 9)):  # arrival order 1, 2, 3, 4
        arrive(n, hours)
    return arrive, editor_token(db)


def _walk(client: httpx.Client, token: str, url: str) -> tuple[list[str], int]:
    """Every headline, following ``next`` links; and how many pages that took."""
    seen: list[str] = []
    pages = 0
    next_url: str | None = url
    while next_url:
        answer = client.get(next_url, headers=bearer(token))
        assert answer.status_code == 200, answer.text
        seen += [item["headline"] for item in answer.json()["items"]]
        next_url = answer.json()["next"]
        pages += 1
    return seen, pages


def test_sort_received_lists_the_newest_arrival_first_across_pages(
    client: httpx.Client, arrivals
) -> None:  # type: ignore[no-untyped-def]
    arrive, token = arrivals
    by_time, _ = _walk(client, token, "/v1/items")
    assert by_time == ["Dated story 1", "Dated story 3", "Dated story 2", "Dated story 4"]
    by_arrival, pages = _walk(client, token, "/v1/items?sort=received&limit=1")
    assert (by_arrival, pages) == (
        ["Dated story 4", "Dated story 3", "Dated story 2", "Dated story 1"],
        4,
    )
    assert _walk(client, token, "/v1/items?sort=versioncreated&limit=3")[0] == by_time
    # A new version of the oldest arrival arrives last: it leads the received order.
    arrive(1, 0, body="Body of the dated story number 1, corrected for the wire.")
    assert _walk(client, token, "/v1/items?sort=received&limit=2")[0] == [
        "Dated story 1", "Dated story 4", "Dated story 3", "Dated story 2"
    ]  # fmt: skip
    # Filters still apply; since and until still compare the items' own times.
    since = "since=2022-01-07T09:00:00Z"
    assert _walk(client, token, f"/v1/items?sort=received&{since}")[0] == [
        "Dated story 1", "Dated story 3"
    ]  # fmt: skip


def test_the_received_order_reaches_the_atom_feed(client: httpx.Client, arrivals) -> None:  # type: ignore[no-untyped-def]
    _, token = arrivals
    feed = client.get("/v1/feed.atom?sort=received", headers=bearer(token))
    assert feed.status_code == 200
    titles = re.findall(r"<title[^>]*>(Dated story \d)</title>", feed.text)
    assert titles == ["Dated story 4", "Dated story 3", "Dated story 2", "Dated story 1"]


@pytest.mark.parametrize(
    ("issued", "used"),
    [("sort=received", "sort=versioncreated"), ("sort=versioncreated", "sort=received")],
)
def test_a_cursor_of_one_order_is_a_422_in_the_other(
    client: httpx.Client, arrivals, issued: str, used: str
) -> None:  # type: ignore[no-untyped-def]
    _, token = arrivals
    first = client.get(f"/v1/items?{issued}&limit=1", headers=bearer(token)).json()
    cursor = first["next"].rpartition("cursor=")[2]
    answer = client.get(f"/v1/items?{used}&limit=1&cursor={cursor}", headers=bearer(token))
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["errors"][0]["field"] == "cursor"


@pytest.mark.parametrize("value", ["arrival", "RECEIVED", "", "received,id"])
def test_an_unknown_sort_is_a_422_naming_sort(client: httpx.Client, db: Engine, value: str) -> None:
    answer = client.get(f"/v1/items?sort={value}", headers=bearer(editor_token(db)))
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["errors"][0]["field"] == "sort"
