"""The vault: a folder holding vault.db (SQLCipher 4), header.json and lock.

A random 256-bit database key is given to SQLCipher as a raw key. header.json holds it wrapped
under Argon2id(passphrase) and, optionally, under a secret kept in the OS keyring. Changing
the passphrase rewraps the key and replaces the header atomically; the database is never
rewritten. See docs/ARCHITECTURE.md "Vault API".
"""

from __future__ import annotations

import contextlib
import secrets
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import sqlcipher3

from intake_app.errors import (
    IntakeError,
    StorageError,
    VaultBusy,
    VaultDamaged,
    VaultLocked,
    WrongPassphrase,
)
from intake_app.identity.keys import DeviceIdentity
from intake_app.vault import audit as audit_log
from intake_app.vault import blobfiles, keyring_slot, threads
from intake_app.vault.cipher import LEGACY, CipherProfile
from intake_app.vault.db import DB_NAME, connect, explain_database_error, sqlite_failure
from intake_app.vault.device import load_identity
from intake_app.vault.folder import (
    build_vault,
    check_folder,
    is_vault,
    move_into_place,
    refuse_occupied,
    remove_stale_header_parts,
    remove_stale_staging,
    staging_folder,
    tighten_permissions,
)
from intake_app.vault.header import (
    DAMAGED_MESSAGE,
    HEADER_NAME,
    SLOT_KEYRING,
    SLOT_PASSPHRASE,
    Header,
    SlotUnwrapFailed,
    key_matches,
    load_header,
    save_header,
    unwrap_key,
    wrap_key,
)
from intake_app.vault.kdf import KdfParams, derive_key
from intake_app.vault.lockfile import WriterLock
from intake_app.vault.migrate import migrate, pending, schema_version

MIN_PASSPHRASE_LENGTH = 8
MAX_PASSPHRASE_LENGTH = 1024
WRONG_PASSPHRASE = "Wrong passphrase."  # noqa: S105 - a message
LOCKED_MESSAGE = "The vault is locked; unlock it with the passphrase."
MAX_IDLE_READERS = 2  # the GUI thread's and a read-only worker's, at most, in practice
NOT_REMEMBERED = "This computer does not remember this vault; enter the passphrase."


def check_new_passphrase(passphrase: str) -> None:
    """A new passphrase: at least 8 characters (a sentence is better), at most 1024."""
    if len(passphrase) < MIN_PASSPHRASE_LENGTH:
        raise IntakeError(
            f"The passphrase is too short: use at least {MIN_PASSPHRASE_LENGTH} characters "
            "(a few unrelated words are easy to remember and hard to guess)."
        )
    if len(passphrase) > MAX_PASSPHRASE_LENGTH:
        raise IntakeError(f"The passphrase is longer than {MAX_PASSPHRASE_LENGTH} characters.")


