"""Backup and restore: one file holding a consistent copy of the vault, under the vault's own
encryption and passphrase.

The backup is a plain tar (ustar, mtime 0, uid/gid 0, no names): `intake-backup.json`
({"format": "intake-backup-v2", "schema_version"}), `header.json` (the vault's wrapped key
slots: passphrase only; the keyring slot and failed-attempt count are left out), `vault.db`,
made by SQLCipher's `VACUUM INTO`: the copy is encrypted with the same database key, compact
(no free pages holding erased data), and never plaintext on disk; then one `blobs/<file_id>`
member per attachment file the copy names, byte for byte (sealed under keys that only the
copied database holds: intake_app/vault/blobfiles.py). The database copy is a snapshot made on
a connection of its own while writers go on; the files it names are then hard-linked aside
under the writer lock (a few milliseconds), so the backup is one consistent point in time and
writers wait neither for the copy nor for the attachments to be written out.
`restore` accepts this and v1 (the first three members only, from before attachments were
files), rebuilds a vault folder, checks the passphrase, the database's integrity and every
attachment's bytes against its hash, and only then renames it into place.

A restored vault is the same device (same keys). Its bundle sequence jumps forward by at
least 2^32, so bundles made after a restore never reuse a number the original laptop may have
used after the backup was taken (the coordinator would see equivocation).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import secrets
import shutil
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from intake_app.cases.attachments import open_blob
from intake_app.errors import IntakeError, StorageError, VaultDamaged, WrongPassphrase
from intake_app.fsutil import atomic_output, fsync_dir
from intake_app.progress import CancelToken, Progress, check, report
from intake_app.vault import Vault
from intake_app.vault.blobfiles import BLOB_DIR, is_file_id, link_aside
from intake_app.vault.db import DB_NAME, cipher_defaults
from intake_app.vault.folder import (
    move_into_place,
    refuse_occupied,
    remove_stale_staging,
    staging_folder,
)
from intake_app.vault.header import HEADER_NAME, SLOT_KEYRING, Header, load_header, save_header
from intake_app.vault.lockfile import LOCK_NAME
from intake_app.vault.migrate import schema_version

FORMAT = "intake-backup-v2"
FORMATS = ("intake-backup-v1", FORMAT)
INFO_NAME = "intake-backup.json"
MEMBERS = (INFO_NAME, HEADER_NAME, DB_NAME)
MAX_SMALL_MEMBER = 64 * 1024
SEQUENCE_JUMP = 2**32
COPY_CHUNK = 1024 * 1024
DAMAGED_ATTACHMENTS = "The backup's attachments are damaged or missing; nothing was restored."
NOT_A_BACKUP = "This file is not a Field Intake backup, or it is damaged; nothing was changed."


@dataclass(frozen=True)
class BackupWritten:
    path: Path
    size: int
    cases: int


def _tar_info(name: str, size: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = 0
    info.mode = 0o600
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def _snapshot(vault: Vault, target: Path) -> tuple[int, list[str], Path]:
    """VACUUM INTO `target` (same key) and hard-link the attachment files the copy names into
    a folder of the vault (blobfiles.link_aside); then check the copy. Returns (case count,
    file ids, the links' folder, which the caller removes).

    The copy is a snapshot taken while other writers go on (seconds for a large vault: an
    autosave must not wait that long); only the links are made under the writer lock. If an
    attachment the copy names was erased in between, the copy is made again, this time with
    the writer lock held throughout, so copy and files are of one moment."""
    try:
        try:
            return _copy_and_link(vault, target, hold_writers=False)
        except FileNotFoundError:
            with contextlib.suppress(OSError):
                target.unlink()
            return _copy_and_link(vault, target, hold_writers=True)
    except StorageError:
        raise
    except Exception as exc:
        if "full" in str(exc).lower():
            raise StorageError("The disk is full; no backup was written.") from exc
        raise StorageError("The vault could not be copied; no backup was written.") from exc


def _copy_and_link(
    vault: Vault, target: Path, *, hold_writers: bool
) -> tuple[int, list[str], Path]:
    held = vault.exclusive() if hold_writers else contextlib.nullcontext()
    with held:
        # The copy must have the vault's page size and HMAC, which restore reads from
        # header.json.
        with vault.copying() as conn, cipher_defaults(conn, vault.cipher_profile):
            conn.execute("VACUUM INTO ?", (str(target),))
            conn.execute("ATTACH DATABASE ? AS backup_copy", (str(target),))
            try:
                ok = conn.execute("PRAGMA backup_copy.quick_check").fetchone()
                cases = conn.execute("SELECT count(*) FROM backup_copy.case_index").fetchone()
                files = [row[0] for row in conn.execute(
                    "SELECT file_id FROM backup_copy.blobs WHERE file_id IS NOT NULL")]  # fmt: skip
            finally:
                conn.execute("DETACH DATABASE backup_copy")
        if not ok or ok[0] != "ok":
            raise StorageError("The copy of the vault did not check out; no backup was written.")
        # Files are removed only after the commit that drops their rows, under this lock: a
        # file the copy names is either still there now, or the copy is retried.
        with vault.exclusive():
            links = link_aside(vault.path, files)
    return int(cases[0]), files, links


def backup(
    vault: Vault,
    out_path: Path,
    *,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> BackupWritten:
    """Write a backup of the open vault to `out_path` (atomically; nothing on failure)."""
    out_path = Path(out_path)
    if out_path.is_dir():
        raise StorageError(f"{out_path} is a folder; give a file name for the backup.")
    if out_path.resolve().parent == vault.path.resolve():
        raise IntakeError("Put the backup outside the vault folder (ideally on another disk).")
    header = load_header(vault.path)
    header.slots.pop(SLOT_KEYRING, None)  # another computer's keyring means nothing
    header.failed_unlocks = 0
    header_bytes = json.dumps(header.to_json(), sort_keys=True, indent=2).encode() + b"\n"
    info_bytes = json.dumps(
        {"format": FORMAT, "schema_version": schema_version(vault.conn)}, sort_keys=True
    ).encode()
    work = out_path.parent / f".intake-backup-{secrets.token_hex(6)}"
    try:
        work.mkdir(mode=0o700)
    except OSError as exc:
        raise StorageError(f"Cannot write in {out_path.parent}: {exc.strerror}.") from None
    links: Path | None = None
    try:
        copy = work / DB_NAME
        cases, files, links = _snapshot(vault, copy)
        check(cancel)
        sources = [(DB_NAME, copy)] + [(f"{BLOB_DIR}/{f}", links / f) for f in files]
        total = sum(path.stat().st_size for _, path in sources)
        done = _Done()
        with (
            atomic_output(out_path) as out,
            tarfile.open(fileobj=out, mode="w", format=tarfile.USTAR_FORMAT) as tar,
        ):
            tar.addfile(_tar_info(INFO_NAME, len(info_bytes)), io.BytesIO(info_bytes))
            tar.addfile(_tar_info(HEADER_NAME, len(header_bytes)), io.BytesIO(header_bytes))
            for name, path in sources:
                with path.open("rb") as src:
                    size = os.fstat(src.fileno()).st_size
                    reader = _Progressing(src, done, total, progress, cancel)
                    tar.addfile(_tar_info(name, size), reader)
        with vault.write() as conn:
            vault.audit(conn, "vault.backup")
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if links is not None:
            shutil.rmtree(links, ignore_errors=True)
    return BackupWritten(out_path, out_path.stat().st_size, cases)


class _Done:
    """Bytes copied so far, shared by the members of one backup."""

    def __init__(self) -> None:
        self.bytes = 0


class _Progressing:
    """A reader that reports progress and honours cancel while tarfile copies it."""

    def __init__(
        self,
        src: IO[bytes],
        done: _Done,
        total: int,
        progress: Progress | None,
        cancel: CancelToken | None,
    ) -> None:
        self._src, self._done, self._total = src, done, total
        self._progress, self._cancel = progress, cancel

    def read(self, size: int = -1) -> bytes:
        check(self._cancel)
        data = self._src.read(size)
        self._done.bytes += len(data)
        report(self._progress, self._done.bytes, self._total, "backup")
        return data


# ---- restore -----------------------------------------------------------------------------


def _next_member(members: Iterator[tarfile.TarInfo], name: str | None = None) -> tarfile.TarInfo:
    member = next(members, None)
    if member is None or not member.isreg() or (name is not None and member.name != name):
        raise IntakeError(NOT_A_BACKUP)
    return member


def _small(tar: tarfile.TarFile, member: tarfile.TarInfo) -> Any:
    fh = tar.extractfile(member) if member.size <= MAX_SMALL_MEMBER else None
    if fh is None:
        raise IntakeError(NOT_A_BACKUP)
    try:
        return json.loads(fh.read(MAX_SMALL_MEMBER + 1).decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise IntakeError(NOT_A_BACKUP) from None


def _extract(
    tar: tarfile.TarFile, member: tarfile.TarInfo, target: Path, cancel: CancelToken | None
) -> None:
    src = tar.extractfile(member)
    if src is None:
        raise IntakeError(NOT_A_BACKUP)
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise IntakeError(NOT_A_BACKUP) from None  # the same attachment file twice
    with os.fdopen(fd, "wb") as out:
        while chunk := src.read(COPY_CHUNK):
            check(cancel)
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())


def _unpack(backup_path: Path, folder: Path, cancel: CancelToken | None) -> None:
    try:
        tar = tarfile.open(backup_path, mode="r:")  # noqa: SIM115 - closed below
    except FileNotFoundError:
        raise IntakeError(f"There is no backup file at {backup_path}.") from None
    except (tarfile.TarError, OSError):
        raise IntakeError(NOT_A_BACKUP) from None
    with tar:
        try:
            members = iter(tar)
            meta = _small(tar, _next_member(members, INFO_NAME))
            if not isinstance(meta, dict) or meta.get("format") not in FORMATS:
                raise IntakeError(NOT_A_BACKUP)
            parsed = Header.from_json(_small(tar, _next_member(members, HEADER_NAME)))
            db = _next_member(members, DB_NAME)
            save_header(folder, parsed)
            _extract(tar, db, folder / DB_NAME, cancel)
            blobs = folder / BLOB_DIR
            blobs.mkdir(mode=0o700)
            for member in members:
                prefix, _, file_id = member.name.partition("/")
                if meta["format"] != FORMAT or prefix != BLOB_DIR or not is_file_id(file_id):
                    raise IntakeError(NOT_A_BACKUP)
                if not member.isreg():
                    raise IntakeError(NOT_A_BACKUP)
                _extract(tar, member, blobs / file_id, cancel)
        except (tarfile.TarError, ValueError, KeyError, TypeError):
            raise IntakeError(NOT_A_BACKUP) from None
    os.close(os.open(folder / LOCK_NAME, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def restore(
    backup_path: Path, vault_dir: Path, passphrase: str, *, cancel: CancelToken | None = None
) -> int:
    """Rebuild a vault at `vault_dir` (absent or empty) from a backup; returns its case
    count. WrongPassphrase (exit 3) and nothing left behind when the passphrase is not the
    backup's; a damaged copy is refused the same way."""
    vault_dir = Path(vault_dir)
    refuse_occupied(vault_dir)
    try:
        vault_dir.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        remove_stale_staging(vault_dir)
        staging = staging_folder(vault_dir)
        staging.mkdir(mode=0o700)
    except OSError as exc:
        raise StorageError(
            f"Could not create the vault folder {vault_dir}: {exc.strerror}."
        ) from None
    try:
        _unpack(Path(backup_path), staging, cancel)
        cases = _settle(staging, passphrase)
        move_into_place(staging, vault_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    fsync_dir(vault_dir)
    return cases


def _settle(folder: Path, passphrase: str) -> int:
    try:
        vault = Vault.open(folder, passphrase)
    except WrongPassphrase:
        raise WrongPassphrase("Wrong passphrase for this backup; nothing was restored.") from None
    try:
        ok = vault.conn.execute("PRAGMA integrity_check").fetchone()
        if not ok or ok[0] != "ok":
            raise VaultDamaged("The backup's database is damaged; nothing was restored.")
        _check_attachments(vault)
        jump = SEQUENCE_JUMP + secrets.randbelow(2**24)
        with vault.write() as conn:
            conn.execute(
                "UPDATE device_identity SET next_sequence = next_sequence + ? WHERE id = 1",
                (jump,),
            )
            vault.audit(conn, "vault.restore")
        row = vault.conn.execute("SELECT count(*) FROM case_index").fetchone()
        with contextlib.suppress(Exception):
            vault.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return int(row[0])
    finally:
        vault.close()


def _check_attachments(vault: Vault) -> None:
    """Every attachment the restored database names reads back to its recorded hash."""
    shas = [row[0] for row in vault.conn.execute("SELECT sha256 FROM blobs")]
    for sha in shas:
        digest = hashlib.sha256()
        try:
            with contextlib.closing(open_blob(vault.conn, sha)) as src:
                while chunk := src.read(COPY_CHUNK):
                    digest.update(chunk)
        except StorageError:
            raise VaultDamaged(DAMAGED_ATTACHMENTS) from None
        if digest.hexdigest() != sha:
            raise VaultDamaged(DAMAGED_ATTACHMENTS)
