"""The vault folder on disk: building a new one, recognising one, tidy permissions."""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import stat
import uuid
from pathlib import Path

import sqlcipher3

from intake_app.errors import NoVault, StorageError, VaultDamaged, VaultExists
from intake_app.fsutil import fsync_dir
from intake_app.identity.keys import DeviceIdentity
from intake_app.vault import cipher
from intake_app.vault.blobfiles import BLOB_DIR
from intake_app.vault.db import DB_NAME, connect, sqlite_failure
from intake_app.vault.device import store_identity
from intake_app.vault.header import (
    DAMAGED_MESSAGE,
    HEADER_NAME,
    SLOT_PASSPHRASE,
    Header,
    key_check_value,
    save_header,
    wrap_key,
)
from intake_app.vault.kdf import KdfParams, derive_key
from intake_app.vault.lockfile import LOCK_NAME
from intake_app.vault.migrate import migrate

_STAGING_PREFIX = ".{name}.creating-"


def is_vault(path: Path) -> bool:
    """True when `path` looks like a vault folder (its header is there)."""
    return (Path(path) / HEADER_NAME).is_file()


def refuse_occupied(path: Path) -> None:
    if is_vault(path) or (path / DB_NAME).exists():
        raise VaultExists(f"There is already a vault at {path}; nothing was changed.")
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise VaultExists(f"{path} is not an empty folder; choose a new or empty folder.")


def build_vault(folder: Path, db_key: bytes, passphrase: str, identity: DeviceIdentity) -> Header:
    profile = cipher.NEW_VAULTS
    conn = connect(folder / DB_NAME, db_key, create=True, profile=profile)
    try:
        os.chmod(folder / DB_NAME, 0o600)
        migrate(conn)
        store_identity(conn, identity)
    except sqlcipher3.Error as exc:
        raise sqlite_failure(exc) from exc
    finally:
        conn.close()
    vault_id = str(uuid.uuid4())
    params = KdfParams.fresh()
    slot = wrap_key(db_key, derive_key(passphrase, params), vault_id, SLOT_PASSPHRASE, params)
    header = Header(vault_id, key_check_value(db_key), {SLOT_PASSPHRASE: slot},
                    cipher_profile=profile)  # fmt: skip
    save_header(folder, header)
    fd = os.open(folder / LOCK_NAME, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)
    (folder / BLOB_DIR).mkdir(mode=0o700)  # attachment files (blobfiles.py)
    return header


def move_into_place(staging: Path, path: Path) -> None:
    try:
        # rename(2) replaces an empty directory and refuses a non-empty one.
        os.rename(staging, path)
    except OSError as exc:
        if path.exists():
            raise VaultExists(f"{path} is not an empty folder; nothing was changed.") from exc
        raise StorageError(f"Could not create the vault at {path}: {exc.strerror}.") from exc
    fsync_dir(path.parent)


def check_folder(path: Path) -> None:
    """NoVault when nothing is there; VaultDamaged when the vault's files are incomplete."""
    has_header = (path / HEADER_NAME).is_file()
    has_db = (path / DB_NAME).is_file()
    if not has_header and not has_db:
        raise NoVault(f"There is no vault at {path}. Create one with `intake-app init`.")
    if not (has_header and has_db) or (path / DB_NAME).stat().st_size == 0:
        raise VaultDamaged(DAMAGED_MESSAGE)


def staging_folder(path: Path) -> Path:
    """Hidden sibling where a new vault is built before it is renamed to `path`."""
    return path.parent / f"{_STAGING_PREFIX.format(name=path.name)}{secrets.token_hex(6)}"


def remove_stale_staging(path: Path) -> None:
    """Half-built vaults left beside `path` by an `init` that was killed."""
    prefix = _STAGING_PREFIX.format(name=path.name)
    for child in path.parent.glob(f"{prefix}*"):
        if child.is_dir() and not child.is_symlink() and len(child.name) == len(prefix) + 12:
            shutil.rmtree(child, ignore_errors=True)


def remove_stale_header_parts(path: Path) -> None:
    """Temporary headers left by a process killed mid-write (caller holds the lock)."""
    for part in path.glob(f".{HEADER_NAME}.*.part"):
        with contextlib.suppress(OSError):
            part.unlink()


def tighten_permissions(path: Path) -> None:
    """Folder 0700, files 0600, whatever umask or copying did to them."""
    with contextlib.suppress(OSError):
        if stat.S_IMODE(path.stat().st_mode) != 0o700:
            os.chmod(path, 0o700)
        for child in path.iterdir():
            if child.is_file() and stat.S_IMODE(child.stat().st_mode) & 0o077:
                os.chmod(child, 0o600)
