"""Attachments: content-addressed blobs stored inside the vault in 1 MiB chunks, as sealed
files of the vault folder (intake_app/vault/blobfiles.py says why and how).

Files are streamed in and out; memory stays flat whatever the file size. The SHA-256 is
computed while streaming, and a file already held is not stored twice.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from intake_app.errors import NotFound, StorageError, ValidationError
from intake_app.fsutil import atomic_output
from intake_app.progress import CancelToken, Progress, check, report
from intake_app.vault import blobfiles

CHUNK_SIZE = blobfiles.CHUNK_SIZE
MAX_NAME_LENGTH = 255

_SQLITE_FULL = ("database or disk is full", "disk i/o error")


@dataclass(frozen=True)
class BlobInfo:
    """What the vault knows of one stored file."""

    sha256: str
    size: int
    media_type: str
    captured_at: str | None


def sniff_media_type(head: bytes) -> str:
    """Media type from the first bytes of a file (never from its name)."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"OggS"):
        return "audio/ogg"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "audio/wav"
    if head[4:8] == b"ftyp" and head[8:12] in (b"M4A ", b"M4B "):
        return "audio/mp4"
    if head.startswith(b"ID3") or (
        len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0 and head[1] & 0x06
    ):
        return "audio/mpeg"
    return "application/octet-stream"


