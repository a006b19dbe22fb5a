"""Webhook subscriptions from the command line: add (prints the secret once), list, remove."""

from __future__ import annotations

import argparse
import json
from typing import Any

# shared.db.subscriptions.FILTERS, named here so that building the parser imports no database
# code (a unit test keeps the two equal).
FILTERS = ("partner", "language", "subject", "pubstatus")


def register(sub: Any) -> None:
    p = sub.add_parser("subscriptions", help="webhooks to publishing systems")
    ssub = p.add_subparsers(dest="action", required=True)
    add = ssub.add_parser("add", help="subscribe a URL and print its signing secret once")
    add.add_argument("url")
    for name in FILTERS:
        add.add_argument(f"--{name}", help=f"deliver only items with this {name}")
    add.add_argument("--json", action="store_true")
    add.set_defaults(handler=cmd_add)
    lst = ssub.add_parser("list", help="list subscriptions (never the secrets)")
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(handler=cmd_list)
    rm = ssub.add_parser("remove", help="delete a subscription and its pending deliveries")
    rm.add_argument("id")
    rm.set_defaults(handler=cmd_remove)


def cmd_add(args: argparse.Namespace) -> int:
    from services.cli.context import transaction
    from shared.core.settings import Settings
    from shared.db import subscriptions
    from shared.output.webhooks import allow_private

    filters = {n: getattr(args, n) for n in FILTERS if getattr(args, n)}
    with transaction() as conn:
        created = subscriptions.create(
            conn, url=args.url, filters=filters, allow_private=allow_private(Settings())
        )
    if args.json:
        print(json.dumps({"id": created["id"], "url": created["url"], "secret": created["secret"]}))
    else:
        print(f"subscription {created['id']} created for {created['url']}")
        print(f"signing secret (shown once, store it now): {created['secret']}")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from services.cli.context import transaction
    from shared.core.model import rfc3339
    from shared.db import subscriptions

    with transaction() as conn:
        rows = subscriptions.list_all(conn)
    if args.json:
        out = [
            {**r, **{k: rfc3339(r[k]) for k in ("created_at", "disabled_at", "failing_since")}}
            for r in rows
        ]
        print(json.dumps(out, ensure_ascii=False, indent=2))
        return 0
    for r in rows:
        state = "disabled" if r["disabled_at"] else "failing" if r["failing_since"] else "active"
        filters = " ".join(f"{k}={v}" for k, v in sorted(r["filters"].items()))
        print(f"{r['id']}  {state:<8} {r['url']}  {filters}".rstrip())
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    from services.cli.context import transaction
    from shared.db import subscriptions

    with transaction() as conn:
        subscriptions.delete_one(conn, args.id)
    print(f"subscription {args.id} removed")
    return 0
