"""Receipts: a recipient tells the author what arrived, so the author knows who holds a case.

After importing a bundle, the importer may write a receipt: a bundle like any other (same
container, signatures and encryption), encrypted to the bundle's author (and the importer),
whose one record member `receipts/<id>.json` is a signed record
    {"format": "intake-receipt-v1", "bundle_id", "payload_sha256", "author" (the bundle's
     author, to whom the receipt is addressed), "recipient" (the importer, who signs),
     "received_at", "revisions": [ids], "tombstones": [ids], "attachments": [sha256]}
(signature: Ed25519 over b"intake-receipt-v1\\x00" + id, so the author can keep it as proof
apart from the bundle). The author imports it like any bundle; `deliveries` then records who
confirmed holding which revision, tombstone and attachment. Erasing delivered attachments
locally is offered, never automatic.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from intake_app.bundles import manifest as mf
from intake_app.cases.attachments import delete_blob
from intake_app.cases.revision import utc_now_ms
from intake_app.errors import BundleRefused, IntakeError, NotFound, StorageError
from intake_app.fsutil import fsync_dir
from intake_app.lifecycle.signed import SignedRecord, parse_member, sign_record, verify_record
from intake_app.lifecycle.tombstone import scrub_wal
from intake_app.vault import Vault
from intake_app.vault.audit import utc_now

FORMAT = "intake-receipt-v1"
DOMAIN = b"intake-receipt-v1\x00"
_BODY_KEYS = frozenset(
    {
        "format",
        "bundle_id",
        "payload_sha256",
        "author",
        "recipient",
        "received_at",
        "revisions",
        "tombstones",
        "attachments",
    }
)
_LISTS = {"revisions": "revision", "tombstones": "tombstone", "attachments": "attachment"}
_HEX64 = re.compile(r"[0-9a-f]{64}\Z")
_HEX32 = re.compile(r"[0-9a-f]{32}\Z")
_FINGERPRINT = re.compile(r"[A-Z2-7]{32}\Z")
_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z\Z")


def received_items(manifest: mf.Manifest, tombstone_ids: Iterable[str]) -> dict[str, list[str]]:
    """What a bundle delivered, by receipt list name."""
    by_kind: dict[str, list[str]] = {"revisions": [], "tombstones": [], "attachments": []}
    for entry in manifest.members:
        if entry.kind == mf.KIND_REVISION:
            by_kind["revisions"].append(entry.key)
        elif entry.kind == mf.KIND_BLOB:
            by_kind["attachments"].append(entry.key)
    by_kind["tombstones"] = sorted(set(tombstone_ids))
    return {k: sorted(set(v)) for k, v in by_kind.items()}


# ---- writing -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ReceiptWritten:
    path: Path
    receipt_id: str
    addressee: str
    items: int


def make_receipt(identity: Any, result: Any) -> SignedRecord:
    """The signed receipt for an import `result` (an ImportResult)."""
    body = {
        "format": FORMAT,
        "bundle_id": result.bundle_id,
        "payload_sha256": result.payload_sha256,
        "author": result.author,
        "recipient": identity.fingerprint,
        "received_at": utc_now_ms(),
        **{name: list(result.received.get(name, [])) for name in _LISTS},
    }
    return sign_record(body, DOMAIN, identity.sign)


def _check_writable(vault: Vault, result: Any) -> None:
    if result.already_imported:
        raise IntakeError(
            "This bundle had been imported before, so no receipt was written now (a receipt "
            "is written at the first import)."
        )
    if result.receipts:
        raise IntakeError("This bundle was itself a receipt; receipts are not acknowledged.")
    if result.author == vault.identity.fingerprint:
        raise IntakeError("This bundle was made by this device; it needs no receipt.")


def write_receipt(vault: Vault, result: Any, out_path: Path) -> ReceiptWritten:
    """Write the receipt bundle for an import at `out_path` (atomic; nothing on failure)."""
    from intake_app.bundles import export as ex
    from intake_app.bundles.selection import ExportPlan, PlannedMember, Recipient, _record
    from intake_app.identity.card import card_of
    from intake_app.identity.trust import TrustRegistry

    _check_writable(vault, result)
    out_path = Path(out_path)
    if out_path.is_dir():
        raise StorageError(f"{out_path} is a folder; give a file name for the receipt.")
    contact = TrustRegistry(vault).get(result.author)
    if contact is None:
        raise NotFound("The bundle's author is not a trusted contact; no receipt can be sent.")
    identity = vault.identity
    receipt = make_receipt(identity, result)
    addressee = Recipient(
        contact.fingerprint, contact.name, contact.category, contact.age_recipient
    )
    card_bytes = card_of(identity).to_bytes()
    members: list[PlannedMember] = [
        _record(mf.KIND_CARD, identity.fingerprint, lambda: card_bytes),
        _record(mf.KIND_RECEIPT, receipt.id, receipt.to_member),
    ]
    plan = ExportPlan([addressee], [], [], members=members)
    seq = int(vault.conn.execute("SELECT next_sequence FROM device_identity").fetchone()[0])
    manifest = mf.Manifest(
        bundle_id=mf.new_bundle_id(),
        author=identity.fingerprint,
        recipients=tuple(sorted({identity.fingerprint, contact.fingerprint})),
        seq=seq,
        created_at=utc_now_ms(),
        members=tuple(m.entry for m in members),
    )
    manifest_bytes = manifest.to_bytes()
    signature = ex.sign_manifest(identity, manifest_bytes, manifest.trusted_comment)
    folder = out_path.parent
    tmp = folder / f"{ex.TEMP_PREFIX}{secrets.token_hex(8)}{ex.TEMP_SUFFIX}"
    try:
        fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w+b") as fh:
            parts = ex.payload_parts(vault.conn, manifest_bytes, signature, plan)
            ex.seal(fh, identity, [identity.age_recipient, contact.age_recipient], manifest, parts)
            fh.flush()
            os.fsync(fh.fileno())
            with vault.write() as conn:
                if vault.next_sequence(conn) != seq:
                    raise IntakeError("Another export ran at the same time; retry.")
                vault.audit(conn, "receipt.write", f"{result.bundle_id}:{receipt.id}")
            os.replace(tmp, out_path)
        fsync_dir(folder)
    except OSError as exc:
        raise StorageError(f"Could not write the receipt: {exc.strerror}.") from None
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()
    count = sum(len(v) for v in result.received.values())
    return ReceiptWritten(out_path, receipt.id, contact.fingerprint, count)


# ---- receiving ---------------------------------------------------------------------------


def _check_body(body: dict[str, Any]) -> None:
    def bad(reason: str) -> BundleRefused:
        return BundleRefused(f"The bundle was refused: a receipt {reason}.")

    if set(body) != _BODY_KEYS or body["format"] != FORMAT:
        raise bad("is not an intake-receipt-v1 record")
    if not isinstance(body["bundle_id"], str) or not _HEX32.match(body["bundle_id"]):
        raise bad("names no bundle")
    if not isinstance(body["payload_sha256"], str) or not _HEX64.match(body["payload_sha256"]):
        raise bad("names no bundle hash")
    for key in ("author", "recipient"):
        if not isinstance(body[key], str) or not _FINGERPRINT.match(body[key]):
            raise bad(f"has a malformed {key}")
    if not isinstance(body["received_at"], str) or not _TIME.match(body["received_at"]):
        raise bad("has a malformed time stamp")
    for name in _LISTS:
        items = body[name]
        if not isinstance(items, list) or not all(
            isinstance(i, str) and _HEX64.match(i) for i in items
        ):
            raise bad(f"has a malformed {name} list")


def accept(
    vault: Vault, conn: Any, key: str, data: bytes, signer: Any, manifest: mf.Manifest
) -> str:
    """A receipt member of a bundle, inside the import transaction: checked (addressed to
    this device, made and signed by the bundle's signer) and recorded. Returns its id."""
    record = parse_member(data, key, "receipt")
    body = record.body
    _check_body(body)
    if body["recipient"] != signer.fingerprint or manifest.author != signer.fingerprint:
        raise BundleRefused("The bundle was refused: its receipt was made by another device.")
    if body["author"] != vault.identity.fingerprint:
        raise BundleRefused("The bundle was refused: its receipt is addressed to another device.")
    if not verify_record(record, DOMAIN, signer.ed25519_public_key):
        raise BundleRefused("The bundle was refused: its receipt's signature does not match.")
    conn.execute(
        "INSERT OR IGNORE INTO receipts (id, recipient, bundle_id, body, signature, received_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (
            record.id,
            signer.fingerprint,
            body["bundle_id"],
            record.body_bytes,
            record.signature,
            utc_now(),
        ),
    )
    conn.executemany(
        "INSERT OR IGNORE INTO deliveries (item, kind, recipient, receipt) VALUES (?, ?, ?, ?)",
        [
            (item, kind, signer.fingerprint, record.id)
            for name, kind in _LISTS.items()
            for item in body[name]
        ],
    )
    return record.id


