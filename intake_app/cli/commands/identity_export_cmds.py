"""`identity card` and `identity export-secret`: this device's public card, and its age
identity for safekeeping. Both are audit-logged (the action only, never key material)."""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

import pyrage

from intake_app.cli.framework import Context, Subparsers, command_group
from intake_app.errors import UsageError
from intake_app.fsutil import atomic_write
from intake_app.identity.card import card_of
from intake_app.vault.vault import check_new_passphrase

PLAINTEXT_WARNING = (
    "Warning: {path} holds this device's secret key UNENCRYPTED. Anyone who copies it can "
    "open every bundle sent to this device. Keep it offline, in a safe, and delete other "
    "copies.\n"
)


def register(subparsers: Subparsers) -> None:
    identity = command_group(subparsers, "identity", "this device's keys and identity card")
    card = identity.add_parser("card", help="write this device's public identity card (JSON)")
    card.add_argument("--out", required=True, type=Path, metavar="FILE")
    card.set_defaults(func=cmd_identity_card)
    secret = identity.add_parser(
        "export-secret",
        help="write this device's age identity, protected by a passphrase (age -d asks for it)",
        description=(
            "Writes the age identity encrypted with a new passphrase, in age's own format "
            "(`age -d -i FILE` asks for it). With --passphrase-file, line 2 holds that "
            "passphrase; otherwise it is asked twice. --plaintext writes the bare "
            "AGE-SECRET-KEY-1 line instead (file mode 0600), for an offline safe."
        ),
    )
    secret.add_argument("--out", required=True, type=Path, metavar="FILE")
    secret.add_argument(
        "--plaintext", action="store_true", help="write the key unencrypted (dangerous)"
    )
    secret.set_defaults(func=cmd_identity_export_secret)


def cmd_identity_card(ctx: Context, args: argparse.Namespace) -> int:
    vault = ctx.open_vault()
    card = card_of(vault.identity)
    with vault.write() as conn:
        vault.audit(conn, "identity.card_export", card.fingerprint)
        atomic_write(args.out, card.to_bytes(), 0o600)
    print(f"Identity card written to {args.out}.")
    print(f"Fingerprint: {card.fingerprint_display}")
    print("Hand it over in person and read the fingerprint aloud together.")
    return 0


def _export_passphrase(ctx: Context) -> str:
    if ctx.passphrase_file is not None:
        return ctx.passphrase_change()[1]
    if not sys.stdin.isatty():
        raise UsageError(
            "A passphrase for the exported key is needed: give it on line 2 of "
            "--passphrase-file, or run in a terminal."
        )
    first = getpass.getpass("Passphrase for the exported key: ")
    if getpass.getpass("Repeat it: ") != first:
        raise UsageError("The two passphrases differ; nothing was written.")
    return first


def cmd_identity_export_secret(ctx: Context, args: argparse.Namespace) -> int:
    vault = ctx.open_vault()
    identity = vault.identity
    secret_line = identity.age_identity + "\n"
    if args.plaintext:
        content = secret_line.encode("ascii")
        mode = "plaintext"
    else:
        passphrase = _export_passphrase(ctx)
        check_new_passphrase(passphrase)
        # An age identity file (as age-keygen writes it), encrypted with age's scrypt
        # passphrase format so `age -d -i FILE` asks for the passphrase.
        identity_file = f"# public key: {identity.age_recipient}\n{secret_line}"
        content = pyrage.passphrase.encrypt(identity_file.encode("ascii"), passphrase)
        mode = "passphrase"
    with vault.write() as conn:
        vault.audit(conn, f"identity.secret_export.{mode}", identity.fingerprint)
        atomic_write(args.out, content, 0o600)
    if args.plaintext:
        sys.stderr.write(PLAINTEXT_WARNING.format(path=args.out))
    else:
        print(f"Secret key written to {args.out}, protected by the passphrase you chose.")
    return 0
