"""Lifecycle commands: case retract, case erase-attachments, case delivered, backup, restore,
destroy. Destructive ones say what will happen and confirm on a terminal (--yes skips)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from intake_app.cli.commands.case_cmds import case_id_arg
from intake_app.cli.framework import Context, Subparsers, command_group, confirm, print_json
from intake_app.errors import UsageError
from intake_app.identity.keys import display_fingerprint


def register(subparsers: Subparsers) -> None:
    case = command_group(subparsers, "case", "create, list, show and change cases")
    retract = case.add_parser(
        "retract",
        help="the person withdrew: erase the case (or its identifying answers) here and, "
        "through a signed tombstone, at every recipient it went to",
    )
    retract.add_argument("case_id", metavar="ID")
    retract.add_argument(
        "--identifying-only",
        action="store_true",
        help="erase only the identifying answers and face photographs",
    )
    retract.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    retract.set_defaults(func=cmd_retract)

    erase = case.add_parser(
        "erase-attachments",
        help="erase from this vault the case's attachments a recipient confirmed holding",
    )
    erase.add_argument("case_id", metavar="ID")
    erase.add_argument(
        "--delivered",
        action="store_true",
        required=True,
        help="only attachments a receipt confirmed (required)",
    )
    erase.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    erase.set_defaults(func=cmd_erase_attachments)

    delivered = case.add_parser("delivered", help="who confirmed holding the case (receipts)")
    delivered.add_argument("case_id", metavar="ID")
    delivered.add_argument("--json", action="store_true", help="machine-readable output")
    delivered.set_defaults(func=cmd_delivered)

    backup = subparsers.add_parser(
        "backup", help="write an encrypted copy of the vault (same passphrase) to one file"
    )
    backup.add_argument("--out", required=True, type=Path, metavar="FILE")
    backup.set_defaults(func=cmd_backup)

    restore = subparsers.add_parser(
        "restore", help="rebuild a vault from a backup file (asks for the backup's passphrase)"
    )
    restore.add_argument("backup_file", type=Path, metavar="FILE")
    restore.add_argument(
        "--vault",
        dest="restore_vault",
        type=Path,
        metavar="DIR",
        help="where to put the restored vault (default: the --vault folder)",
    )
    restore.set_defaults(func=cmd_restore)

    destroy = subparsers.add_parser(
        "destroy", help="crypto-erase this vault and remove its files (asks for its name)"
    )
    destroy.add_argument(
        "--yes", action="store_true", help="for scripts: no prompt; needs --confirm-name"
    )
    destroy.add_argument("--confirm-name", metavar="NAME", help="the vault's name, exactly")
    destroy.set_defaults(func=cmd_destroy)


def retract_question(case_id: str, identifying_only: bool, recipients: int) -> str:
    """What a retraction will do, in words (the CLI and the GUI show the same)."""
    if identifying_only:
        what = (
            f"Erase the identifying answers of case {case_id} (full name, birth date, "
            "contacts, witnesses and the other protected questions) and its face "
            "photographs from this vault; the rest of the case stays."
        )
    else:
        what = (
            f"Erase case {case_id} from this vault: every answer, its full-text entries and "
            "the attachments only it uses. Its id and the hashes of its revisions stay."
        )
    sent = (
        f" A signed tombstone will go to the {recipients} recipient(s) it was sent to, with "
        "the next bundle to each, and erase it there too."
        if recipients
        else " It was not sent to anyone from this vault."
    )
    return what + sent + " This cannot be undone."


def cmd_retract(ctx: Context, args: argparse.Namespace) -> int:
    from intake_app.cases import graph
    from intake_app.errors import NotFound
    from intake_app.lifecycle import tombstone

    case_id = case_id_arg(args.case_id)
    vault = ctx.open_vault()
    if not graph.case_exists(vault.conn, case_id):
        raise NotFound(f"There is no case {case_id} in this vault.")
    recipients = tombstone.recipients_of_case(vault.conn, case_id)
    confirm(
        retract_question(case_id, args.identifying_only, len(recipients)) + " Retract?", args.yes
    )
    done = tombstone.retract(vault, case_id, identifying_only=args.identifying_only)
    scope = "identifying answers" if args.identifying_only else "case"
    print(
        f"Retracted ({scope}): {done.erasure.revisions} revision(s) erased, "
        f"{done.erasure.blobs} attachment(s) removed; tombstone {done.tombstone.id}."
    )
    for fp in done.recipients:
        print(f"  the tombstone goes to {display_fingerprint(fp)} with the next export to it")
    return 0


def cmd_erase_attachments(ctx: Context, args: argparse.Namespace) -> int:
    from intake_app.errors import IntakeError
    from intake_app.lifecycle import receipts

    case_id = case_id_arg(args.case_id)
    vault = ctx.open_vault()
    delivered = receipts.delivered_attachments(vault.conn, case_id)
    if not delivered:
        raise IntakeError(
            "No attachment of this case held here was confirmed delivered by a receipt; "
            "nothing was erased."
        )
    confirm(
        f"Erase {len(delivered)} attachment(s) of case {case_id} from this vault? A "
        "recipient confirmed holding each of them; their hashes stay in the case.",
        args.yes,
    )
    erased = receipts.erase_delivered_attachments(vault, case_id)
    for item in erased:
        holders = ", ".join(display_fingerprint(fp) for fp in item.delivered_to)
        print(f"Erased {item.sha256} (held by {holders})")
    return 0


def cmd_delivered(ctx: Context, args: argparse.Namespace) -> int:
    from intake_app.lifecycle import receipts

    case_id = case_id_arg(args.case_id)
    conn = ctx.open_vault().conn
    data = {
        "id": case_id,
        "delivered_to": receipts.delivered_to(conn, case_id),
        "erased_attachments": receipts.erased_attachments(conn, case_id),
    }
    if args.json:
        print_json(data)
        return 0
    if not data["delivered_to"]:
        print("No receipt confirms this case yet.")
    for fp in data["delivered_to"]:
        print(f"Delivered to {display_fingerprint(fp)}")
    return 0


def cmd_backup(ctx: Context, args: argparse.Namespace) -> int:
    from intake_app.lifecycle.backup import backup

    done = backup(ctx.open_vault(), args.out)
    print(
        f"Backup written to {done.path} ({done.size} bytes, {done.cases} case(s)). It opens "
        "with this vault's passphrase; keep it apart from this computer."
    )
    return 0


def cmd_restore(ctx: Context, args: argparse.Namespace) -> int:
    from intake_app.lifecycle.backup import restore

    target = args.restore_vault or ctx.vault_dir
    if not args.backup_file.is_file():
        raise UsageError(f"There is no backup file at {args.backup_file}.")
    cases = restore(args.backup_file, target, ctx.passphrase())
    print(f"Restored {cases} case(s) into {target}.")
    print("This vault is the same device as the one backed up: do not keep using both.")
    return 0


def cmd_destroy(ctx: Context, args: argparse.Namespace) -> int:
    from intake_app.lifecycle.destroy import LIMITS_TEXT, destroy

    if args.yes and args.confirm_name is None:
        raise UsageError("destroy --yes needs --confirm-name NAME (the vault's name).")
    if not args.yes and not sys.stdin.isatty():
        raise UsageError(
            "destroy asks for the vault's name on a terminal; for scripts give "
            "--yes --confirm-name NAME."
        )
    vault = ctx.open_vault()
    print(
        f"This destroys the vault at {vault.path}: its key slots are overwritten and every "
        "file is removed. Nobody, you included, can open it again."
    )
    print(LIMITS_TEXT)
    typed = args.confirm_name if args.yes else input("Type the vault's name to destroy it: ")
    done = destroy(vault, typed)
    print(f"Destroyed: {done.files_removed} file(s) removed from {done.folder}.")
    if not done.keyring_cleared:
        print("The OS keyring refused to delete its secret; without the vault it opens nothing.")
    return 0
