"""Export: write a signed, encrypted bundle of revisions for chosen recipients.

The payload (a tar stream led by the signed manifest) is produced lazily and pulled by the
age encryptor, whose output goes straight into the bundle file: plaintext never touches the
disk and memory stays flat whatever the attachments weigh.

Placing the bundle is ordered so that a process killed at any instant (or a power cut) never
leaves revisions marked `sent` without the bundle that carries them in place, nor a bundle
in place whose sequence number the vault could hand out again:
1. the payload is written under a temporary name in the destination folder and fsynced;
2. one transaction reserves its sequence number and writes the audit entry (a gap, if we
   die now, is listed by the coordinator; a reused number would be equivocation);
3. the file is renamed into place and the folder fsynced, so the name is durable;
4. only then one transaction records the revisions as `sent`.
Dying between 3 and 4 leaves a bundle the vault does not count as sent: the next export
carries those revisions again, which import takes as a no-op. The writer lock is held from
2 to 4, so no other writer comes between the two transactions.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import pyrage

from intake_app.bundles import agestream, container, minisign
from intake_app.bundles import manifest as mf
from intake_app.bundles.payload import (
    END_OF_ARCHIVE,
    MANIFEST_NAME,
    MANIFEST_SIGNATURE_NAME,
    member_header,
    member_padding,
)
from intake_app.bundles.selection import ExportPlan, Recipient, plan_export, resolve_recipients
from intake_app.cases.attachments import CHUNK_SIZE, open_blob
from intake_app.cases.revision import utc_now_ms
from intake_app.errors import IntakeError, StorageError
from intake_app.fsutil import fsync_dir
from intake_app.identity.keys import DeviceIdentity
from intake_app.progress import CancelToken, Progress, check, report
from intake_app.vault import Vault
from intake_app.vault.audit import utc_now

TEMP_PREFIX = ".intake-export-"
TEMP_SUFFIX = ".part"
UNTRUSTED_COMMENT = "signature from minisign secret key"


@dataclass(frozen=True)
class ExportResult:
    path: Path
    bundle_id: str
    seq: int
    payload_sha256: str
    recipients: list[Recipient]
    case_count: int
    revision_count: int
    attachment_count: int
    withheld: list[tuple[str, str]]
    size: int


def default_bundle_name() -> str:
    """A random file name: never the case, the monitor or the date."""
    return f"{secrets.token_hex(8)}{container.BUNDLE_SUFFIX}"


def sign_manifest(identity: DeviceIdentity, manifest_bytes: bytes, comment: str) -> bytes:
    """The author's minisign signature of the manifest (same trusted comment as outside)."""
    return minisign.sign(
        identity.signing_key, identity.minisign_key_id, manifest_bytes, comment, UNTRUSTED_COMMENT
    ).encode("ascii")


def payload_parts(
    conn: Any,
    manifest_bytes: bytes,
    manifest_sig: bytes,
    plan: ExportPlan,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> Iterator[bytes]:
    """The payload tar stream, chunk by chunk: manifest, its signature, then the members,
    each checked against its manifest entry on the way out."""
    total = plan.content_bytes
    done = 0
    for name, data in ((MANIFEST_NAME, manifest_bytes), (MANIFEST_SIGNATURE_NAME, manifest_sig)):
        yield member_header(name, len(data)) + data + member_padding(len(data))
    for member in plan.members:
        check(cancel)
        entry = member.entry
        yield member_header(entry.path, entry.size)
        # A stored attachment is read back authenticated (a sealed file's chunks, or
        # SQLCipher's pages) under the hash it was checked against when stored: hashing its
        # bytes again would cost a quarter of the export. Everything else is checked here.
        digest = None if member.produce is None else hashlib.sha256()
        written = 0
        for chunk in _member_chunks(conn, member.produce, entry):
            check(cancel)
            if digest is not None:
                digest.update(chunk)
            written += len(chunk)
            done += len(chunk)
            report(progress, done, total, "export")
            yield chunk
        if written != entry.size or (digest is not None and digest.hexdigest() != entry.sha256):
            raise StorageError(
                "Something in the vault changed or is damaged while exporting; nothing was written."
            )
        yield member_padding(entry.size)
    yield END_OF_ARCHIVE


def _member_chunks(conn: Any, produce: Any, entry: mf.MemberEntry) -> Iterator[bytes]:
    if produce is not None:
        yield produce()
        return
    with contextlib.closing(open_blob(conn, entry.sha256)) as src:
        remaining = entry.size + 1  # one byte more: a longer stored blob must show
        while remaining > 0 and (chunk := src.read(min(CHUNK_SIZE, remaining))):
            remaining -= len(chunk)
            yield chunk


def _clean_stale_temps(folder: Path) -> None:
    """Remove temporary files left by an export that was killed (none is locked by a
    running export)."""
    try:
        import fcntl
    except ImportError:  # not on this platform; the temp files stay, hidden
        return
    with contextlib.suppress(OSError):
        for stale in folder.glob(f"{TEMP_PREFIX}*{TEMP_SUFFIX}"):
            with contextlib.suppress(OSError), open(stale, "rb") as fh:
                try:
                    fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError:
                    continue  # another export is writing it
                stale.unlink()


def _lock_temp(fh: BinaryIO) -> None:
    with contextlib.suppress(ImportError, OSError):
        import fcntl

        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)


