"""`identity show`: this device's public identity (other identity commands live beside)."""

from __future__ import annotations

import argparse

from intake_app.cli.framework import Context, Subparsers, command_group, print_json


def register(subparsers: Subparsers) -> None:
    identity = command_group(subparsers, "identity", "this device's keys and identity card")
    show = identity.add_parser("show", help="name, role, fingerprint and public keys")
    show.add_argument("--json", action="store_true", help="machine-readable output")
    show.set_defaults(func=cmd_identity_show)


def cmd_identity_show(ctx: Context, args: argparse.Namespace) -> int:
    summary = ctx.open_vault().identity.public_summary()
    if args.json:
        print_json(summary)
        return 0
    print(f"Name:                {summary['name']}")
    print(f"Role:                {summary['role']} (recipient category: {summary['category']})")
    print(f"Fingerprint:         {summary['fingerprint_display']}")
    print(f"Age recipient:       {summary['age_recipient']}")
    print(f"Minisign public key: {summary['minisign_public_key']}")
    return 0
