"""Vault commands: init, passwd, audit verify, keyring remember|forget."""

from __future__ import annotations

import argparse

from intake_app.cli.framework import Context, Subparsers, command_group
from intake_app.errors import IntakeError
from intake_app.identity.keys import CATEGORIES, ROLES
from intake_app.vault import Vault
from intake_app.vault import audit as audit_log

DEFAULT_NAME = "Unnamed device"


def register(subparsers: Subparsers) -> None:
    init = subparsers.add_parser("init", help="create a new vault and this device's keys")
    init.add_argument("--name", default=DEFAULT_NAME, help="the name on this device's card")
    init.add_argument("--role", choices=ROLES, default="monitor")
    init.add_argument(
        "--category",
        choices=CATEGORIES,
        default=None,
        help="recipient category on the card (default: from the role)",
    )
    init.set_defaults(func=cmd_init)

    passwd = subparsers.add_parser(
        "passwd", help="change the passphrase (with --passphrase-file: line 1 current, line 2 new)"
    )
    passwd.set_defaults(func=cmd_passwd)

    audit = command_group(subparsers, "audit", "the vault's tamper-evident audit log")
    verify = audit.add_parser("verify", help="check the audit log's hash chain")
    verify.set_defaults(func=cmd_audit_verify)

    keyring = command_group(
        subparsers, "keyring", "let this computer's OS keyring unlock the vault"
    )
    remember = keyring.add_parser(
        "remember",
        help="unlock without the passphrase on this computer (only with full-disk encryption)",
    )
    remember.set_defaults(func=cmd_keyring_remember)
    forget = keyring.add_parser("forget", help="stop remembering; only the passphrase unlocks")
    forget.set_defaults(func=cmd_keyring_forget)


def cmd_init(ctx: Context, args: argparse.Namespace) -> int:
    passphrase = ctx.new_passphrase()
    vault = Vault.create(
        ctx.vault_dir, passphrase, name=args.name, role=args.role, category=args.category
    )
    ctx.adopt_vault(vault)
    print(f"Created a vault at {vault.path}.")
    print(f"Fingerprint: {vault.identity.fingerprint_display}")
    return 0


def cmd_passwd(ctx: Context, args: argparse.Namespace) -> int:
    old, new = ctx.passphrase_change()
    vault = Vault.open(ctx.vault_dir, old)
    ctx.adopt_vault(vault)
    vault.change_passphrase(old, new)
    print("Passphrase changed.")
    return 0


def cmd_audit_verify(ctx: Context, args: argparse.Namespace) -> int:
    vault = ctx.open_vault()
    problems = audit_log.verify(vault.conn)
    if not problems:
        count = len(audit_log.entries(vault.conn))
        print(f"The audit log is intact: {count} entries.")
        return 0
    for problem in problems:
        print(problem.message)
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    raise IntakeError(f"The audit log does not verify: {problems[0].message}{more}.")


def cmd_keyring_remember(ctx: Context, args: argparse.Namespace) -> int:
    vault = ctx.open_vault()
    vault.remember_in_keyring()
    print(
        "This computer now unlocks the vault without the passphrase. Use this only on a "
        "computer with full-disk encryption; `intake-app keyring forget` undoes it."
    )
    return 0


def cmd_keyring_forget(ctx: Context, args: argparse.Namespace) -> int:
    vault = ctx.open_vault()
    if vault.forget_keyring():
        print("Forgotten: only the passphrase unlocks the vault now.")
    else:
        print(
            "Forgotten: only the passphrase unlocks the vault now. The system keyring "
            "refused to delete its stored secret, which no longer unlocks anything."
        )
    return 0
