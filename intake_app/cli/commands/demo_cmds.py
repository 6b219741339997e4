"""`demo [--cases N] [--seed S]`: realistic synthetic cases, for trying and benchmarks.

The default count (190) gives the "coalition" profile: the figures the NGO Coalition against
Torture published for January 2022 (see intake_app/cases/demo.py; the figures hold for any
seed). The default seed is this device's own: case ids follow from the seed, and two monitors
running the same seed would invent the same cases, which a coordinator then sees as one case
in conflict between two authors.
"""

from __future__ import annotations

import argparse
import hashlib
import sys

from intake_app.cases.demo import COALITION_CASES, insert_demo
from intake_app.cases.store import CaseStore
from intake_app.cli.framework import Context, Subparsers
from intake_app.errors import UsageError

MAX_CASES = 1_000_000


def register(subparsers: Subparsers) -> None:
    demo = subparsers.add_parser(
        "demo", help="add realistic synthetic cases (default: the coalition profile, 190 cases)"
    )
    demo.add_argument("--cases", type=int, default=COALITION_CASES, metavar="N")
    demo.add_argument("--seed", type=int, default=None, metavar="S",
                      help="the same seed gives the same cases (default: this device's own)")
    demo.set_defaults(func=cmd_demo)


def cmd_demo(ctx: Context, args: argparse.Namespace) -> int:
    if not 1 <= args.cases <= MAX_CASES:
        raise UsageError(f"--cases must be between 1 and {MAX_CASES}.")
    vault = ctx.open_vault()
    seed = args.seed if args.seed is not None else device_seed(vault.identity.fingerprint)
    store = CaseStore(vault)

    def progress(done: int, total: int, what: str) -> None:
        if sys.stderr.isatty():
            sys.stderr.write(f"\r{min(done, total)}/{total} cases")

    result = insert_demo(store, args.cases, seed, progress=progress)
    if sys.stderr.isatty():
        sys.stderr.write("\n")
    note = f" ({result.skipped} already in the vault)" if result.skipped else ""
    print(f"Added {result.created} demo cases{note} in {result.seconds:.1f} s "
          f"({result.per_second:.0f} cases/s; seed {seed}).")  # fmt: skip
    return 0


def device_seed(fingerprint: str) -> int:
    """A demo seed of this device's own (48 bits of a hash of its fingerprint)."""
    digest = hashlib.sha256(b"intake-demo-seed\x00" + fingerprint.encode("ascii")).digest()
    return int.from_bytes(digest[:6], "big")
