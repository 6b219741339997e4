"""An unlocked vault and the services built on it, opened and closed as one.

The main window holds at most one Session. Locking closes it: the connection and the key
material go, and nothing that was read from the vault survives in the GUI.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from intake_app.progress import CancelToken, Progress

VAULT_MARKER_FILE = "header.json"


def holds_vault(folder: Path) -> bool:
    """A vault folder is recognised by its key header."""
    return (folder / VAULT_MARKER_FILE).is_file()


def remembered_in_keyring(folder: Path) -> bool:
    """Whether the vault's header holds a keyring slot (read without unlocking)."""
    from intake_app.errors import IntakeError
    from intake_app.vault.header import SLOT_KEYRING, load_header

    try:
        return SLOT_KEYRING in load_header(folder).slots
    except (IntakeError, OSError, ValueError):
        return False


class Session:
    """The open vault, the current protocol and the case store."""

    def __init__(self, vault: Any) -> None:
        from intake_app.cases.store import CaseStore
        from intake_app.protocol.loader import load_protocol

        self.vault = vault
        self.protocol = load_protocol("torture-intake")
        self.cases = CaseStore(vault)
        self.vault_closed = False
        self._reading = contextlib.ExitStack()

    @property
    def path(self) -> Path:
        return Path(self.vault.path)

    def read_on_this_thread(self) -> None:
        """Called on the GUI thread: until close(), its reads go to a read-only connection
        of its own and see only committed work, never a worker's transaction half done
        (workers write on the vault's writer connection). See Vault.reading."""
        self._reading.enter_context(self.vault.reading())

    def close(self) -> None:
        # The store keeps no case content, only the (now closed) vault: screens that might
        # still refresh check `vault_closed`.
        self._reading.close()
        self.vault.close()
        self.vault_closed = True


def create_vault(
    folder: Path, passphrase: str, name: str, role: str, remember: bool
) -> tuple[Session, str | None]:
    """Create and open a vault; returns the session and the keyring failure, if any."""
    from intake_app.errors import KeyringUnavailable
    from intake_app.vault import Vault

    vault = Vault.create(folder, passphrase, name=name, role=role)
    keyring_problem: str | None = None
    if remember:
        try:
            vault.remember_in_keyring()
        except KeyringUnavailable as exc:
            keyring_problem = exc.message
    return Session(vault), keyring_problem


def open_vault(folder: Path, passphrase: str | None, use_keyring: bool) -> Session:
    from intake_app.vault import Vault

    vault = Vault.open(folder, passphrase, use_keyring=use_keyring)
    try:
        return Session(vault)
    except BaseException:
        vault.close()
        raise


def as_work(fn: Any, *args: Any) -> Any:
    """Adapt a plain call to the Task signature (progress, cancel) -> result."""

    def work(_progress: Progress, _cancel: CancelToken) -> Any:
        return fn(*args)

    return work
