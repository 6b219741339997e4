"""Backup and restore: one file holding a consistent copy of the vault, under the vault's own
encryption and passphrase.

The backup is a plain tar (ustar, mtime 0, uid/gid 0, no names) of exactly three members:
`intake-backup.json` ({"format": "intake-backup-v1", "schema_version"}), `header.json`
(the vault's wrapped key slots: passphrase only; the keyring slot and failed-attempt count
are left out) and `vault.db`, made by SQLCipher's `VACUUM INTO` from a read snapshot: the
copy is encrypted with the same database key, compact (no free pages holding erased data),
and never plaintext on disk. `restore` rebuilds a vault folder from it, checks the passphrase
and the database's integrity, and only then renames it into place.

A restored vault is the same device (same keys). Its bundle sequence jumps forward by at
least 2^32, so bundles made after a restore never reuse a number the original laptop may have
used after the backup was taken (the coordinator would see equivocation).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import secrets
import shutil
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from intake_app.errors import IntakeError, StorageError, VaultDamaged, WrongPassphrase
from intake_app.fsutil import atomic_output, fsync_dir
from intake_app.progress import CancelToken, Progress, check, report
from intake_app.vault import Vault
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

FORMAT = "intake-backup-v1"
INFO_NAME = "intake-backup.json"
MEMBERS = (INFO_NAME, HEADER_NAME, DB_NAME)
MAX_SMALL_MEMBER = 64 * 1024
SEQUENCE_JUMP = 2**32
COPY_CHUNK = 1024 * 1024
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


def _snapshot(vault: Vault, target: Path) -> int:
    """VACUUM INTO `target` (same key), then check the copy; returns its case count."""
    conn = vault.conn
    try:
        # The copy must have the vault's page size and HMAC, which restore reads from header.json.
        with cipher_defaults(conn, vault.cipher_profile):
            conn.execute("VACUUM INTO ?", (str(target),))
            conn.execute("ATTACH DATABASE ? AS backup_copy", (str(target),))
            try:
                ok = conn.execute("PRAGMA backup_copy.quick_check").fetchone()
                cases = conn.execute("SELECT count(*) FROM backup_copy.case_index").fetchone()
            finally:
                conn.execute("DETACH DATABASE backup_copy")
    except Exception as exc:
        if "full" in str(exc).lower():
            raise StorageError("The disk is full; no backup was written.") from exc
        raise StorageError("The vault could not be copied; no backup was written.") from exc
    if not ok or ok[0] != "ok":
        raise StorageError("The copy of the vault did not check out; no backup was written.")
    return int(cases[0])


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
    try:
        copy = work / DB_NAME
        cases = _snapshot(vault, copy)
        check(cancel)
        size = copy.stat().st_size
        with (
            atomic_output(out_path) as out,
            tarfile.open(fileobj=out, mode="w", format=tarfile.USTAR_FORMAT) as tar,
        ):
            tar.addfile(_tar_info(INFO_NAME, len(info_bytes)), io.BytesIO(info_bytes))
            tar.addfile(_tar_info(HEADER_NAME, len(header_bytes)), io.BytesIO(header_bytes))
            with copy.open("rb") as src:
                tar.addfile(_tar_info(DB_NAME, size), _Progressing(src, size, progress, cancel))
        with vault.write() as conn:
            vault.audit(conn, "vault.backup")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return BackupWritten(out_path, out_path.stat().st_size, cases)


class _Progressing:
    """A reader that reports progress and honours cancel while tarfile copies it."""

    def __init__(
        self, src: IO[bytes], total: int, progress: Progress | None, cancel: CancelToken | None
    ) -> None:
        self._src, self._total, self._progress, self._cancel = src, total, progress, cancel
        self._done = 0

    def read(self, size: int = -1) -> bytes:
        check(self._cancel)
        data = self._src.read(size)
        self._done += len(data)
        report(self._progress, self._done, self._total, "backup")
        return data


# ---- restore -----------------------------------------------------------------------------


def _members(tar: tarfile.TarFile) -> list[tarfile.TarInfo]:
    members: list[tarfile.TarInfo] = []
    for member in tar:
        if len(members) >= len(MEMBERS) or not member.isreg():
            raise IntakeError(NOT_A_BACKUP)
        members.append(member)
    if [m.name for m in members] != list(MEMBERS):
        raise IntakeError(NOT_A_BACKUP)
    if members[0].size > MAX_SMALL_MEMBER or members[1].size > MAX_SMALL_MEMBER:
        raise IntakeError(NOT_A_BACKUP)
    return members


def _small(tar: tarfile.TarFile, member: tarfile.TarInfo) -> Any:
    fh = tar.extractfile(member)
    if fh is None:
        raise IntakeError(NOT_A_BACKUP)
    try:
        return json.loads(fh.read(MAX_SMALL_MEMBER + 1).decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise IntakeError(NOT_A_BACKUP) from None


def _unpack(backup_path: Path, folder: Path, cancel: CancelToken | None) -> None:
    try:
        tar = tarfile.open(backup_path, mode="r:")  # noqa: SIM115 - closed below
    except FileNotFoundError:
        raise IntakeError(f"There is no backup file at {backup_path}.") from None
    except (tarfile.TarError, OSError):
        raise IntakeError(NOT_A_BACKUP) from None
    with tar:
        try:
            info, header, db = _members(tar)
            meta = _small(tar, info)
            if not isinstance(meta, dict) or meta.get("format") != FORMAT:
                raise IntakeError(NOT_A_BACKUP)
            parsed = Header.from_json(_small(tar, header))
        except (tarfile.TarError, ValueError, KeyError, TypeError):
            raise IntakeError(NOT_A_BACKUP) from None
        save_header(folder, parsed)
        src = tar.extractfile(db)
        if src is None:
            raise IntakeError(NOT_A_BACKUP)
        fd = os.open(folder / DB_NAME, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            while chunk := src.read(COPY_CHUNK):
                check(cancel)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
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
