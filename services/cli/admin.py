"""Ops commands: migrate, partners, tokens, replay, dead letters.

The database layer is imported inside each handler: building the parser stays cheap.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

ROLES = ("editor", "admin")  # shared.db.credentials.ROLES (a unit test keeps them equal)


def register(sub: Any) -> None:
    p = sub.add_parser("migrate", help="apply database migrations")
    p.set_defaults(handler=cmd_migrate)

    partners_p = sub.add_parser("partners", help="manage wire partners and their keys")
    psub = partners_p.add_subparsers(dest="action", required=True)
    add = psub.add_parser("add", help="create a partner and print its key once")
    add.add_argument("slug")
    add.add_argument("--timezone", default="UTC")
    add.add_argument("--language", action="append", default=[])
    add.add_argument("--json", action="store_true")
    add.set_defaults(handler=cmd_partner_add)
    lst = psub.add_parser("list", help="list partners")
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(handler=cmd_partner_list)
    for name, disabled in (("disable", True), ("enable", False)):
        p = psub.add_parser(name, help=f"{name} a partner")
        p.add_argument("slug")
        p.set_defaults(handler=cmd_partner_disable, disabled=disabled)
    rot = psub.add_parser("rotate-key", help="issue a new key (at most two stay active)")
    rot.add_argument("slug")
    rot.add_argument("--json", action="store_true")
    rot.set_defaults(handler=cmd_partner_rotate)
    keys = psub.add_parser("keys", help="list a partner's key ids (never the secrets)")
    keys.add_argument("slug")
    keys.set_defaults(handler=cmd_partner_keys)
    revoke = psub.add_parser("revoke-key", help="revoke one partner key at once, by key id")
    revoke.add_argument("slug")
    revoke.add_argument("key_id")
    revoke.set_defaults(handler=cmd_partner_revoke)
    prof = psub.add_parser("set-profile", help="store a partner's parsing profile (JSON)")
    prof.add_argument("slug")
    prof.add_argument("file", type=Path)
    prof.set_defaults(handler=cmd_partner_profile)

    tokens = sub.add_parser("tokens", help="editor and admin tokens")
    tsub = tokens.add_subparsers(dest="action", required=True)
    tadd = tsub.add_parser("add", help="create a token and print it once")
    tadd.add_argument("name")
    tadd.add_argument("--role", required=True, choices=ROLES)
    tadd.add_argument("--json", action="store_true")
    tadd.set_defaults(handler=cmd_token_add)
    tsub.add_parser("list", help="list token ids (never the secrets)").set_defaults(
        handler=cmd_token_list
    )
    trev = tsub.add_parser("revoke", help="revoke a token by its key id")
    trev.add_argument("key_id")
    trev.set_defaults(handler=cmd_token_revoke)

    replay = sub.add_parser("replay", help="process a submission again from its raw bytes")
    target = replay.add_mutually_exclusive_group(required=True)
    target.add_argument("submission", nargs="?")
    target.add_argument("--failed", action="store_true", help="every failed submission")
    replay.set_defaults(handler=cmd_replay)

    dead = sub.add_parser("dead", help="submissions that exhausted their attempts")
    dsub = dead.add_subparsers(dest="action", required=True)
    dsub.add_parser("list").set_defaults(handler=cmd_dead_list)
    dsub.add_parser("retry").set_defaults(handler=cmd_dead_retry)


def _print(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def cmd_migrate(args: argparse.Namespace) -> int:
    from services.cli.context import database

    with database():
        print("database is at the newest revision")
    return 0


def cmd_partner_add(args: argparse.Namespace) -> int:
    from services.cli.context import transaction
    from shared.db import credentials

    with transaction() as conn:
        partner, key = credentials.create_partner(
            conn, slug=args.slug, timezone=args.timezone, languages=tuple(args.language)
        )
    if args.json:
        print(json.dumps({"slug": partner.slug, "key": key}))
    else:
        print(f"partner {partner.slug} created (time zone {partner.profile.timezone})")
        print(f"key (shown once, store it now): {key}")
    return 0


def cmd_partner_list(args: argparse.Namespace) -> int:
    from services.cli.context import transaction
    from shared.db import credentials

    with transaction() as conn:
        rows = credentials.list_partners(conn)
    if args.json:
        _print(rows)
    else:
        for r in rows:
            state = "disabled" if r["disabled"] else "active"
            print(f"{r['slug']:<20} {r['timezone']:<20} {state:<8} keys={r['active_keys']}")
    return 0


def cmd_partner_disable(args: argparse.Namespace) -> int:
    from services.cli.context import transaction
    from shared.db import credentials

    with transaction() as conn:
        credentials.set_disabled(conn, args.slug, args.disabled)
    print(f"partner {args.slug} {'disabled' if args.disabled else 'enabled'}")
    return 0


def cmd_partner_rotate(args: argparse.Namespace) -> int:
    from services.cli.context import transaction
    from shared.db import credentials

    with transaction() as conn:
        key = credentials.rotate_key(conn, args.slug)
    print(json.dumps({"slug": args.slug, "key": key}) if args.json else f"new key: {key}")
    return 0


def cmd_partner_profile(args: argparse.Namespace) -> int:
    from services.cli.context import transaction
    from shared.core.errors import Invalid
    from shared.db import credentials

    try:
        data = json.loads(args.file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise Invalid(f"cannot read profile {args.file}: {exc}") from exc
    with transaction() as conn:
        profile = credentials.set_profile(conn, args.slug, data)
    _print(profile.as_dict())
    return 0


def cmd_partner_keys(args: argparse.Namespace) -> int:
    from services.cli.context import transaction
    from shared.db import credentials

    with transaction() as conn:
        _print(credentials.list_credentials(conn, partner_slug=args.slug))
    return 0


def cmd_partner_revoke(args: argparse.Namespace) -> int:
    from services.cli.context import transaction
    from shared.db import credentials

    with transaction() as conn:
        credentials.revoke(conn, args.key_id, partner_slug=args.slug)
    print(f"key {args.key_id} of {args.slug} revoked")
    return 0


def cmd_token_list(args: argparse.Namespace) -> int:
    from services.cli.context import transaction
    from shared.db import credentials

    with transaction() as conn:
        _print(credentials.list_credentials(conn))
    return 0


def cmd_token_revoke(args: argparse.Namespace) -> int:
    from services.cli.context import transaction
    from shared.db import credentials

    with transaction() as conn:
        credentials.revoke(conn, args.key_id)
    print(f"token {args.key_id} revoked")
    return 0


def cmd_token_add(args: argparse.Namespace) -> int:
    from services.cli.context import transaction
    from shared.db import credentials

    with transaction() as conn:
        token = credentials.create_token(conn, name=args.name, role=args.role)
    if args.json:
        print(json.dumps({"name": args.name, "token": token}))
    else:
        print(f"{args.role} token for {args.name} (shown once): {token}")
    return 0


def _requeue(ids: list[str]) -> int:
    from services.cli.context import database
    from services.queue import enqueue, make_celery
    from shared.db import submissions

    with database(need_redis=True) as (runtime, engine):
        with engine.begin() as conn:
            done = [i for i in ids if submissions.requeue(conn, i)]
        if runtime.redis_url:
            celery = make_celery(runtime.settings, runtime.redis_url, sender=True)
            for i in done:
                enqueue(celery, i)
    for i in done:
        print(f"requeued {i}")
    for i in sorted(set(ids) - set(done)):
        print(f"{i}: no finished, failed or dead submission with this id", file=sys.stderr)
    return 0 if len(done) == len(ids) else 1


def _with_status(status: str) -> list[dict[str, Any]]:
    from sqlalchemy import select

    from services.cli.context import transaction
    from shared.core.model import SubmissionStatus, rfc3339
    from shared.db.tables import partners
    from shared.db.tables import submissions as submissions_table

    with transaction() as conn:
        rows = conn.execute(
            select(
                submissions_table.c.id,
                partners.c.slug,
                submissions_table.c.received_at,
                submissions_table.c.attempts,
                submissions_table.c.error,
            )
            .join(partners, partners.c.id == submissions_table.c.partner_id)
            .where(submissions_table.c.status == SubmissionStatus(status))
            .order_by(submissions_table.c.received_at)
        ).all()
    return [
        {
            "id": r.id,
            "partner": r.slug,
            "received_at": rfc3339(r.received_at),
            "attempts": r.attempts,
            "error": r.error,
        }
        for r in rows
    ]


def cmd_replay(args: argparse.Namespace) -> int:
    ids = [r["id"] for r in _with_status("failed")] if args.failed else [args.submission]
    if not ids:
        print("nothing to replay")
        return 0
    return _requeue(ids)


def cmd_dead_list(args: argparse.Namespace) -> int:
    _print(_with_status("dead"))
    return 0


def cmd_dead_retry(args: argparse.Namespace) -> int:
    ids = [r["id"] for r in _with_status("dead")]
    if not ids:
        print("no dead submissions")
        return 0
    return _requeue(ids)
