"""Parse + normalise throughput per format, one process, one core, with a same-run baseline.

    .venv/bin/python bench/formats.py [--seconds 1.0]

For each format, every good sample of its folder under tests/samples/ goes through
``shared.reading.prepare.prepare`` (detection, strict parsing, normalisation) round after
round for about
``--seconds`` after a warm-up round, and the table shows items/s and µs per item. The baseline is
the cheapest honest reading of the same bytes, timed the same way in the same run: a bare
``lxml.etree.fromstring`` for XML formats, ``json.loads`` + ``json.dumps`` for ninjs,
``lxml.html.document_fromstring`` for HTML pages, ``email.message_from_bytes`` for e-mail and
a JSON round trip of the decoded text for the plain-text wire formats. ``× baseline`` is
prepare's time over the baseline's time for the same samples. Figures vary run to run on a
shared machine; compare ratios, not absolutes.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from lxml import etree, html

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from shared.core.model import Profile  # noqa: E402
from shared.reading.prepare import prepare  # noqa: E402

SAMPLES = ROOT / "tests" / "samples"
PROFILE = Profile(timezone="Europe/Berlin")
RECEIVED = datetime(2022, 3, 14, 12, 0, tzinfo=UTC)
# Eight-bit wire samples, sent as the partner's line would: declared ISO-8859-1.
LATIN_1 = {"odd-control-codes.anpa", "odd-control-codes.7901"}


def xml_baseline(raw: bytes) -> object:
    return etree.fromstring(raw, etree.XMLParser(resolve_entities=False, no_network=True))


def json_baseline(raw: bytes) -> object:
    return json.dumps(json.loads(raw))


def html_baseline(raw: bytes) -> object:
    return html.document_fromstring(raw)


def email_baseline(raw: bytes) -> object:
    return email.message_from_bytes(raw, policy=email.policy.default).get_body()


def text_baseline(raw: bytes) -> object:
    return json.loads(json.dumps(raw.decode("latin-1")))


@dataclass(frozen=True)
class Format:
    name: str
    folder: str
    content_type: str
    baseline: Callable[[bytes], object]
    baseline_name: str


FORMATS = (
    Format("ninjs", "ninjs", "application/json", json_baseline, "json loads+dumps"),
    Format("nitf", "nitf", "application/xml", xml_baseline, "lxml fromstring"),
    Format("newsml-g2", "newsml-g2", "application/xml", xml_baseline, "lxml fromstring"),
    Format("newsml-1", "newsml1", "application/xml", xml_baseline, "lxml fromstring"),
    Format("rss/atom", "feed", "application/xml", xml_baseline, "lxml fromstring"),
    Format("html", "html", "text/html", html_baseline, "lxml.html parse"),
    Format("email", "email", "message/rfc822", email_baseline, "email.message_from_bytes"),
    Format("anpa-1312", "anpa", "text/plain", text_baseline, "json round trip of text"),
    Format("iptc-7901", "iptc7901", "text/plain", text_baseline, "json round trip of text"),
    Format("text", "text", "text/plain", text_baseline, "json round trip of text"),
)


def corpus(fmt: Format) -> list[tuple[bytes, str]]:
    """Every good sample of the format's folder with the content type it is sent with."""
    paths = sorted(p for p in (SAMPLES / fmt.folder).iterdir() if p.is_file())
    return [
        (
            p.read_bytes(),
            f"{fmt.content_type}; charset=iso-8859-1" if p.name in LATIN_1 else fmt.content_type,
        )
        for p in paths
    ]


def prepare_round(docs: list[tuple[bytes, str]]) -> int:
    """One pass over the samples through parse + normalise; the number of items made."""
    items = 0
    for raw, content_type in docs:
        items += len(
            prepare(raw, content_type, namespace="bench", profile=PROFILE, received_at=RECEIVED)
        )
    return items


def timed(run: Callable[[], object], seconds: float) -> tuple[int, float]:
    """Rounds of ``run`` completed in about ``seconds`` (after one warm-up round), and the time."""
    run()
    rounds, started = 0, time.perf_counter()
    while True:
        run()
        rounds += 1
        elapsed = time.perf_counter() - started
        if elapsed >= seconds:
            return rounds, elapsed


def measure(fmt: Format, seconds: float) -> list[str]:
    docs = corpus(fmt)
    items = prepare_round(docs)
    rounds, elapsed = timed(lambda: prepare_round(docs), seconds)
    base_rounds, base_elapsed = timed(lambda: [fmt.baseline(raw) for raw, _ in docs], seconds)
    per_round = elapsed / rounds
    base_per_round = base_elapsed / base_rounds
    return [
        fmt.name,
        str(len(docs)),
        str(items),
        f"{items / per_round:,.0f}",
        f"{per_round / items * 1e6:,.1f}",
        fmt.baseline_name,
        f"{base_per_round / len(docs) * 1e6:,.1f}",
        f"{per_round / base_per_round:,.0f}×",
    ]


HEADERS = [
    "format", "files", "items", "items/s", "µs/item", "baseline", "baseline µs/doc", "× baseline",
]  # fmt: skip


def table(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [HEADERS, *rows]) for i in range(len(HEADERS))]
    lines = [" | ".join(h.ljust(w) for h, w in zip(HEADERS, widths, strict=True))]
    lines.append("-|-".join("-" * w for w in widths))
    for row in rows:
        cells = [
            c.ljust(w) if i in (0, 5) else c.rjust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append(" | ".join(cells))
    return "\n".join(lines)


def pin_to_one_core() -> None:
    """Keep the process (and any library threads) on one CPU where the OS allows it."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="timed run per format")
    args = parser.parse_args()
    pin_to_one_core()
    rows = [measure(fmt, args.seconds) for fmt in FORMATS]
    print(f"parse + normalise, one process, one core, Python {sys.version.split()[0]}")
    print(table(rows))


if __name__ == "__main__":
    main()