def exif_captured_at(head: bytes) -> str | None:
    """EXIF DateTimeOriginal of an image whose EXIF block lies in `head`, else None.

    The value is the camera's local clock, written `YYYY-MM-DDTHH:MM:SS` (no zone, because
    EXIF rarely records one). Pillow only parses headers here; pixels are never decoded.
    """
    try:
        from PIL import Image

        with Image.open(io.BytesIO(head)) as image:
            exif = image.getexif()
            value = exif.get_ifd(0x8769).get(0x9003) or exif.get(0x0132)
    except Exception:  # any malformed image simply has no capture time
        return None
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.strptime(value.strip("\x00 "), "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    return parsed.strftime("%Y-%m-%dT%H:%M:%S")


def clean_name(name: str) -> str:
    """The base name of a file as recorded in a revision (no folders, bounded length)."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    if not base or base in (".", ".."):
        base = "attachment"
    return base[:MAX_NAME_LENGTH]


def _storage_error(exc: Exception) -> StorageError:
    text = str(exc).lower()
    if any(marker in text for marker in _SQLITE_FULL):
        return StorageError("The disk is full; the attachment was not stored.")
    return StorageError("The attachment could not be stored; nothing was changed.")


def put_blob(
    conn: Any,
    source: BinaryIO,
    *,
    expected_sha256: str | None = None,
    max_size: int | None = None,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
    total: int = 0,
) -> BlobInfo:
    """Stream `source` into the vault inside the caller's write transaction.

    Returns the stored blob (the existing one when the same bytes are already held). When
    `expected_sha256` is given (import), different bytes raise ValidationError and nothing
    is kept. `max_size` caps the bytes read.
    """
    sink = BlobSink(conn, max_size=max_size)
    try:
        while True:
            check(cancel)
            try:
                chunk = _read_chunk(source)
            except OSError as exc:
                raise StorageError("The file could not be read; nothing was stored.") from exc
            if not chunk:
                break
            sink.write(chunk)
            report(progress, sink.size, total, "attachment")
        return sink.finish(expected_sha256)
    except BaseException:
        sink.abort()
        raise


def _read_chunk(source: BinaryIO) -> bytes:
    """Up to CHUNK_SIZE bytes; raw streams and pipes may return less per read."""
    parts: list[bytes] = []
    wanted = CHUNK_SIZE
    while wanted > 0:
        part = source.read(wanted)
        if not part:
            break
        parts.append(part)
        wanted -= len(part)
    return b"".join(parts)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def blob_info(conn: Any, sha256: str) -> BlobInfo | None:
    row = conn.execute(
        "SELECT sha256, size, media_type, captured_at FROM blobs WHERE sha256 = ?", (sha256,)
    ).fetchone()
    if row is None:
        return None
    return BlobInfo(row[0], int(row[1]), row[2], row[3])


class _ChunkReader(io.RawIOBase):
    """Reads an attachment stored by earlier versions in `blob_chunks`, one chunk at a time."""

    def __init__(self, conn: Any, blob_id: int) -> None:
        self._conn = conn
        self._blob_id = blob_id
        self._seq = 0
        self._buffer = b""
        self._offset = 0

    def readable(self) -> bool:
        return True

    def readinto(self, target: Any) -> int:
        view = memoryview(target).cast("B")
        if self._offset >= len(self._buffer):
            row = self._conn.execute(
                "SELECT data FROM blob_chunks WHERE blob_id = ? AND seq = ?",
                (self._blob_id, self._seq),
            ).fetchone()
            if row is None:
                return 0
            self._buffer = bytes(row[0])
            self._offset = 0
            self._seq += 1
        n = min(len(view), len(self._buffer) - self._offset)
        view[:n] = self._buffer[self._offset : self._offset + n]
        self._offset += n
        return n


def open_blob(conn: Any, sha256: str) -> BinaryIO:
    """A streaming reader of a stored file. NotFound when the vault does not hold it;
    StorageError (on open or while reading) when its stored bytes are damaged."""
    row = conn.execute(
        "SELECT blob_id, size, file_id, file_key FROM blobs WHERE sha256 = ?", (sha256,)
    ).fetchone()
    if row is None:
        raise NotFound("This attachment is not in the vault.")
    blob_id, size, file_id, file_key = row
    raw: io.RawIOBase
    if file_id is None:
        raw = _ChunkReader(conn, int(blob_id))
    else:
        ref = blobfiles.SealedRef(file_id, bytes(file_key), int(size))
        raw = blobfiles.SealedReader(blobfiles.vault_folder(conn), ref)
    return io.BufferedReader(raw, CHUNK_SIZE)


def export_blob(
    conn: Any,
    sha256: str,
    path: Path,
    *,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> None:
    """Write a stored file to `path` atomically, checking its hash on the way out."""
    info = blob_info(conn, sha256)
    if info is None:
        raise NotFound("This attachment is not in the vault.")
    digest = hashlib.sha256()
    done = 0
    with atomic_output(Path(path)) as out, contextlib.closing(open_blob(conn, sha256)) as src:
        while True:
            check(cancel)
            chunk = src.read(CHUNK_SIZE)
            if not chunk:
                break
            digest.update(chunk)
            out.write(chunk)
            done += len(chunk)
            report(progress, done, info.size, "attachment")
        if digest.hexdigest() != sha256 or done != info.size:
            raise StorageError("The stored attachment is damaged; nothing was written.")


def delete_blob(conn: Any, sha256: str) -> None:
    """Erase a blob (retraction); the caller holds the write transaction. Deleting the row
    erases the sealed file's key; the file itself goes when the transaction commits."""
    row = conn.execute("SELECT blob_id, file_id FROM blobs WHERE sha256 = ?", (sha256,)).fetchone()
    if row is None:
        return
    conn.execute("DELETE FROM blob_chunks WHERE blob_id = ?", (row[0],))
    conn.execute("DELETE FROM blobs WHERE sha256 = ?", (sha256,))
    if row[1] is not None:
        blobfiles.release(conn, row[1])


def attachment_entry(info: BlobInfo, name: str) -> dict[str, Any]:
    """The entry a revision records for an attachment."""
    return {
        "sha256": info.sha256,
        "size": info.size,
        "media_type": info.media_type,
        "name": clean_name(name),
        "captured_at": info.captured_at,
    }


class BlobSink:
    """Stores bytes that are pushed rather than pulled (the importer receives an attachment
    chunk by chunk as it is decrypted; `put_blob` pushes what it reads), inside the caller's
    write transaction, as a sealed file of the vault (intake_app/vault/blobfiles.py).

    `write` each piece, then `finish(expected_sha256)`; on any failure call `abort`. Bytes
    that do not match the expected hash are dropped and raise ValidationError; bytes the
    vault already holds are not stored twice.
    """

    def __init__(
        self,
        conn: Any,
        *,
        max_size: int | None = None,
        hashed_by_caller: bool = False,
        flusher: blobfiles.Flusher | None = None,
    ) -> None:
        self._conn = conn
        self._flusher = flusher  # makes the file durable beside the caller (see blobfiles)
        self._max_size = max_size
        # The importer hashes every member against its signed manifest anyway; a second
        # SHA-256 of the same bytes here would cost a fifth of the import's own CPU time.
        self._hashed_by_caller = hashed_by_caller
        self._file = blobfiles.SealedWriter(blobfiles.vault_folder(conn))
        self._digest = hashlib.sha256()
        # Pieces that do not come as whole chunks (the importer's follow the tar stream) are
        # gathered here by one copy each, and sealed from here: no copy per piece of the
        # chunk, no new 1 MiB object per chunk (copies hold the GIL the decryptor needs).
        self._chunk = bytearray(CHUNK_SIZE)
        self._filled = 0
        self._head = b""
        self.size = 0
        self._recorded = False

    def write(self, data: bytes | bytearray | memoryview) -> int:
        """Take the next bytes (any bytes-like object; not kept after the call)."""
        n = len(data)
        self.size += n
        if self._max_size is not None and self.size > self._max_size:
            raise ValidationError("The attachment is larger than allowed; it was refused.")
        if not self._hashed_by_caller:
            self._digest.update(data)
        if not self._filled and n == CHUNK_SIZE:
            self._store(data)  # the common case: whole chunks, sealed as they come
            return n
        view = memoryview(data).cast("B")
        while view:
            take = min(CHUNK_SIZE - self._filled, len(view))
            self._chunk[self._filled : self._filled + take] = view[:take]
            self._filled += take
            view = view[take:]
            if self._filled == CHUNK_SIZE:
                self._store(self._chunk)
                self._filled = 0
        return n

    def _store(self, chunk: bytes | bytearray | memoryview) -> None:
        if not self._head:
            self._head = bytes(chunk)  # sniffing and EXIF read the first chunk at the end
        self._file.write_chunk(chunk)

    def finish(self, expected_sha256: str | None = None) -> BlobInfo:
        """Store the last chunk and the blob's row; returns what the vault now holds.

        With `hashed_by_caller`, `expected_sha256` is required and taken as the hash: the
        caller must have checked the bytes it wrote against it."""
        if self._filled:
            self._store(memoryview(self._chunk)[: self._filled])
            self._filled = 0
        if self._hashed_by_caller:
            if expected_sha256 is None:
                self.abort()
                raise ValueError("a caller-hashed blob needs its checked hash")
            sha = expected_sha256
        else:
            sha = self._digest.hexdigest()
        if expected_sha256 is not None and sha != expected_sha256:
            self.abort()
            raise ValidationError("An attachment's bytes do not match its recorded hash.")
        existing = blob_info(self._conn, sha)
        if existing is not None:
            self.abort()
            return existing
        info = BlobInfo(sha, self.size, sniff_media_type(self._head),
                        exif_captured_at(self._head))  # fmt: skip
        ref = self._file.seal(self._flusher)
        try:
            row = self._conn.execute("SELECT coalesce(max(blob_id), 0) + 1 FROM blobs").fetchone()
            self._conn.execute(
                "INSERT INTO blobs (sha256, blob_id, size, media_type, captured_at, created_at,"
                " file_id, file_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (sha, int(row[0]), self.size, info.media_type, info.captured_at, _now(),
                 ref.file_id, ref.key),
            )  # fmt: skip
        except Exception as exc:
            self._file.discard()
            if type(exc).__module__.startswith("sqlcipher3"):
                raise _storage_error(exc) from exc
            raise
        self._recorded = True
        return info

    def abort(self) -> None:
        """Drop everything written so far (idempotent; nothing once `finish` recorded the
        blob: from then on the row and its file stand or fall with the transaction)."""
        if not self._recorded:
            self._file.discard()