def delivered_to(conn: Any, case_id: str) -> list[str]:
    """Fingerprints of recipients whose receipts confirm holding some revision, anonymised
    view or tombstone of the case."""
    rows = conn.execute(
        "SELECT DISTINCT d.recipient FROM deliveries d WHERE"
        " (d.kind = 'revision' AND d.item IN (SELECT id FROM revisions WHERE case_id = ?"
        "   UNION SELECT id FROM anonymised_views WHERE case_id = ?))"
        " OR (d.kind = 'tombstone' AND d.item IN (SELECT id FROM tombstones WHERE case_id = ?))"
        " ORDER BY d.recipient",
        (case_id, case_id, case_id),
    ).fetchall()
    return [str(r[0]) for r in rows]


# ---- erasing delivered attachments ----------------------------------------------------------


@dataclass(frozen=True)
class ErasedAttachment:
    sha256: str
    delivered_to: list[str]


def _case_attachments(conn: Any, case_id: str) -> list[str]:
    from intake_app.cases import graph

    found: set[str] = set()
    for (rev_id,) in conn.execute("SELECT id FROM revisions WHERE case_id = ?", (case_id,)):
        found |= {a["sha256"] for a in graph.load_revision(conn, rev_id).attachments}
    return sorted(found)


def delivered_attachments(conn: Any, case_id: str) -> list[ErasedAttachment]:
    """Attachments of the case still held here that some recipient confirmed holding."""
    out = []
    for sha in _case_attachments(conn, case_id):
        if conn.execute("SELECT 1 FROM blobs WHERE sha256 = ?", (sha,)).fetchone() is None:
            continue
        rows = conn.execute(
            "SELECT DISTINCT recipient FROM deliveries WHERE kind = 'attachment' AND item = ?"
            " ORDER BY recipient",
            (sha,),
        ).fetchall()
        if rows:
            out.append(ErasedAttachment(sha, [str(r[0]) for r in rows]))
    return out


