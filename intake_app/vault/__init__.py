"""The encrypted vault: SQLCipher database, key slots, migrations, audit log, writer lock."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from intake_app.vault.vault import Vault

__all__ = ["Vault"]


def __getattr__(name: str) -> Any:
    # Loaded on first use: reading header.json (the unlock window asks whether the vault
    # is remembered) must not import SQLCipher and the keyring backends at start-up.
    if name == "Vault":
        from intake_app.vault.vault import Vault

        return Vault
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
