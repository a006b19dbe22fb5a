"""The wire-desk page: served with strict security headers, only its own assets, and a script
that talks to nothing but the API paths the app really has."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from services.ingest import desk

STATIC = Path(desk.__file__).parent / "static"
SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'"
    ),
    "x-content-type-options": "nosniff",
}
# A scheme followed by //, a protocol-relative //host.tld, or a CSS/JS way to pull in a resource.
EXTERNAL = re.compile(
    r"(?i)\b[a-z][a-z0-9+.-]*://"  # http://, https://, ws://, file://
    r"|(?<![\w:/])//(?=[\w-]+\.[\w.-]+)"  # //host.tld
    r"|@import|(?-i:url\()"  # CSS imports and url(...) (JS's new URL() is fine)
    r"|\bimport\s*\(|^\s*import\s",  # JS module imports
    re.MULTILINE,
)
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
    [("desk.js", "text/javascript; charset=utf-8"), ("desk.css", "text/css; charset=utf-8")],
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


@pytest.mark.parametrize("name", ["desk.html", "desk.js", "desk.css"])
def test_no_external_urls_anywhere_in_the_page_script_or_styles(name: str) -> None:
    text = (STATIC / name).read_text(encoding="utf-8")
    assert EXTERNAL.findall(text) == []


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
    }
    assert called <= gets


def test_every_element_the_script_looks_up_exists_in_the_page() -> None:
    script = (STATIC / "desk.js").read_text(encoding="utf-8")
    html = (STATIC / "desk.html").read_text(encoding="utf-8")
    wanted = set(re.findall(r"""\$\(\s*["']([\w-]+)["']\s*\)""", script))
    present = set(re.findall(r"""\bid\s*=\s*["']([\w-]+)["']""", html))
    assert wanted
    assert wanted - present == set()


def test_script_is_valid_javascript_module_syntax(tmp_path: Path) -> None:
    node = shutil.which("node")
    assert node is not None, "node is needed to check the desk script"
    module = tmp_path / "desk.mjs"  # .mjs: checked as an ES module, as the page loads it
    shutil.copyfile(STATIC / "desk.js", module)
    checked = subprocess.run([node, "--check", str(module)], capture_output=True, text=True)
    assert (checked.returncode, checked.stderr) == (0, "")
