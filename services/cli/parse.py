"""``dateline parse FILE``: the normalised items as a JSON array, offline."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shared.core.errors import Invalid

if TYPE_CHECKING:
    from shared.core.model import Profile

BY_SUFFIX = {
    ".json": "application/json",
    ".xml": "application/xml",
    ".html": "text/html",
    ".htm": "text/html",
    ".eml": "message/rfc822",
    ".txt": "text/plain",
}


def register(sub: Any) -> None:
    p = sub.add_parser("parse", help="print a file's normalised items (offline)")
    p.add_argument("file", type=Path)
    p.add_argument("--timezone", default=None, help="the partner's time zone (default UTC)")
    p.add_argument("--profile", type=Path, default=None, help="a partner profile (JSON)")
    p.add_argument("--partner", default=None, help="use a stored partner's profile")
    p.add_argument("--content-type", default=None, help="default: from the file name")
    p.set_defaults(handler=cmd_parse)


def guess_content_type(path: Path, raw: bytes) -> str:
    if path.suffix.lower() in BY_SUFFIX:
        return BY_SUFFIX[path.suffix.lower()]
    head = raw.lstrip()[:1]
    return {b"{": "application/json", b"[": "application/json", b"<": "application/xml"}.get(
        head, "text/plain"
    )


def _profile(args: argparse.Namespace) -> Profile:
    from shared.reading.profiles import load_profile

    data: dict[str, Any] = {}
    if args.partner:
        from services.cli.context import transaction
        from shared.db import credentials

        with transaction() as conn:
            data = credentials.get_partner(conn, args.partner).profile.as_dict()
    if args.profile:
        try:
            given = json.loads(args.profile.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise Invalid(f"cannot read profile {args.profile}: {exc}") from exc
        if not isinstance(given, dict):
            raise Invalid("a profile is a JSON object")
        data.update(given)
    if args.timezone:
        data["timezone"] = args.timezone
    return load_profile(data)


def cmd_parse(args: argparse.Namespace) -> int:
    from shared.core.settings import Settings
    from shared.output.serialise import contract_item, item_doc
    from shared.reading.prepare import prepare

    try:
        raw = args.file.read_bytes()
    except OSError as exc:
        raise Invalid(f"cannot read {args.file}: {exc.strerror}") from exc
    content_type = args.content_type or guess_content_type(args.file, raw)
    normalised = prepare(
        raw,
        content_type,
        namespace=args.partner or "local",
        profile=_profile(args),
        received_at=datetime.now(UTC),
        max_body_bytes=Settings().max_item_body_bytes,  # what the server would refuse
    )
    server = {"partner": args.partner}
    out = [contract_item(item_doc(n), server) for n in normalised]
    print(json.dumps(out, ensure_ascii=False, indent=2))
    return 0