class Vault:
    """An unlocked vault. Not for concurrent use from several threads at once."""

    def __init__(
        self,
        path: Path,
        vault_id: str,
        conn: sqlcipher3.Connection,
        db_key: bytes,
        lock: WriterLock,
        identity: DeviceIdentity,
        cipher_profile: CipherProfile = LEGACY,
    ) -> None:
        self.path = path
        self.vault_id = vault_id
        # The database's page size and HMAC (header.json), for copies such as backups.
        self.cipher_profile = cipher_profile
        self._conn: sqlcipher3.Connection | None = conn
        self._db_key = bytearray(db_key)
        self._lock = lock
        self._identity: DeviceIdentity | None = identity
        # Read-only connections: lent per thread by reading(), kept idle for the next one.
        self._readers: dict[int, sqlcipher3.Connection] = {}
        self._idle_readers: list[sqlcipher3.Connection] = []
        self._readers_guard = threading.Lock()
        # Failed unlock attempts since the previous unlock, logged at this one (for the GUI).
        self.failed_unlocks_reported = 0

    # ---- creating and opening -------------------------------------------------------

    @staticmethod
    def exists(path: Path) -> bool:
        """True when `path` looks like a vault folder (its header is there)."""
        return is_vault(path)

    @classmethod
    def create(
        cls, path: Path, passphrase: str, *, name: str, role: str, category: str | None = None
    ) -> Vault:
        """Create a new vault at `path` (absent or an empty folder) and return it opened.

        The vault is built in a hidden sibling folder and renamed into place at the end, so a
        crash never leaves a half-made vault under the chosen name.
        """
        path = Path(path)
        check_new_passphrase(passphrase)
        identity = DeviceIdentity.generate(name, role, category)
        refuse_occupied(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            remove_stale_staging(path)
            staging = staging_folder(path)
            staging.mkdir(mode=0o700)
        except OSError as exc:
            raise StorageError(
                f"Could not create the vault folder {path}: {exc.strerror}."
            ) from exc
        db_key = secrets.token_bytes(32)
        try:
            header = build_vault(staging, db_key, passphrase, identity)
            move_into_place(staging, path)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return cls._open_with_key(path, header, db_key)

    @classmethod
    def open(cls, path: Path, passphrase: str | None = None, *, use_keyring: bool = False) -> Vault:
        """Unlock the vault at `path` with the passphrase or, if asked, the OS keyring."""
        path = Path(path)
        check_folder(path)
        header = load_header(path)
        if passphrase is not None:
            db_key = _unlock_with_passphrase(path, header, passphrase)
        elif use_keyring:
            db_key = _unlock_with_keyring(header)
        else:
            raise VaultLocked(LOCKED_MESSAGE)
        if not key_matches(header, db_key):
            raise VaultDamaged(DAMAGED_MESSAGE)
        vault = cls._open_with_key(path, header, db_key)
        try:
            vault._after_unlock(passphrase)
        except BaseException:
            vault.close()
            raise
        return vault

    @classmethod
    def _open_with_key(cls, path: Path, header: Header, db_key: bytes) -> Vault:
        conn = connect(path / DB_NAME, db_key, profile=header.cipher_profile)
        lock = WriterLock(path)
        try:
            if schema_version(conn) == 0:
                raise VaultDamaged(DAMAGED_MESSAGE)  # an empty database is not our vault
            if pending(conn):
                with lock.held():
                    migrate(conn)
            identity = load_identity(conn)
        except sqlcipher3.Error as exc:
            conn.close()
            lock.close()
            raise sqlite_failure(exc) from exc
        except BaseException:
            conn.close()
            lock.close()
            raise
        tighten_permissions(path)
        return cls(path, header.vault_id, conn, db_key, lock, identity, header.cipher_profile)

    def _after_unlock(self, passphrase: str | None) -> None:
        """Log failed attempts since the last unlock; raise weak stored KDF parameters.

        Housekeeping only: when another process holds the writer lock it waits for a later
        unlock, so opening a vault to read never fails because someone else is writing.
        """
        fresh = KdfParams.fresh()
        header = load_header(self.path)
        kdf = header.slots[SLOT_PASSPHRASE].kdf
        upgrade = passphrase is not None and kdf is not None and kdf.weaker_than(fresh)
        stale = list(self.path.glob(f".{HEADER_NAME}.*.part"))
        self._sweep_blob_files()
        if not (header.failed_unlocks or upgrade or stale):
            return
        try:
            with self._lock.held():
                remove_stale_header_parts(self.path)
                self._settle_failed_unlocks()
                if upgrade and passphrase is not None:
                    self._rewrap_passphrase(passphrase, fresh)
        except VaultBusy:
            return

    def _sweep_blob_files(self) -> None:
        """Remove attachment files a crash or a rollback left without a row; only when no one
        else is writing (never waits: a later unlock will do it)."""
        with self._lock.try_held() as held:
            if held:
                blobfiles.sweep(self.conn, self.path)

    def _settle_failed_unlocks(self) -> None:
        header = load_header(self.path)
        if not header.failed_unlocks:
            return
        with self.write() as conn:
            self.audit(conn, "vault.unlock_failed_attempts", str(header.failed_unlocks))
        self.failed_unlocks_reported = header.failed_unlocks
        header.failed_unlocks = 0
        save_header(self.path, header)

    def _rewrap_passphrase(self, passphrase: str, params: KdfParams) -> None:
        """Caller holds the lock and has checked `passphrase` against this vault."""
        header = load_header(self.path)
        header.slots[SLOT_PASSPHRASE] = wrap_key(
            bytes(self._db_key),
            derive_key(passphrase, params),
            header.vault_id,
            SLOT_PASSPHRASE,
            params,
        )
        save_header(self.path, header)

    # ---- using an open vault --------------------------------------------------------

    @property
    def conn(self) -> sqlcipher3.Connection:
        """The calling thread's connection: inside reading() or threads.reading_apart() and
        outside this thread's own write lock, its read-only connection; otherwise the
        writer connection."""
        writer = self._writer()
        if self._lock.held_by_this_thread:
            return writer
        reader = self._readers.get(threading.get_ident())
        if reader is not None:
            return reader
        apart = threads.scope()
        if apart is None:
            return writer
        return apart.enter_context(self.reading())  # given back when the scope ends

    def _writer(self) -> sqlcipher3.Connection:
        if self._conn is None:
            raise VaultLocked(LOCKED_MESSAGE)
        return self._conn

    @contextlib.contextmanager
    def reading(self) -> Iterator[sqlcipher3.Connection]:
        """Within this, `conn` on the calling thread is a read-only connection of its own
        (query_only, same key): it reads the last committed state (a WAL snapshot), never
        another thread's open transaction, and never uses the writer connection at the same
        time as another thread does. write() on this thread still writes on the writer, and
        `conn` inside it is the writer. Re-entrant; the connection goes back to a small pool
        at the end and is closed with the vault. For the GUI thread and read-only workers.
        """
        me = threading.get_ident()
        if me in self._readers:
            yield self._readers[me]
            return
        reader = self._take_reader()
        with self._readers_guard:
            self._readers[me] = reader
        try:
            yield reader
        finally:
            self._give_back_reader(me, reader)

    @contextlib.contextmanager
    def copying(self) -> Iterator[sqlcipher3.Connection]:
        """A connection of its own, closed at the end, for `VACUUM INTO` a copy of the last
        committed state (a WAL snapshot) while writers go on. Not query_only: SQLite counts
        writing the copy as a write. Never pooled, never used to change the vault."""
        self._writer()  # refuse on a closed vault
        conn = connect(self.path / DB_NAME, bytes(self._db_key), profile=self.cipher_profile)
        try:
            yield conn
        finally:
            with contextlib.suppress(sqlcipher3.Error):
                conn.close()

    def _take_reader(self) -> sqlcipher3.Connection:
        self._writer()  # refuse on a closed vault
        with self._readers_guard:
            if self._idle_readers:
                return self._idle_readers.pop()
        reader = connect(self.path / DB_NAME, bytes(self._db_key), profile=self.cipher_profile)
        try:
            reader.execute("PRAGMA query_only = ON")
        except sqlcipher3.Error as exc:
            reader.close()
            raise sqlite_failure(exc) from exc
        return reader

    def _give_back_reader(self, thread: int, reader: sqlcipher3.Connection) -> None:
        with self._readers_guard:
            if self._readers.get(thread) is reader:
                del self._readers[thread]
            # Keep it only while the vault is open and outside a transaction (one left open
            # would hold a snapshot and stop the checkpoints the WAL scrub relies on).
            keep = self._conn is not None and not reader.in_transaction
            if keep and len(self._idle_readers) < MAX_IDLE_READERS:
                self._idle_readers.append(reader)
                return
        with contextlib.suppress(sqlcipher3.Error):
            reader.close()

    @property
    def identity(self) -> DeviceIdentity:
        if self._identity is None:
            raise VaultLocked(LOCKED_MESSAGE)
        return self._identity

    @property
    def is_open(self) -> bool:
        return self._conn is not None

    @contextlib.contextmanager
    def write(self) -> Iterator[sqlcipher3.Connection]:
        """BEGIN IMMEDIATE under the writer lock; COMMIT on success, ROLLBACK on error."""
        conn = self._writer()
        with self._lock.held():
            if conn.in_transaction:
                raise RuntimeError("vault.write() does not nest")
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlcipher3.Error as exc:
                raise sqlite_failure(exc) from exc
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException as exc:
                if conn.in_transaction:
                    with contextlib.suppress(sqlcipher3.Error):
                        conn.execute("ROLLBACK")
                # Attachment files written for rows that were just rolled back.
                with contextlib.suppress(sqlcipher3.Error, OSError):
                    blobfiles.sweep(conn, self.path)
                explained = explain_database_error(exc)
                if explained is not None:
                    raise explained from exc
                raise
            with contextlib.suppress(sqlcipher3.Error, OSError):
                blobfiles.unlink_released(conn, self.path)

    @contextlib.contextmanager
    def exclusive(self) -> Iterator[sqlcipher3.Connection]:
        """The writer lock without a transaction: across several `write()` transactions (the
        lock is re-entrant) so no other writer comes between them, or for a copy SQLite cannot
        make inside one (VACUUM INTO). Keep it short: other writers wait."""
        conn = self._writer()
        with self._lock.held():
            yield conn

    @contextlib.contextmanager
    def holding_writer_lock(self) -> Iterator[sqlcipher3.Connection]:
        """The writer lock without a transaction (re-entrant; write() inside is fine), and the
        writer connection: for its settings, which SQLite lets change only outside one."""
        conn = self._writer()
        with self._lock.held():
            yield conn

    def audit(self, conn: sqlcipher3.Connection, action: str, record: str | None = None) -> None:
        """Append an audit entry (inside the caller's write transaction)."""
        audit_log.append(conn, self.identity.fingerprint, action, record)

    def next_sequence(self, conn: sqlcipher3.Connection) -> int:
        """Next bundle sequence number (inside the caller's write transaction)."""
        if not conn.in_transaction:
            raise RuntimeError("next_sequence needs an open write transaction")
        row = conn.execute("SELECT next_sequence FROM device_identity WHERE id = 1").fetchone()
        conn.execute("UPDATE device_identity SET next_sequence = next_sequence + 1 WHERE id = 1")
        return int(row[0])

    # ---- passphrase and keyring -----------------------------------------------------

    def change_passphrase(self, old: str, new: str) -> None:
        """Rewrap the database key under `new`; the old passphrase must be right."""
        check_new_passphrase(new)
        self.conn  # noqa: B018 - refuse on a closed vault before any work
        with self._lock.held():
            header = load_header(self.path)
            slot = header.slots[SLOT_PASSPHRASE]
            assert slot.kdf is not None
            try:
                key = unwrap_key(slot, derive_key(old, slot.kdf), header.vault_id)
            except SlotUnwrapFailed:
                raise WrongPassphrase(
                    "The current passphrase is wrong; nothing was changed."
                ) from None
            if key != bytes(self._db_key):
                raise VaultDamaged(DAMAGED_MESSAGE)
            params = KdfParams.fresh()
            header.slots[SLOT_PASSPHRASE] = wrap_key(
                key, derive_key(new, params), header.vault_id, SLOT_PASSPHRASE, params
            )
            save_header(self.path, header)
            with self.write() as conn:
                self.audit(conn, "vault.passphrase_changed")

    @property
    def remembered_in_keyring(self) -> bool:
        return SLOT_KEYRING in load_header(self.path).slots

    def remember_in_keyring(self) -> None:
        """Let this computer's OS keyring unlock the vault (KeyringUnavailable if insecure)."""
        self.conn  # noqa: B018
        secret = keyring_slot.new_secret()
        keyring_slot.store_secret(self.vault_id, secret)
        try:
            with self._lock.held():
                header = load_header(self.path)
                header.slots[SLOT_KEYRING] = wrap_key(
                    bytes(self._db_key), secret, header.vault_id, SLOT_KEYRING
                )
                save_header(self.path, header)
                with self.write() as conn:
                    self.audit(conn, "vault.keyring_remembered")
        except BaseException:
            with contextlib.suppress(IntakeError):
                keyring_slot.delete_secret(self.vault_id)
            raise

    def forget_keyring(self) -> bool:
        """Remove the keyring slot, then the OS keyring's secret.

        Returns False when the slot is gone but the keyring refused to delete its secret
        (harmless: without the slot the secret unlocks nothing).
        """
        self.conn  # noqa: B018
        with self._lock.held():
            header = load_header(self.path)
            if header.slots.pop(SLOT_KEYRING, None) is not None:
                save_header(self.path, header)
                with self.write() as conn:
                    self.audit(conn, "vault.keyring_forgotten")
        try:
            keyring_slot.delete_secret(self.vault_id)
        except IntakeError:
            return False
        return True

    # ---- closing --------------------------------------------------------------------

    def close(self) -> None:
        """Close the connections and drop the key material this object holds. Idempotent."""
        conn, self._conn = self._conn, None
        with self._readers_guard:
            readers = [*self._readers.values(), *self._idle_readers]
            self._readers, self._idle_readers = {}, []
        for each in (*readers, conn):
            if each is not None:
                with contextlib.suppress(sqlcipher3.Error):
                    each.close()
        for i in range(len(self._db_key)):
            self._db_key[i] = 0
        self._db_key = bytearray()
        self._identity = None
        self._lock.close()

    def __enter__(self) -> Vault:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


# ---- helpers ---------------------------------------------------------------------------


def _count_failed_unlock(path: Path) -> None:
    """Count a failed attempt in the header; never let counting hide the real error."""
    lock = WriterLock(path, wait_seconds=1.0)
    try:
        with lock.held():
            header = load_header(path)
            header.failed_unlocks += 1
            save_header(path, header)
    except IntakeError:
        pass
    finally:
        lock.close()


def _unlock_with_passphrase(path: Path, header: Header, passphrase: str) -> bytes:
    slot = header.slots[SLOT_PASSPHRASE]
    assert slot.kdf is not None
    try:
        return unwrap_key(slot, derive_key(passphrase, slot.kdf), header.vault_id)
    except SlotUnwrapFailed:
        _count_failed_unlock(path)
        raise WrongPassphrase(WRONG_PASSPHRASE) from None


def _unlock_with_keyring(header: Header) -> bytes:
    slot = header.slots.get(SLOT_KEYRING)
    if slot is None:
        raise VaultLocked(NOT_REMEMBERED)
    secret = keyring_slot.load_secret(header.vault_id)
    if secret is None:
        raise VaultLocked(NOT_REMEMBERED)
    try:
        return unwrap_key(slot, secret, header.vault_id)
    except SlotUnwrapFailed:
        raise VaultLocked(
            "The key this computer remembers no longer fits this vault; enter the passphrase."
        ) from None
