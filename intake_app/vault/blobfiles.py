"""Attachment bytes as sealed files in the vault folder, each under its own random key.

Why files and not database pages: storing 300 MiB in SQLCipher pages ran at 54 MB/s here
(every page encrypted, HMAC'd, written to the WAL and again to the database, and every
allocation wiped by `cipher_memory_security`), an encrypted file at ~320 MiB/s (the disk).
Attachments are most of a bundle's bytes, so where they live decides import/export speed.

A file `blobs/<file_id>` holds `MAGIC`, then the content in chunks of `CHUNK_SIZE` bytes
(the last one shorter; none for an empty file), each sealed with ChaCha20-Poly1305 under the
file's key, nonce = chunk index, associated data = the file id. The id (32 random hex digits)
says nothing of the content. The key, id and size live in the file's `blobs` row inside the
encrypted database, which makes the database the only authority:

- a file is readable only through its row; the exact length follows from the size, so a file
  cut short, extended, reordered or swapped for another fails to read;
- deleting the row (with `secure_delete`) erases the content even before the file is gone
  (crypto-erasure): the unlink after the commit only gives the space back;
- a file no committed row names is an orphan (a rolled-back import, a crash mid-write) and is
  removed by `sweep` whenever the writer lock is free to take.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import re
import secrets
import shutil
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

from intake_app.errors import StorageError
from intake_app.fsutil import fsync_dir

BLOB_DIR = "blobs"
MAGIC = b"FIBLOB1\n"
CHUNK_SIZE = 1024 * 1024
TAG_SIZE = 16
# Hard links made for a consistent copy (backup); one older than a day is from a copy that
# was interrupted, never from one still running.
LINKS_PREFIX = ".blob-links-"
STALE_LINKS_SECONDS = 24 * 3600
_FILE_ID = re.compile(r"^[0-9a-f]{32}$")
# Files whose rows the current transaction deleted: a TEMP table, so the note is part of the
# transaction (a rollback forgets it) and never reaches the disk (temp_store = MEMORY).
_UNLINKS_DDL = "CREATE TEMP TABLE IF NOT EXISTS blob_unlinks (file_id TEXT PRIMARY KEY)"

DAMAGED = "The stored attachment is damaged; nothing was written."


@dataclass(frozen=True)
class SealedRef:
    """Where a sealed file is and how to open it (from its `blobs` row)."""

    file_id: str
    key: bytes
    size: int


def is_file_id(name: str) -> bool:
    return bool(_FILE_ID.match(name))


def vault_folder(conn: Any) -> Path:
    """The folder of the vault whose database `conn` has open as `main`."""
    for _seq, name, filename in conn.execute("PRAGMA database_list"):
        if name == "main":
            if not filename:
                break
            return Path(filename).parent
    raise RuntimeError("attachments need a vault on disk (this database is in memory)")


def sealed_length(size: int) -> int:
    """The length on disk of a sealed file of `size` content bytes."""
    chunks = -(-size // CHUNK_SIZE)
    return len(MAGIC) + size + chunks * TAG_SIZE


def _nonce(index: int) -> bytes:
    return index.to_bytes(12, "big")


def _write_all(fd: int, data: bytes | memoryview) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _storage_error(exc: OSError) -> StorageError:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return StorageError("The disk is full; the attachment was not stored.")
    return StorageError("The attachment could not be stored; nothing was changed.")


class SealedWriter:
    """A new sealed file, written chunk by chunk. `seal` makes it durable; `discard` removes
    it. The caller records (file_id, key, size) in the `blobs` row in the same transaction."""

    def __init__(self, folder: Path) -> None:
        directory = folder / BLOB_DIR
        self.file_id = secrets.token_hex(16)
        self.key = ChaCha20Poly1305.generate_key()
        self.size = 0
        self._aead = ChaCha20Poly1305(self.key)
        self._aad = self.file_id.encode()
        self._index = 0
        self._path = directory / self.file_id
        try:
            created = not directory.exists()
            directory.mkdir(mode=0o700, exist_ok=True)
            if created:
                fsync_dir(folder)
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
            self._fd: int | None = os.open(self._path, flags, 0o600)
        except OSError as exc:
            raise _storage_error(exc) from exc
        self._write(MAGIC)

    def _write(self, data: bytes) -> None:
        try:
            if self._fd is None:
                raise ValueError("the sealed file is closed")
            _write_all(self._fd, data)
        except OSError as exc:
            self.discard()
            raise _storage_error(exc) from exc

    def write_chunk(self, chunk: bytes | bytearray | memoryview) -> None:
        """Seal and append one chunk: CHUNK_SIZE bytes, except the file's last chunk."""
        if not chunk:
            return
        if self.size % CHUNK_SIZE:
            raise ValueError("only the last chunk may be shorter than CHUNK_SIZE")
        self._write(self._aead.encrypt(_nonce(self._index), chunk, self._aad))
        self._index += 1
        self.size += len(chunk)

    def seal(self, flusher: Flusher | None = None) -> SealedRef:
        """Flush the file to the disk (file and folder), close it, and return its reference.
        With a `flusher`, that happens on its thread: durable once `flusher.wait()` returns."""
        fd, self._fd = self._fd, None
        if fd is None:
            raise ValueError("the sealed file is closed")
        if flusher is not None:
            flusher.take(fd, self._path.parent)
            return SealedRef(self.file_id, self.key, self.size)
        try:
            os.fsync(fd)
            os.close(fd)
            fsync_dir(self._path.parent)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.close(fd)
            self._unlink()
            raise _storage_error(exc) from exc
        return SealedRef(self.file_id, self.key, self.size)

    def discard(self) -> None:
        """Close and remove the file, sealed or not (idempotent)."""
        fd, self._fd = self._fd, None
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)
        self._unlink()

    def _unlink(self) -> None:
        with contextlib.suppress(OSError):
            self._path.unlink()


