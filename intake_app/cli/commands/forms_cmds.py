"""`forms --out FILE.pdf [--lang ru|kk|en]`: the blank consent and interview forms to print.

Needs no vault: the forms hold no case data, only the protocol's questions.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from intake_app.cli.framework import Context, Subparsers
from intake_app.errors import UsageError

# As in reports.forms: repeated so that listing the commands does not load the PDF library at
# every start (tests/integration checks both agree).
LANGS = ("en", "ru", "kk")
PARTS = ("consent", "interview")


def register(subparsers: Subparsers) -> None:
    forms = subparsers.add_parser(
        "forms", help="blank interview and consent forms to print (PDF, from the protocol)"
    )
    forms.add_argument("--out", metavar="FILE.pdf", type=Path, required=True)
    forms.add_argument("--lang", choices=LANGS, default="ru", help="language (default ru)")
    forms.add_argument("--part", choices=PARTS, action="append", dest="parts",
                       help="only this part (repeatable; default: consent and interview)")
    forms.add_argument("--protocol", metavar="ID", default="torture-intake",
                       help="protocol id (default torture-intake, newest version)")
    forms.set_defaults(func=cmd_forms)


def cmd_forms(_ctx: Context, args: argparse.Namespace) -> int:
    from intake_app.protocol import load_protocol
    from intake_app.reports.forms import write_forms

    out: Path = args.out
    if out.is_dir():
        raise UsageError(f"{out} is a folder; give a file name such as forms.pdf.")
    if not out.parent.is_dir():
        raise UsageError(f"The folder {out.parent} does not exist.")
    protocol = load_protocol(args.protocol)
    parts = tuple(dict.fromkeys(args.parts)) if args.parts else PARTS
    result = write_forms(protocol, args.lang, out, parts=parts)
    sys.stdout.write(f"Wrote {result.pages} pages to {out}.\n")
    return 0
