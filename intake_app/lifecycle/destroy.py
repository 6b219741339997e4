"""Destroying a vault: crypto-erase, then remove its files.

The database is encrypted with a random key that exists on disk only wrapped in header.json's
key slots. Destroying overwrites header.json in place with random bytes (as long as it was,
fsynced) before removing it, deletes the keyring secret, and removes every file of the vault
folder. What this cannot do: on SSDs and flash drives wear levelling keeps old copies of
blocks that no program can overwrite, and copies made earlier (backups, bundles) are not
touched. Full-disk encryption is the real protection for what the disk keeps.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path

from intake_app.errors import IntakeError, StorageError
from intake_app.fsutil import fsync_dir
from intake_app.vault import Vault, keyring_slot
from intake_app.vault.header import HEADER_NAME

LIMITS_TEXT = (
    "What destroying cannot do: on SSDs and USB flash drives, wear levelling keeps old copies "
    "of disk blocks that no program can overwrite, so traces of the (encrypted) vault may "
    "remain on the device; full-disk encryption is the real protection. Backups and bundles "
    "made earlier are not touched: destroy them separately."
)


@dataclass(frozen=True)
class Destroyed:
    folder: Path
    files_removed: int
    keyring_cleared: bool


def check_name(vault: Vault, typed: str) -> None:
    """The vault's name (its device name, as shown when unlocking), typed exactly."""
    if typed.strip() != vault.identity.name:
        raise IntakeError("The name typed is not this vault's name; nothing was destroyed.")


def crypto_erase_header(folder: Path) -> None:
    """Overwrite header.json (and stale temporary copies) in place with random bytes and
    fsync: without the wrapped key slots the database cannot be decrypted by anyone."""
    targets = [folder / HEADER_NAME, *folder.glob(f".{HEADER_NAME}.*.part")]
    for path in targets:
        with contextlib.suppress(FileNotFoundError):
            size = max(path.stat().st_size, 4096)
            fd = os.open(path, os.O_WRONLY)
            try:
                os.write(fd, secrets.token_bytes(size))
                os.fsync(fd)
            finally:
                os.close(fd)


def destroy(vault: Vault, typed_name: str) -> Destroyed:
    """Crypto-erase and remove the open vault (after `check_name`). The vault is closed."""
    check_name(vault, typed_name)
    folder = vault.path
    vault_id = vault.vault_id
    remembered = vault.remembered_in_keyring
    vault.close()  # drops the key material this process holds
    keyring_cleared = True
    if remembered:
        try:
            keyring_slot.delete_secret(vault_id)
        except IntakeError:
            keyring_cleared = False  # the slot goes with the header; the secret then opens nothing
    try:
        crypto_erase_header(folder)
    except OSError as exc:
        raise StorageError(
            f"The vault's key file could not be overwritten ({exc.strerror}); nothing else "
            "was removed. Try again, or remove the folder by hand."
        ) from None
    removed = sum(1 for p in folder.rglob("*") if p.is_file())
    try:
        shutil.rmtree(folder)
    except OSError as exc:
        raise StorageError(
            f"The vault can no longer be opened, but some files could not be removed "
            f"({exc.strerror}); remove {folder} by hand."
        ) from None
    with contextlib.suppress(OSError):
        fsync_dir(folder.parent)
    return Destroyed(folder, removed, keyring_cleared)
