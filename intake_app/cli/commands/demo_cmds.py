"""`demo [--cases N] [--seed S]`: realistic synthetic cases, for trying and benchmarks.

The defaults (190 cases, seed 2022) are the "coalition" profile: the figures the NGO
Coalition against Torture published for January 2022 (see intake_app/cases/demo.py).
"""

from __future__ import annotations

import argparse
import sys

from intake_app.cases.demo import COALITION_CASES, COALITION_SEED, insert_demo
from intake_app.cases.store import CaseStore
from intake_app.cli.framework import Context, Subparsers
from intake_app.errors import UsageError

MAX_CASES = 1_000_000


def register(subparsers: Subparsers) -> None:
    demo = subparsers.add_parser(
        "demo", help="add realistic synthetic cases (default: the coalition profile, 190 cases)"
    )
    demo.add_argument("--cases", type=int, default=COALITION_CASES, metavar="N")
    demo.add_argument("--seed", type=int, default=COALITION_SEED, metavar="S")
    demo.set_defaults(func=cmd_demo)


def cmd_demo(ctx: Context, args: argparse.Namespace) -> int:
    if not 1 <= args.cases <= MAX_CASES:
        raise UsageError(f"--cases must be between 1 and {MAX_CASES}.")
    store = CaseStore(ctx.open_vault())

    def progress(done: int, total: int, what: str) -> None:
        if sys.stderr.isatty():
            sys.stderr.write(f"\r{min(done, total)}/{total} cases")

    result = insert_demo(store, args.cases, args.seed, progress=progress)
    if sys.stderr.isatty():
        sys.stderr.write("\n")
    note = f" ({result.skipped} already in the vault)" if result.skipped else ""
    print(f"Added {result.created} demo cases{note} in {result.seconds:.1f} s "
          f"({result.per_second:.0f} cases/s).")  # fmt: skip
    return 0
