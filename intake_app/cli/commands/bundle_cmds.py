"""`export`, `verify` and `import`: signed, encrypted bundles between devices.

Exit codes (DESIGN "Command line"): 0 done (a repeated import is done, and says so); 4 the
bundle was refused (damaged, forged, unknown or revoked signer, not for this vault,
equivocation), with one line on stderr.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from intake_app.cli.commands.case_cmds import case_id_arg
from intake_app.cli.framework import Context, Subparsers, print_json
from intake_app.errors import BundleRefused, IntakeError
from intake_app.identity.keys import display_fingerprint

if TYPE_CHECKING:
    from intake_app.bundles.merge import ImportResult
# The bundle modules are imported inside the commands: every command module is imported at
# every start, and these pull in Pillow and the consent machinery.


def register(subparsers: Subparsers) -> None:
    export = subparsers.add_parser(
        "export",
        help="write a signed bundle, encrypted to the chosen recipients",
        description=(
            "Carries every revision not yet sent to all the recipients, or the full history "
            "of the cases named with --case, with their attachments. Recipients: a trusted "
            "contact (fingerprint or name) or an identity card file; this device is always "
            "a recipient too."
        ),
    )
    export.add_argument("--to", action="append", required=True, metavar="CONTACT|CARD")
    export.add_argument("--out", required=True, type=Path, metavar="FILE.intake")
    export.add_argument("--case", action="append", dest="cases", metavar="ID")
    export.set_defaults(func=cmd_export)
    verify = subparsers.add_parser(
        "verify", help="check a bundle's signature and signer, without decrypting it"
    )
    verify.add_argument("bundle", type=Path, metavar="FILE.intake")
    verify.set_defaults(func=cmd_verify)
    imp = subparsers.add_parser(
        "import", help="check a bundle completely and import it (all of it or nothing)"
    )
    imp.add_argument("bundle", type=Path, metavar="FILE.intake")
    imp.add_argument("--json", action="store_true", help="machine-readable output")
    imp.add_argument(
        "--receipt", type=Path, metavar="FILE", help="also write a signed receipt for the sender"
    )
    imp.set_defaults(func=cmd_import)


def cmd_export(ctx: Context, args: argparse.Namespace) -> int:
    from intake_app.bundles.export import export_bundle

    cases = [case_id_arg(c) for c in args.cases] if args.cases else None
    vault = ctx.open_vault()
    result = export_bundle(vault, args.to, args.out, case_ids=cases)
    for r in result.recipients:
        origin = "card file" if r.from_card_file else "trusted contact"
        print(f"Recipient ({origin}): {r.name}  {r.fingerprint_display}")
        if r.from_card_file:
            print("  Compare this fingerprint with its owner before sending the bundle.")
    print(
        f"Bundle written to {result.path}: {result.revision_count} revision(s) of "
        f"{result.case_count} case(s), {result.attachment_count} attachment(s); "
        f"{len(result.withheld)} case(s) withheld."
    )
    for case_id, reason in result.withheld:
        print(f"  withheld {case_id}: {reason}")
    print(f"Sequence {result.seq}; payload SHA-256 {result.payload_sha256}")
    return 0


def cmd_verify(ctx: Context, args: argparse.Namespace) -> int:
    from intake_app.bundles.verify import STATUS_REVOKED, verify_bundle

    check = verify_bundle(ctx.open_vault(), args.bundle)
    if check.status == STATUS_REVOKED:
        raise BundleRefused(
            f"Signed by {check.signer_name} ({check.fingerprint_display}), whose key was "
            "revoked; do not rely on this bundle."
        )
    print(f"Signed by: {check.signer_name}")
    print(f"Fingerprint: {check.fingerprint_display}")
    print(f"Status: {check.status}")
    print(f"Bundle {check.bundle_id}, sequence {check.seq}")
    print(f"Payload SHA-256: {check.payload_sha256}")
    return 0


def _receipt(ctx: Context, result: ImportResult, path: Path) -> None:
    """Write the signed receipt for the sender (intake_app.lifecycle.receipts)."""
    from intake_app.lifecycle.receipts import write_receipt

    try:
        written = write_receipt(ctx.open_vault(), result, path)
    except IntakeError as exc:
        if not result.already_imported:
            raise
        sys.stderr.write(f"Note: {exc}\n")  # the repeated import itself is done
        return
    sys.stderr.write(
        f"Receipt written to {written.path} for the sender ({written.items} item(s)).\n"
    )


def cmd_import(ctx: Context, args: argparse.Namespace) -> int:
    from intake_app.bundles.importer import import_bundle

    result = import_bundle(ctx.open_vault(), args.bundle)
    if args.receipt is not None:
        _receipt(ctx, result, args.receipt)
    if args.json:
        print_json(result.as_json())
        return 0
    if result.already_imported:
        print(f"Already imported (bundle {result.bundle_id}); nothing was changed.")
        return 0
    print(f"Imported bundle {result.bundle_id} from {result.author_name} (sequence {result.seq}).")
    if result.signer_revoked:
        print("Note: its signer's key was revoked since; it was accepted within the confirmed "
              "bundles, and its revisions are marked so.")  # fmt: skip
    print(f"New revisions: {result.new_revisions}; already had: {result.already_had}; "
          f"attachments: {result.attachments}.")  # fmt: skip
    for case_id in result.conflicts:
        print(f"Conflict in case {case_id}: resolve it with `case resolve`.")
    if result.waiting:
        print(f"{len(result.waiting)} revision(s) wait for an earlier bundle.")
    for device, gaps in result.gaps.items():
        runs = ", ".join(f"{a}" if a == b else f"{a}-{b}" for a, b in gaps)
        # A device numbers every bundle it makes, whoever it is for: a gap may be a bundle
        # for someone else, not a lost one.
        print(f"Not seen here from {display_fingerprint(device)}: sequence {runs} (bundles "
              "made for other recipients, or not arrived yet).")  # fmt: skip
    tombstones = result.received.get("tombstones", [])
    if tombstones:
        print(f"Withdrawals received: {len(tombstones)} case(s); what the person withdrew is "
              "erased here.")  # fmt: skip
    if result.receipts:
        print(f"Receipts received: {len(result.receipts)}; `case delivered ID` shows who "
              "confirmed holding a case.")  # fmt: skip
    if result.withheld:
        print(f"The sender left out {result.withheld} case(s): no consent to share them with "
              "this recipient, or withdrawn.")  # fmt: skip
    for warning in result.warnings:
        sys.stderr.write(f"Warning: {warning}\n")
    return 0
