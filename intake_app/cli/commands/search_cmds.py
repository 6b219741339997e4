"""`search QUERY`: full-text search over the head answers (results show pseudonyms only)."""

from __future__ import annotations

import argparse

from intake_app.cases.queries import CaseSummary
from intake_app.cases.search import search_cases
from intake_app.cli.commands.case_cmds import print_summaries
from intake_app.cli.framework import Context, Subparsers, print_json
from intake_app.errors import UsageError


def register(subparsers: Subparsers) -> None:
    search = subparsers.add_parser(
        "search", help="find cases by words in their answers (Russian, Kazakh, any language)"
    )
    search.add_argument("query", metavar="QUERY", help="words; the last may be a prefix")
    search.add_argument("--json", action="store_true", help="machine-readable output")
    search.add_argument("--limit", type=int, default=50, help="at most this many (default 50)")
    search.set_defaults(func=cmd_search)


def cmd_search(ctx: Context, args: argparse.Namespace) -> int:
    if args.limit < 1 or args.limit > 100_000:
        raise UsageError("--limit must be between 1 and 100000.")
    results = search_cases(ctx.open_vault().conn, args.query, limit=args.limit)
    if args.json:
        print_json(results)
        return 0
    print_summaries(
        [CaseSummary(r["id"], r["pseudonym"], r["updated_at"], r["red_flags"], r["conflict"],
                     None, None, None) for r in results],
        as_json=False,
    )  # fmt: skip
    return 0
