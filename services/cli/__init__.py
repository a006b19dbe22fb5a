"""The ``dateline`` command. Exit status: 0 success, 2 bad input or usage, 1 otherwise."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from shared.core.errors import DatelineError, InputError

Handler = Callable[[argparse.Namespace], int]


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # argparse exits 2 itself; keep it, add a hint
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    from services.cli import admin, demo, parse, signing, stack, subscriptions

    parser = _Parser(
        prog="dateline",
        description="Dateline wire ingestion.",
        epilog="Start with `dateline up` (everything on this machine), then `dateline demo`. "
        "`dateline COMMAND --help` tells more. Exit status: 0 success, 2 bad input or usage, "
        "1 otherwise.",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="folder of the embedded servers (env DATELINE_DATA_DIR)",
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    stack.register(sub)
    demo.register(sub)
    admin.register(sub)
    parse.register(sub)
    signing.register(sub)
    subscriptions.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    data_dir = getattr(args, "up_data_dir", None) or args.data_dir
    if data_dir is not None:
        os.environ["DATELINE_DATA_DIR"] = str(Path(data_dir).expanduser().resolve())
    handler: Handler = args.handler
    try:
        return handler(args)
    except InputError as exc:
        print(json.dumps({"error": exc.as_dict()}, ensure_ascii=False), file=sys.stderr)
        return 2
    except UsageError as exc:
        print(f"dateline: {exc}", file=sys.stderr)
        return 2
    except DatelineError as exc:
        print(json.dumps({"error": exc.as_dict()}, ensure_ascii=False), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
