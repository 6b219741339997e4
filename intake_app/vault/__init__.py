"""The encrypted vault: SQLCipher database, key slots, migrations, audit log, writer lock."""

from intake_app.vault.vault import Vault

__all__ = ["Vault"]
