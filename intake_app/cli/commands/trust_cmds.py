"""`trust add | list | revoke`: the coordinator's registry of trusted devices."""

from __future__ import annotations

import argparse
from pathlib import Path

from intake_app.cli.framework import Context, Subparsers, command_group, print_json
from intake_app.errors import UsageError
from intake_app.identity.card import MAX_CARD_BYTES, parse_card
from intake_app.identity.trust import MAX_HASH_FILE_BYTES, TrustRegistry, read_hash_file


def register(subparsers: Subparsers) -> None:
    trust = command_group(subparsers, "trust", "trusted contacts (identity cards) and revocation")
    add = trust.add_parser("add", help="trust an identity card after comparing its fingerprint")
    add.add_argument("card", type=Path, metavar="CARD")
    add.add_argument("--name", help="local name for this contact (default: the card's name)")
    add.set_defaults(func=cmd_trust_add)
    lst = trust.add_parser("list", help="list trusted contacts")
    lst.add_argument("--json", action="store_true", help="machine-readable output")
    lst.set_defaults(func=cmd_trust_list)
    revoke = trust.add_parser(
        "revoke",
        help="revoke a contact's key (lost or seized device)",
        description=(
            "Bundles with a sequence number above N are refused; at or below N each is "
            "accepted once, and with --bundles only the listed payload hashes. Without "
            "--last-seq, everything the key signs is refused."
        ),
    )
    revoke.add_argument("fingerprint", metavar="FINGERPRINT")
    revoke.add_argument("--last-seq", type=int, metavar="N", help="last sequence the owner made")
    revoke.add_argument(
        "--bundles", type=Path, metavar="HASHFILE", help="SHA-256 of each payload.age really sent"
    )
    revoke.set_defaults(func=cmd_trust_revoke)


def _read_file(path: Path, limit: int, what: str) -> bytes:
    try:
        with path.open("rb") as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        raise UsageError(f"Cannot read the {what} {path}: {exc.strerror}.") from None
    if len(data) > limit:
        raise UsageError(f"The {what} {path} is too large.")
    return data


def cmd_trust_add(ctx: Context, args: argparse.Namespace) -> int:
    card = parse_card(_read_file(args.card, MAX_CARD_BYTES, "identity card"))
    registry = TrustRegistry(ctx.open_vault())
    contact, added = registry.add(card, args.name)
    if added:
        print(f"Trusted {contact.name} ({contact.role}, recipient category {contact.category}).")
    else:
        print(f"Already trusted as {contact.name}; nothing was changed.")
    print(f"Fingerprint: {contact.fingerprint_display}")
    print("Read it aloud with the card's owner: every group must match.")
    return 0


def cmd_trust_list(ctx: Context, args: argparse.Namespace) -> int:
    contacts = TrustRegistry(ctx.open_vault()).contacts()
    if args.json:
        print_json([c.summary() for c in contacts])
        return 0
    if not contacts:
        print("No trusted contacts yet: add one with `trust add CARD`.")
    for c in contacts:
        state = ""
        if c.revoked:
            state = (
                "  REVOKED (all refused)"
                if c.last_seq is None
                else f"  REVOKED after sequence {c.last_seq}"
            )
        print(f"{c.fingerprint_display}  {c.role:<11} {c.category:<10} {c.name}{state}")
    return 0


def cmd_trust_revoke(ctx: Context, args: argparse.Namespace) -> int:
    hashes = None
    if args.bundles is not None:
        if args.last_seq is None:
            raise UsageError("--bundles needs --last-seq N as well.")
        hashes = read_hash_file(_read_file(args.bundles, MAX_HASH_FILE_BYTES, "hash list"))
    registry = TrustRegistry(ctx.open_vault())
    contact = registry.revoke(args.fingerprint, args.last_seq, hashes)
    print(f"Revoked {contact.name} ({contact.fingerprint_display}).")
    if contact.last_seq is None:
        print("Every bundle this key signs will be refused.")
    else:
        listed = f", and only the {len(hashes)} listed" if hashes else ""
        print(
            f"Bundles up to sequence {contact.last_seq} are accepted once{listed}; later ones "
            "are refused."
        )
    return 0