def _peek_sequence(vault: Vault) -> int:
    row = vault.conn.execute("SELECT next_sequence FROM device_identity WHERE id = 1").fetchone()
    return int(row[0])


class _HashedOutput:
    """Where the encryptor's output goes: payload.age into the bundle, hashed as it is
    written (SHA-256 for the record, BLAKE2b-512 for the signature, beside the CRC and the
    write), so the file is never read back. The signature covers exactly the bytes handed to
    the file."""

    def __init__(self, writer: container.ContainerWriter, hashes: container.PayloadHashes) -> None:
        self._writer = writer
        self.hashes = hashes
        self.error: BaseException | None = None
        # pyrage hands over small pieces; hashing and writing them one by one cost more in
        # hand-offs to the hashing thread than the hashing itself.
        self._pending = bytearray()

    def write(self, chunk: bytes) -> int:
        self._pending += chunk
        if len(self._pending) >= container.COPY_CHUNK:
            self._emit()
        return len(chunk)

    def _emit(self) -> None:
        block, self._pending = bytes(self._pending), bytearray()
        try:
            self.hashes.update(block, lambda: self._writer.write(block))
        except BaseException as exc:
            self.error = exc  # pyrage wraps it; re-raised as it was (disk full, too large)
            raise

    def flush(self) -> None:
        return None  # pyrage may flush at any time; pieces are gathered regardless

    def finish(self) -> None:
        """Hash and write what is pending, once the encryption has ended."""
        if self._pending:
            self._emit()


def seal(
    out: BinaryIO,
    identity: DeviceIdentity,
    age_recipients: Sequence[str],
    manifest: mf.Manifest,
    parts: Iterator[bytes],
    *,
    cancel: CancelToken | None = None,
) -> str:
    """Encrypt the payload `parts` into a bundle written to `out` (seekable, at its start)
    and sign it with the trusted comment of `manifest`; returns the SHA-256 of payload.age.
    `parts` must begin with the manifest and its signature (see `payload_parts`).

    pyrage encrypts in a helper thread while this thread produces `parts` (reading the
    vault), so both cores work; the helper has ended whenever this returns or raises."""
    writer = container.ContainerWriter(out)
    with container.PayloadHashes() as hashes:
        output = _HashedOutput(writer, hashes)
        try:
            with agestream.EncryptingWriter(output, list(age_recipients)) as encryptor:  # type: ignore[arg-type]
                for part in parts:
                    check(cancel)
                    encryptor.write(part)
                encryptor.close()
            output.finish()
        except pyrage.EncryptError as exc:
            if output.error is not None:
                raise output.error from None
            raise StorageError(f"Encryption failed ({exc}); nothing was written.") from None
    signature = minisign.sign_prehashed(
        identity.signing_key, identity.minisign_key_id, hashes.blake2b.digest(),
        manifest.trusted_comment, UNTRUSTED_COMMENT,
    )  # fmt: skip
    writer.finish(signature.encode("ascii"))
    return hashes.sha256.hexdigest()