def erased_attachments(conn: Any, case_id: str) -> list[str]:
    """Hashes of the case's attachments erased here after delivery."""
    rows = conn.execute(
        "SELECT sha256 FROM erased_attachments WHERE case_id = ? ORDER BY sha256", (case_id,)
    ).fetchall()
    return [str(r[0]) for r in rows]


def erase_delivered_attachments(vault: Vault, case_id: str) -> list[ErasedAttachment]:
    """Erase from this vault the case's attachments a recipient confirmed holding (their
    hashes stay in the revisions). Never automatic: the person asks for it."""
    from intake_app.cases import graph

    with vault.write() as conn:
        if not graph.case_exists(conn, case_id):
            raise NotFound(f"There is no case {case_id} in this vault.")
        delivered = delivered_attachments(conn, case_id)
        if not delivered:
            raise IntakeError(
                "No attachment of this case held here was confirmed delivered by a receipt; "
                "nothing was erased."
            )
        now = utc_now()
        for item in delivered:
            delete_blob(conn, item.sha256)
            conn.execute(
                "INSERT OR REPLACE INTO erased_attachments (sha256, case_id, delivered_to,"
                " erased_at) VALUES (?, ?, ?, ?)",
                (item.sha256, case_id, ",".join(item.delivered_to), now),
            )
        vault.audit(conn, "case.erase_attachments", case_id)
    scrub_wal(vault.conn)
    return delivered
