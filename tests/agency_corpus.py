"""The agency-shaped corpus: our own copy written in the shapes real agencies send.

Each case is a body ``tests/fixtures/agency/NAME.EXT`` beside ``NAME.expect.json``::

    {
      "format": "nitf",                     # the item format the case scores under
      "agency": "PA",                       # whose shape it follows (documentation only)
      "content_type": "application/xml",    # as the partner sends it
      "profile": {"timezone": "Europe/London"},
      "received_at": "2026-05-04T10:00:00Z",
      "warnings": ["charset_mislabelled"],  # warning codes the submission must carry (exactly)
      "items": [{"headline": "...", "dateline.located": "...", "subjects[].name": [...]}]
    }

``items`` holds one object per item, in order; each key is a field path of the API item (``a.b``
into objects, ``a[].b`` for the list of ``b`` over a list), each value the exact expected value.
Every key is one scored value in ``bench/fidelity.py``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from shared.output.serialise import contract_item, item_doc
from shared.reading.profiles import load_profile

CORPUS = Path(__file__).parent / "fixtures" / "agency"
RECEIVED = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Case:
    name: str
    body: bytes
    spec: dict[str, Any]

    @property
    def content_type(self) -> str:
        return str(self.spec["content_type"])

    @property
    def received_at(self) -> datetime:
        stamp = self.spec.get("received_at")
        return datetime.fromisoformat(stamp.replace("Z", "+00:00")) if stamp else RECEIVED


def cases() -> list[Case]:
    found = []
    for spec_path in sorted(CORPUS.glob("*.expect.json")):
        name = spec_path.name.removesuffix(".expect.json")
        [body_path] = [p for p in CORPUS.glob(f"{name}.*") if p != spec_path]
        found.append(Case(name, body_path.read_bytes(), json.loads(spec_path.read_text("utf-8"))))
    return found


def pick(item: Any, path: str) -> Any:
    """The value at ``path`` (``a.b``, ``a[].b``) of an API item."""
    head, _, rest = path.partition(".")
    if head.endswith("[]"):
        values = item.get(head[:-2]) or []
        return [pick(v, rest) if rest else v for v in values]
    value = item.get(head) if isinstance(item, dict) else None
    return pick(value, rest) if rest and value is not None else value


def run(case: Case) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The API items and the submission warnings ``dateline parse`` would produce."""
    from shared.reading.prepare import prepare, warnings_of

    profile = load_profile(case.spec.get("profile") or {})
    normalised = prepare(
        case.body, case.content_type, namespace="agency", profile=profile,
        received_at=case.received_at,
    )  # fmt: skip
    items = [contract_item(item_doc(n), {"partner": "agency"}) for n in normalised]
    return items, warnings_of(normalised)


def score(case: Case) -> tuple[int, list[str]]:
    """(values right, the mismatches described) for one case."""
    try:
        items, warnings = run(case)
    except Exception as exc:  # a refused story scores nothing
        expected = sum(len(i) for i in case.spec["items"]) + 1
        return 0, [f"refused: {type(exc).__name__}: {exc}"] + [""] * (expected - 1)
    right, wrong = 0, []
    if len(items) != len(case.spec["items"]):
        wrong.append(f"{len(items)} items, expected {len(case.spec['items'])}")
    for index, expected in enumerate(case.spec["items"]):
        got_item = items[index] if index < len(items) else {}
        for path, value in expected.items():
            got = pick(got_item, path)
            if got == value:
                right += 1
            else:
                wrong.append(f"item {index} {path}: got {got!r}, expected {value!r}")
    codes = sorted({w["code"] for w in warnings})
    if codes == sorted(set(case.spec.get("warnings", []))):
        right += 1
    else:
        wrong.append(f"warnings: got {codes}, expected {sorted(case.spec.get('warnings', []))}")
    return right, wrong


def expected_values(case: Case) -> int:
    return sum(len(i) for i in case.spec["items"]) + 1
