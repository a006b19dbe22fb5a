"""`dateline signing` as an operator runs it: the secret is printed once, then only whether a
partner has one and must sign; pushes follow what was set."""

from __future__ import annotations

import base64
import json

import httpx
import pytest

from services.ingest.signatures import superdesk_signature
from tests.e2e.test_cli import dateline, external_env  # noqa: F401  (fixture)

pytestmark = pytest.mark.e2e


def _push(client: httpx.Client, key: str, body: bytes, **headers: str) -> httpx.Response:
    return client.post(
        "/v1/items",
        content=body,
        headers={"Authorization": f"Bearer {key}", "Content-Type": "text/plain", **headers},
    )


def test_set_secret_prints_it_once_and_show_never_does(
    external_env: dict[str, str],  # noqa: F811
    client: httpx.Client,
) -> None:
    key = json.loads(dateline("partners", "add", "belta", "--json", env=external_env).stdout)["key"]
    assert dateline("signing", "show", "belta", env=external_env).stdout == (
        "belta: secret none, signatures optional\n"
    )
    done = dateline("signing", "set-secret", "belta", "--require", "--json", env=external_env)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    secret = out.pop("secret")
    assert out == {"slug": "belta", "has_secret": True, "require_signature": True}
    assert secret.startswith("whsec_") and len(base64.b64decode(secret[6:])) == 32
    shown = dateline("signing", "show", "belta", "--json", env=external_env)
    assert json.loads(shown.stdout) == out
    assert secret not in shown.stdout + shown.stderr

    body = b"Headline of a signed story\n\nBody text here."
    assert _push(client, key, body).status_code == 401
    signed = _push(
        client, key, body, **{"x-superdesk-signature": superdesk_signature(secret, body)}
    )
    assert signed.status_code == 202, signed.text

    again = dateline("signing", "set-secret", "belta", "--optional", env=external_env)
    assert again.returncode == 0, again.stderr
    assert "signatures are optional" in again.stdout and secret not in again.stdout
    assert _push(client, key, b"Another headline\n\nUnsigned body.").status_code == 202


def test_signing_commands_refuse_bad_input_with_exit_2(
    external_env: dict[str, str],  # noqa: F811
) -> None:
    unknown = dateline("signing", "set-secret", "nobody", env=external_env)
    assert unknown.returncode == 2
    assert json.loads(unknown.stderr)["error"]["code"] == "not_found"
    assert dateline("signing", "show", "nobody", env=external_env).returncode == 2
    both = dateline("signing", "set-secret", "x", "--require", "--optional", env=external_env)
    assert both.returncode == 2
    assert dateline("signing", "show", env=external_env).returncode == 2
