"""Opening the SQLCipher database with a raw 256-bit key and the vault's pragmas."""

from __future__ import annotations

import contextlib
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import sqlcipher3

from intake_app.errors import IntakeError, StorageError, VaultBusy, VaultDamaged
from intake_app.vault.cipher import LEGACY, CipherProfile
from intake_app.vault.header import DAMAGED_MESSAGE
from intake_app.vault.lockfile import BUSY_MESSAGE

DB_NAME = "vault.db"
BUSY_TIMEOUT_MS = 5000


# After the key: the order matters only in that nothing may touch a page before the key.
_PRAGMAS = (
    "PRAGMA cipher_memory_security = ON",
    "PRAGMA temp_store = MEMORY",
    "PRAGMA secure_delete = ON",
    "PRAGMA foreign_keys = ON",
    f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}",
    "PRAGMA synchronous = FULL",
)


def _uri(path: Path, create: bool) -> str:
    return f"file:{urllib.parse.quote(str(path))}?mode={'rwc' if create else 'rw'}"


def connect(
    db_path: Path, db_key: bytes, *, create: bool = False, profile: CipherProfile = LEGACY
) -> sqlcipher3.Connection:
    """An open, keyed connection with isolation_level=None (callers BEGIN explicitly).

    `profile` is the page size and HMAC the database was created with (header.json says).
    VaultDamaged when the file is not a database under this key: the caller has already
    checked the key against the header, so this means damaged or foreign files.
    """
    if len(db_key) != 32:
        raise ValueError("the database key is 256 bits")
    try:
        conn = sqlcipher3.connect(
            _uri(db_path, create),
            uri=True,
            isolation_level=None,
            check_same_thread=False,
            timeout=BUSY_TIMEOUT_MS / 1000,
        )
    except sqlcipher3.OperationalError as exc:
        raise VaultDamaged(DAMAGED_MESSAGE) from exc
    try:
        # Before anything else, so SQLCipher never writes diagnostics to stderr.
        conn.execute("PRAGMA cipher_log_level = NONE")
        conn.execute(f"PRAGMA key = \"x'{db_key.hex()}'\"")
        for pragma in (*profile.pragmas(), *_PRAGMAS):
            conn.execute(pragma)
        # The first read of a page is where a wrong key or a foreign file shows.
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()
        if not mode or str(mode[0]).lower() != "wal":
            raise VaultDamaged(DAMAGED_MESSAGE)
    except sqlcipher3.OperationalError as exc:
        conn.close()
        if "locked" in str(exc) or "busy" in str(exc):
            raise VaultBusy(BUSY_MESSAGE) from exc
        raise VaultDamaged(DAMAGED_MESSAGE) from exc
    except sqlcipher3.DatabaseError as exc:
        conn.close()
        raise VaultDamaged(DAMAGED_MESSAGE) from exc
    except BaseException:
        conn.close()
        raise
    return conn


@contextlib.contextmanager
def cipher_defaults(conn: sqlcipher3.Connection, profile: CipherProfile) -> Iterator[None]:
    """Give databases that `VACUUM INTO` creates or `ATTACH` opens on `conn` the settings of
    `profile` (SQLCipher uses its process-wide defaults for them, not the connection's)."""
    page, hmac = LEGACY.page_size, LEGACY.hmac
    conn.execute(f"PRAGMA cipher_default_page_size = {profile.page_size}")
    conn.execute(f"PRAGMA cipher_default_hmac_algorithm = {profile.hmac}")
    try:
        yield
    finally:
        conn.execute(f"PRAGMA cipher_default_page_size = {page}")
        conn.execute(f"PRAGMA cipher_default_hmac_algorithm = {hmac}")


def explain_database_error(exc: BaseException) -> IntakeError | None:
    """The person-readable error behind an SQLite failure, or None if it is a plain bug."""
    if not isinstance(exc, sqlcipher3.Error):
        return None
    text = str(exc).lower()
    if "full" in text:
        return StorageError("The disk is full; nothing was saved.")
    if "locked" in text or "busy" in text:
        return VaultBusy(BUSY_MESSAGE)
    if "readonly" in text or "read-only" in text:
        return StorageError("The vault is on a read-only disk; nothing was saved.")
    if any(word in text for word in ("not a database", "malformed", "disk i/o", "corrupt")):
        return VaultDamaged(DAMAGED_MESSAGE)
    return None


def sqlite_failure(exc: sqlcipher3.Error) -> IntakeError:
    """Like explain_database_error, defaulting to VaultDamaged."""
    return explain_database_error(exc) or VaultDamaged(DAMAGED_MESSAGE)
