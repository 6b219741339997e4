"""The GUI's calls into bundles and trust, shaped for workers and dialogs.

Functions returning `Work` run on a worker thread (TaskRunner) with the core's progress
callback and CancelToken; the others are quick reads or single small writes. Nothing here
touches a widget.
"""

from __future__ import annotations

import contextlib
import getpass
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from intake_app.bundles.container import BUNDLE_SUFFIX
from intake_app.bundles.export import ExportResult, default_bundle_name, export_bundle
from intake_app.bundles.importer import import_bundle
from intake_app.bundles.merge import ImportResult
from intake_app.bundles.verify import OuterCheck, verify_bundle
from intake_app.errors import IntakeError, NotFound, UsageError
from intake_app.identity.card import MAX_CARD_BYTES, IdentityCard, parse_card
from intake_app.identity.trust import read_hash_file
from intake_app.lifecycle.receipts import ReceiptWritten, write_receipt
from intake_app.progress import CancelToken, Progress
from ui.session import Session
from ui.workers import Work

MEDIA_ROOTS = (Path("/media"), Path("/run/media"))
MAX_HASH_LIST_BYTES = 16 * 1024 * 1024


def removable_places(user: str | None = None, roots: Sequence[Path] = MEDIA_ROOTS) -> list[Path]:
    """Mounted removable drives (/media/$USER/*, /run/media/$USER/*), for the file dialog's
    quick places. Missing or unreadable folders are simply not listed."""
    try:
        user = user or getpass.getuser()
    except (KeyError, OSError):
        return []
    places: list[Path] = []
    for root in roots:
        folder = root / user
        with contextlib.suppress(OSError):
            places.extend(sorted(p for p in folder.iterdir() if p.is_dir()))
    return places


def bundle_file_name(path: Path) -> Path:
    """The chosen path, with the bundle suffix added when the person left it out."""
    return path if path.name.endswith(BUNDLE_SUFFIX) else path.with_name(path.name + BUNDLE_SUFFIX)


def suggested_bundle_name() -> str:
    """Random, never the case, the monitor or the date (bundles.export.default_bundle_name)."""
    return default_bundle_name()


def _read_limited(path: Path, limit: int, what: str) -> bytes:
    try:
        with Path(path).open("rb") as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        raise UsageError(f"Cannot read {what} {Path(path).name}: {exc.strerror}.") from None
    if len(data) > limit:
        raise UsageError(f"{Path(path).name} is too large to be {what}.")
    return data


def read_card_file(path: Path) -> IdentityCard:
    """A card file, checked (self-signature, fingerprint); InvalidCard/UsageError otherwise."""
    return parse_card(_read_limited(path, MAX_CARD_BYTES, "an identity card"))


def read_bundle_hashes(path: Path) -> list[str]:
    """The hashes of the bundles a revoked device's owner confirms having sent."""
    return read_hash_file(_read_limited(path, MAX_HASH_LIST_BYTES, "a list of bundle hashes"))


@dataclass(frozen=True)
class ExportRequest:
    contacts: tuple[str, ...]  # fingerprints of trusted contacts
    card_files: tuple[tuple[Path, str], ...]  # (path, fingerprint the person compared)
    destination: Path
    case_ids: tuple[str, ...] | None  # None: everything not yet sent to these recipients


def _check_cards_unchanged(cards: Sequence[tuple[Path, str]]) -> None:
    for path, fingerprint in cards:
        if read_card_file(path).fingerprint != fingerprint:
            raise IntakeError(
                f"The card file {path.name} changed after you compared its fingerprint; "
                "nothing was sent. Load it again and compare."
            )


def export_work(session: Session, request: ExportRequest) -> Work:
    """Write the bundle; refuse (and remove it) if a card file no longer holds the key the
    person compared."""
    vault = session.vault

    def work(progress: Progress, cancel: CancelToken) -> ExportResult:
        _check_cards_unchanged(request.card_files)
        targets = [*request.contacts, *(str(p) for p, _fp in request.card_files)]
        result = export_bundle(vault, targets, request.destination,
                               case_ids=list(request.case_ids) if request.case_ids else None,
                               progress=progress, cancel=cancel)  # fmt: skip
        compared = {fp for _p, fp in request.card_files} | set(request.contacts)
        if {r.fingerprint for r in result.recipients} != compared:
            with contextlib.suppress(OSError):
                os.unlink(result.path)
            raise IntakeError(
                "A recipient's card changed while the bundle was written; the bundle was "
                "deleted. Load the card again and compare its fingerprint."
            )
        return result

    return work


def verify_work(session: Session, path: Path) -> Work:
    """The outer check only: signer and status, nothing decrypted."""
    vault = session.vault

    def work(_progress: Progress, cancel: CancelToken) -> OuterCheck:
        return verify_bundle(vault, path, cancel=cancel)

    return work


def import_work(session: Session, path: Path) -> Work:
    vault, store = session.vault, session.cases

    def work(progress: Progress, cancel: CancelToken) -> ImportResult:
        return import_bundle(vault, path, store=store, progress=progress, cancel=cancel)

    return work


def receipt_allowed(session: Session, result: ImportResult) -> bool:
    """A receipt is written once, at the first import of another device's bundle that is
    not itself a receipt (intake_app.lifecycle.receipts refuses the rest)."""
    return not (result.already_imported or result.receipts
                or result.author == session.vault.identity.fingerprint)


def receipt_work(session: Session, result: ImportResult, path: Path) -> Work:
    vault = session.vault

    def work(_progress: Progress, _cancel: CancelToken) -> ReceiptWritten:
        return write_receipt(vault, result, path)

    return work


def pseudonym_of(session: Session, case_id: str) -> str:
    """The case's pseudonym (never its name), or a short id when it has none."""
    try:
        answers: dict[str, Any] = session.cases.get(case_id).answers
    except (IntakeError, KeyError):
        answers = {}
    value = answers.get("victim.pseudonym")
    return value if isinstance(value, str) and value.strip() else case_id[:8]


def contact_name(session: Session, fingerprint: str) -> str | None:
    """The local name of a trusted contact, or None."""
    from intake_app.identity.trust import TrustRegistry

    try:
        contact = TrustRegistry(session.vault).get(fingerprint)
    except (IntakeError, NotFound):
        return None
    return None if contact is None else contact.name