def export_bundle(
    vault: Vault,
    to: Sequence[str],
    out_path: Path,
    *,
    case_ids: Sequence[str] | None = None,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> ExportResult:
    """Write a bundle for the recipients `to` (contacts or card files) at `out_path`.

    Carries every revision not yet sent to all of them, or the full histories of
    `case_ids`. On any failure or cancel nothing exists under `out_path` and the vault is
    unchanged, except that a failure after the sequence number was reserved leaves that
    number used (and audited), never to be reused.
    """
    out_path = Path(out_path)
    if out_path.is_dir():
        raise StorageError(f"{out_path} is a folder; give a file name for the bundle.")
    recipients = resolve_recipients(vault, to)
    plan = plan_export(vault, recipients, case_ids)
    identity = vault.identity
    seq = _peek_sequence(vault)
    manifest = mf.Manifest(
        bundle_id=mf.new_bundle_id(),
        author=identity.fingerprint,
        recipients=tuple(sorted({identity.fingerprint, *(r.fingerprint for r in recipients)})),
        seq=seq,
        created_at=utc_now_ms(),
        members=tuple(m.entry for m in plan.members),
        withheld=len(plan.withheld),
    )
    manifest_bytes = manifest.to_bytes()
    manifest_sig = sign_manifest(identity, manifest_bytes, manifest.trusted_comment)
    folder = out_path.parent
    _clean_stale_temps(folder)
    tmp = folder / f"{TEMP_PREFIX}{secrets.token_hex(8)}{TEMP_SUFFIX}"
    try:
        fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise StorageError(f"Cannot write in {folder}: {exc.strerror}.") from None
    placed = False
    try:
        with os.fdopen(fd, "w+b") as fh:
            _lock_temp(fh)  # held until renamed: the stale-file sweep must not take it
            parts = payload_parts(vault.conn, manifest_bytes, manifest_sig, plan, progress, cancel)
            ages = [identity.age_recipient, *(r.age_recipient for r in recipients)]
            payload_sha = seal(fh, identity, ages, manifest, parts, cancel=cancel)
            fh.flush()
            os.fsync(fh.fileno())
            size = fh.tell()
            check(cancel)  # the last moment a cancel leaves the vault unchanged
            with vault.exclusive():  # steps 2 to 4 of the module docstring
                _reserve(vault, manifest, payload_sha)
                os.replace(tmp, out_path)
                placed = True
                fsync_dir(folder)  # the name durable before anything counts as sent
                _record_sent(vault, manifest, plan)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if placed:
            _withdraw(vault, manifest.bundle_id, out_path)
        if isinstance(exc, OSError):
            raise StorageError(
                f"Could not write the bundle: {exc.strerror}. Nothing was written."
            ) from None
        raise
    return ExportResult(
        path=out_path, bundle_id=manifest.bundle_id, seq=seq, payload_sha256=payload_sha,
        recipients=recipients, case_count=len(plan.case_ids),
        revision_count=len(plan.revision_ids), attachment_count=plan.attachment_count,
        withheld=plan.withheld, size=size,
    )  # fmt: skip


def _reserve(vault: Vault, manifest: mf.Manifest, payload_sha: str) -> None:
    """Reserve the sequence number the sealed bundle carries, and audit it, before the file
    may appear under its name (the vault commits with synchronous = FULL: durable first)."""
    with vault.write() as conn:
        seq = vault.next_sequence(conn)
        if seq != manifest.seq:
            # Another export took this number meanwhile: never ship two bundles with one.
            raise IntakeError("Another export ran at the same time; nothing was written. Retry.")
        vault.audit(conn, "bundle.export", f"{manifest.bundle_id}:{payload_sha}")


def _record_sent(vault: Vault, manifest: mf.Manifest, plan: ExportPlan) -> None:
    """Record what went to whom: only once the bundle is durably in place."""
    with vault.write() as conn:
        now = utc_now()
        conn.executemany(
            "INSERT OR IGNORE INTO sent (revision_id, recipient, bundle_id, sent_at)"
            " VALUES (?, ?, ?, ?)",
            [
                (rev_id, r.fingerprint, manifest.bundle_id, now)
                for rev_id in [*plan.revision_ids, *plan.tombstone_ids]
                for r in plan.recipients
            ],
        )


def _withdraw(vault: Vault, bundle_id: str, out_path: Path) -> None:
    """After a failure once the bundle is in place: remove it, so a failed export leaves
    nothing under its name, unless the vault did record it as sent (an interrupt can land
    just after the COMMIT). When unsure, keep it: a bundle not counted as sent is harmless,
    its revisions go again with the next export. Its number stays used, never reused."""
    try:
        recorded = vault.conn.execute(
            "SELECT 1 FROM sent WHERE bundle_id = ? LIMIT 1", (bundle_id,)
        ).fetchone()
    except Exception:  # noqa: BLE001 - the vault cannot tell: keep the bundle
        return
    if recorded is None:
        with contextlib.suppress(OSError):
            out_path.unlink()
            fsync_dir(out_path.parent)
