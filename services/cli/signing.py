"""``dateline signing``: partners' body-signature secrets (Standard Webhooks, Superdesk).

``set-secret`` prints a new secret once (it replaces the old one at once); ``show`` says whether a
partner has a secret and must sign, and never prints the secret.
"""

from __future__ import annotations

import argparse
import json
from typing import Any


def register(sub: Any) -> None:
    parser = sub.add_parser("signing", help="partners' body-signature secrets")
    ssub = parser.add_subparsers(dest="action", required=True)
    put = ssub.add_parser("set-secret", help="give a partner a new signing secret, shown once")
    put.add_argument("slug")
    need = put.add_mutually_exclusive_group()
    need.add_argument(
        "--require", dest="require", action="store_const", const=True, default=None,
        help="refuse the partner's unsigned pushes",
    )  # fmt: skip
    need.add_argument(
        "--optional", dest="require", action="store_const", const=False,
        help="accept unsigned pushes (signed ones are still checked)",
    )  # fmt: skip
    put.add_argument("--json", action="store_true")
    put.set_defaults(handler=cmd_set_secret)
    show = ssub.add_parser("show", help="whether a partner has a secret and must sign")
    show.add_argument("slug")
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=cmd_show)


def cmd_set_secret(args: argparse.Namespace) -> int:
    from services.cli.context import transaction
    from shared.db import signing

    with transaction() as conn:
        secret = signing.set_secret(conn, args.slug, require=args.require)
        state = signing.show(conn, args.slug)
    if args.json:
        print(json.dumps({**state, "secret": secret}))
    else:
        need = "required" if state["require_signature"] else "optional"
        print(f"signing secret of {args.slug} set; signatures are {need}")
        print(f"secret (shown once, store it now): {secret}")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from services.cli.context import transaction
    from shared.db import signing

    with transaction() as conn:
        state = signing.show(conn, args.slug)
    if args.json:
        print(json.dumps(state))
    else:
        need = "required" if state["require_signature"] else "optional"
        secret = "set" if state["has_secret"] else "none"
        print(f"{args.slug}: secret {secret}, signatures {need}")
    return 0