class Flusher:
    """Makes sealed files durable on a helper thread while the caller goes on with the next
    (fsync waits for the disk, without the GIL): for a transaction that stores many files.
    `wait()` before that transaction commits; leaving the `with` block without it (an error)
    still closes every file, and the rolled-back files are swept as orphans."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="blob-fsync")
        self._jobs: list[Future[None]] = []
        self._folders: set[Path] = set()

    def take(self, fd: int, folder: Path) -> None:
        """fsync and close `fd` (now the flusher's), and later its folder."""
        self._jobs.append(self._pool.submit(_sync_and_close, fd))
        self._folders.add(folder)

    def wait(self) -> None:
        """Return once every file taken and its folder are on the disk; StorageError if not."""
        jobs, self._jobs = self._jobs, []
        failed: OSError | None = None
        for job in jobs:  # every job ends (its descriptor closed) before anything is raised
            try:
                job.result()
            except OSError as exc:
                failed = failed or exc
        try:
            if failed is not None:
                raise failed
            for folder in sorted(self._folders):
                fsync_dir(folder)
        except OSError as exc:
            raise _storage_error(exc) from exc

    def __enter__(self) -> Flusher:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for job in self._jobs:
            job.exception()  # wait: no descriptor outlives the block
        self._pool.shutdown(wait=True)


def _sync_and_close(fd: int) -> None:
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class SealedReader(io.RawIOBase):
    """Reads a sealed file's content, one chunk in memory at a time. StorageError when the
    file is missing, has the wrong length, or any chunk fails authentication."""

    def __init__(self, folder: Path, ref: SealedRef) -> None:
        self._ref = ref
        self._aead = ChaCha20Poly1305(ref.key)
        self._aad = ref.file_id.encode()
        self._index = 0
        self._left = ref.size
        self._buffer = b""
        self._offset = 0
        try:
            self._file: io.BufferedReader | None = open(folder / BLOB_DIR / ref.file_id, "rb")  # noqa: SIM115
        except OSError as exc:
            raise StorageError(DAMAGED) from exc
        try:
            length = os.fstat(self._file.fileno()).st_size
            if length != sealed_length(ref.size) or self._file.read(len(MAGIC)) != MAGIC:
                raise StorageError(DAMAGED)
        except BaseException:
            self.close()
            raise

    def readable(self) -> bool:
        return True

    def _next_chunk(self) -> bytes:
        if self._file is None:
            raise ValueError("the sealed file is closed")
        want = min(CHUNK_SIZE, self._left)
        try:
            sealed = self._file.read(want + TAG_SIZE)
            if len(sealed) != want + TAG_SIZE:
                raise StorageError(DAMAGED)
            chunk = self._aead.decrypt(_nonce(self._index), sealed, self._aad)
        except (OSError, InvalidTag) as exc:
            raise StorageError(DAMAGED) from exc
        self._index += 1
        self._left -= len(chunk)
        return chunk

    def readinto(self, target: Any) -> int:
        view = memoryview(target).cast("B")
        if self._offset >= len(self._buffer):
            if self._left <= 0:
                return 0
            self._buffer = self._next_chunk()
            self._offset = 0
        n = min(len(view), len(self._buffer) - self._offset)
        view[:n] = self._buffer[self._offset : self._offset + n]
        self._offset += n
        return n

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        super().close()


# ---- keeping files and rows in step ------------------------------------------------------


def release(conn: Any, file_id: str) -> None:
    """Note, inside the write transaction that deletes the file's row, that the file goes once
    that transaction commits (a rollback forgets the note with the rest)."""
    conn.execute(_UNLINKS_DDL)
    conn.execute("INSERT OR IGNORE INTO temp.blob_unlinks (file_id) VALUES (?)", (file_id,))


def unlink_released(conn: Any, folder: Path) -> None:
    """After a commit: remove the files whose rows that transaction deleted."""
    conn.execute(_UNLINKS_DDL)
    rows = conn.execute("SELECT file_id FROM temp.blob_unlinks").fetchall()
    if not rows:
        return
    for (file_id,) in rows:
        if is_file_id(file_id):
            with contextlib.suppress(OSError):
                (folder / BLOB_DIR / file_id).unlink()
    conn.execute("DELETE FROM temp.blob_unlinks")


def link_aside(folder: Path, file_ids: list[str]) -> Path:
    """Hard-link these files into a new private folder of the vault (the caller holds the
    writer lock): a copy made from the links later is of this moment, even if a retraction
    removes a file meanwhile. The caller removes the folder when done."""
    links = folder / f"{LINKS_PREFIX}{secrets.token_hex(6)}"
    links.mkdir(mode=0o700)
    try:
        for file_id in file_ids:
            os.link(folder / BLOB_DIR / file_id, links / file_id)
    except BaseException:
        shutil.rmtree(links, ignore_errors=True)
        raise
    return links


def sweep(conn: Any, folder: Path) -> int:
    """Remove every file in `blobs/` that no committed row names, and link folders that a
    copy interrupted more than a day ago left behind; returns how many files went.

    The caller holds the writer lock and no transaction: no one else can be writing a file
    whose row is about to be committed.
    """
    stale = time.time() - STALE_LINKS_SECONDS
    for entry in os.scandir(folder):
        if entry.name.startswith(LINKS_PREFIX) and entry.stat().st_mtime < stale:
            shutil.rmtree(entry.path, ignore_errors=True)
    directory = folder / BLOB_DIR
    try:
        names = [entry.name for entry in os.scandir(directory)]
    except FileNotFoundError:
        return 0
    if not names:
        return 0
    named = {row[0] for row in conn.execute("SELECT file_id FROM blobs WHERE file_id IS NOT NULL")}
    removed = 0
    for name in names:
        if name not in named:
            with contextlib.suppress(OSError):
                (directory / name).unlink()
                removed += 1
    return removed
