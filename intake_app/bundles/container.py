"""The outer bundle file (*.intake): a stored ZIP with exactly `payload.age` then
`payload.age.minisig`, and nothing else.

We write the ZIP ourselves so every byte is fixed (dates 1980-01-01 00:00, no extra fields,
no comment, fixed attributes: nothing about the author or the time), and read it with a
strict parser rather than `zipfile`, which tolerates prepended data, duplicate names and
much else a forger could use.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import secrets
import shutil
import struct
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from intake_app.bundles.limits import MAX_BUNDLE_BYTES, MAX_SIGNATURE_BYTES
from intake_app.errors import BundleRefused, StorageError
from intake_app.progress import CancelToken, Progress, check, report

PAYLOAD_NAME = "payload.age"
SIGNATURE_NAME = "payload.age.minisig"
BUNDLE_SUFFIX = ".intake"

_LOCAL_SIG = 0x04034B50
_CENTRAL_SIG = 0x02014B50
_END_SIG = 0x06054B50
_LOCAL = struct.Struct("<IHHHHHIIIHH")  # 30 bytes
_CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")  # 46 bytes
_END = struct.Struct("<IHHHHIIH")  # 22 bytes
_VERSION_NEEDED = 10  # 1.0: stored entries only
_VERSION_MADE_BY = (3 << 8) | 20  # Unix, 2.0: fixed so the file never says where it was made
_DOS_TIME = 0  # 00:00:00
_DOS_DATE = (0 << 9) | (1 << 5) | 1  # 1980-01-01
_EXTERNAL_ATTR = (0o100600 << 16) & 0xFFFFFFFF
COPY_CHUNK = 1024 * 1024
# Every valid bundle is laid out the same way: its payload starts right after the first
# local header, and what follows the payload (the signature entry, the directory, its end)
# is at most _TRAILER_MAX bytes. Staging hashes the payload as it copies on that basis.
PAYLOAD_OFFSET = _LOCAL.size + len(PAYLOAD_NAME)
_TRAILER_MAX = (
    _LOCAL.size + len(SIGNATURE_NAME) + MAX_SIGNATURE_BYTES
    + 2 * _CENTRAL.size + len(PAYLOAD_NAME) + len(SIGNATURE_NAME) + _END.size
)  # fmt: skip


@dataclass(frozen=True)
class Container:
    """Where the two entries sit inside a checked bundle file."""

    payload_offset: int
    payload_size: int
    signature: bytes
    file_size: int
    payload_crc: int = 0  # as the ZIP directory states it (checked by `payload_digests`)


@dataclass(frozen=True)
class PayloadDigests:
    """What one pass over payload.age yields: its SHA-256 (hex) and BLAKE2b-512 (the
    minisign prehash); its CRC-32 has been checked against the ZIP directory."""

    sha256: str
    blake2b: bytes


def _refuse(reason: str) -> BundleRefused:
    return BundleRefused(f"This is not a valid bundle file: {reason}.")


def _local_header(name: bytes, crc: int, size: int) -> bytes:
    fields = (_VERSION_NEEDED, 0, 0, _DOS_TIME, _DOS_DATE, crc, size, size, len(name), 0)
    return _LOCAL.pack(_LOCAL_SIG, *fields) + name


def _central_header(name: bytes, crc: int, size: int, offset: int) -> bytes:
    return _CENTRAL.pack(
        _CENTRAL_SIG, _VERSION_MADE_BY, _VERSION_NEEDED, 0, 0, _DOS_TIME, _DOS_DATE,
        crc, size, size, len(name), 0, 0, 0, 0, _EXTERNAL_ATTR, offset,
    ) + name  # fmt: skip


def write_container(
    out: BinaryIO,
    payload: BinaryIO,
    payload_size: int,
    signature: bytes,
    *,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> None:
    """Write a bundle to `out`, streaming `payload_size` bytes of `payload` (age file).

    `out` must be seekable: the payload's CRC is patched into its header after streaming.
    """
    if len(signature) > MAX_SIGNATURE_BYTES:
        raise ValueError("signature too large")
    names = (PAYLOAD_NAME.encode("ascii"), SIGNATURE_NAME.encode("ascii"))
    total = (
        2 * _LOCAL.size + 2 * _CENTRAL.size + _END.size + 2 * sum(map(len, names))
        + payload_size + len(signature)
    )  # fmt: skip
    if total > MAX_BUNDLE_BYTES:
        raise StorageError(
            f"The bundle would exceed {MAX_BUNDLE_BYTES} bytes; export fewer cases at a time."
        )
    start = out.tell()
    out.write(_local_header(names[0], 0, payload_size))
    crc = 0
    remaining = payload_size
    while remaining:
        check(cancel)
        chunk = payload.read(min(COPY_CHUNK, remaining))
        if not chunk:
            raise ValueError("the payload ended before its announced size")
        crc = zlib.crc32(chunk, crc)
        out.write(chunk)
        remaining -= len(chunk)
        report(progress, payload_size - remaining, payload_size, "write")
    second = out.tell() - start
    out.seek(start)
    out.write(_local_header(names[0], crc, payload_size))
    out.seek(start + second)
    sig_crc = zlib.crc32(signature)
    out.write(_local_header(names[1], sig_crc, len(signature)))
    out.write(signature)
    central_offset = out.tell() - start
    central = _central_header(names[0], crc, payload_size, 0) + _central_header(
        names[1], sig_crc, len(signature), second
    )
    out.write(central)
    out.write(_END.pack(_END_SIG, 0, 0, 2, 2, len(central), central_offset, 0))


def _read_exact(fh: BinaryIO, offset: int, size: int) -> bytes:
    fh.seek(offset)
    data = fh.read(size)
    if len(data) != size:
        raise _refuse("it is truncated")
    return data


def _check_entry(
    fh: BinaryIO, central: bytes, expected_name: str, expected_offset: int
) -> tuple[int, int, int, int]:
    """Check one central and local header; return (data offset, size, crc, next offset)."""
    fields = _CENTRAL.unpack(central[: _CENTRAL.size])
    (sig, _made_by, _needed, flags, method, _t, _d, crc, csize, usize,
     name_len, extra_len, comment_len, disk, _internal, _external, offset) = fields  # fmt: skip
    name = central[_CENTRAL.size : _CENTRAL.size + name_len]
    if sig != _CENTRAL_SIG:
        raise _refuse("its directory is damaged")
    if name != expected_name.encode("ascii"):
        raise _refuse(f"it must hold exactly {PAYLOAD_NAME} then {SIGNATURE_NAME}")
    if method != 0 or csize != usize:
        raise _refuse(f"the entry {expected_name} is compressed (bundles are stored)")
    if flags != 0:
        raise _refuse(f"the entry {expected_name} uses ZIP features bundles never use")
    if extra_len or comment_len or disk:
        raise _refuse(f"the entry {expected_name} carries extra fields or a comment")
    if offset != expected_offset:
        raise _refuse("its entries are not laid out one after another")
    local = _read_exact(fh, offset, _LOCAL.size + name_len)
    (lsig, _lneeded, lflags, lmethod, _lt, _ld, lcrc, lcsize, lusize,
     lname_len, lextra_len) = _LOCAL.unpack(local[: _LOCAL.size])  # fmt: skip
    actual = (lsig, lflags, lmethod, lcrc, lcsize, lusize, lname_len, lextra_len)
    expected = (_LOCAL_SIG, 0, 0, crc, csize, usize, name_len, 0)
    if actual != expected or local[_LOCAL.size :] != name:
        raise _refuse(f"the entry {expected_name} does not match the directory")
    data_offset = offset + _LOCAL.size + name_len
    return data_offset, usize, crc, data_offset + usize


def read_container(
    fh: BinaryIO,
    *,
    verify_crc: bool = True,
    cancel: CancelToken | None = None,
) -> Container:
    """Check the layout of the bundle in the seekable file `fh`; refuse anything else.

    Refused: an empty or non-ZIP file, truncation, trailing bytes, entries other than
    exactly payload.age then payload.age.minisig, compressed entries, extra fields,
    comments, and (with `verify_crc`) a payload whose CRC-32 does not match.
    """
    size = fh.seek(0, os.SEEK_END)
    if size == 0:
        raise _refuse("the file is empty")
    if size > MAX_BUNDLE_BYTES:
        raise _refuse(f"it is larger than {MAX_BUNDLE_BYTES} bytes")
    minimum = 2 * (_LOCAL.size + _CENTRAL.size) + _END.size
    if size < minimum or _read_exact(fh, 0, 4) != struct.pack("<I", _LOCAL_SIG):
        raise _refuse("it is not a ZIP archive, or it is truncated")
    end = _END.unpack(_read_exact(fh, size - _END.size, _END.size))
    sig, disk, cd_disk, on_disk, entries, cd_size, cd_offset, comment_len = end
    if sig != _END_SIG:
        raise _refuse("it is truncated or has bytes after its end")
    if (disk, cd_disk, comment_len) != (0, 0, 0):
        raise _refuse("it is a multi-part archive or carries a comment")
    if on_disk != 2 or entries != 2:
        raise _refuse(f"it must hold exactly two entries, not {entries}")
    if cd_offset + cd_size != size - _END.size:
        raise _refuse("its directory is misplaced (truncated or padded)")
    central = _read_exact(fh, cd_offset, cd_size)
    first_len = _CENTRAL.size + len(PAYLOAD_NAME)
    if cd_size != first_len + _CENTRAL.size + len(SIGNATURE_NAME):
        raise _refuse(f"it must hold exactly {PAYLOAD_NAME} then {SIGNATURE_NAME}")
    p_off, p_size, p_crc, nxt = _check_entry(fh, central[:first_len], PAYLOAD_NAME, 0)
    s_off, s_size, s_crc, s_end = _check_entry(fh, central[first_len:], SIGNATURE_NAME, nxt)
    if s_end != cd_offset:
        raise _refuse("there are bytes between its entries and its directory")
    if s_size > MAX_SIGNATURE_BYTES:
        raise _refuse("its signature entry is too large")
    signature = _read_exact(fh, s_off, s_size)
    if zlib.crc32(signature) != s_crc:
        raise _refuse("its signature entry is damaged (CRC mismatch)")
    if verify_crc and _crc_of_range(fh, p_off, p_size, cancel) != p_crc:
        raise _refuse("its payload is damaged (CRC mismatch)")
    return Container(payload_offset=p_off, payload_size=p_size, signature=signature,
                     file_size=size, payload_crc=p_crc)  # fmt: skip


class PayloadHashes:
    """SHA-256 and BLAKE2b-512 of payload.age as it streams past, with BLAKE2b (the slowest)
    on a helper thread beside the SHA-256 and whatever else the caller does with each chunk:
    hashlib releases the GIL, so both cores work. Use as a context manager."""

    def __init__(self) -> None:
        self.sha256 = hashlib.sha256()
        self.blake2b = hashlib.blake2b(digest_size=64)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="payload-hash")

    def update(self, chunk: bytes | memoryview, beside: Callable[[], object] | None = None) -> None:
        """Hash `chunk`; `beside()` runs meanwhile, on this thread."""
        job = self._pool.submit(self.blake2b.update, chunk)
        try:
            self.sha256.update(chunk)
            if beside is not None:
                beside()
        finally:
            job.result()

    def __enter__(self) -> PayloadHashes:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._pool.shutdown(wait=True)


def payload_digests(
    fh: BinaryIO,
    box: Container,
    *,
    cancel: CancelToken | None = None,
    staged: StagedDigests | None = None,
) -> PayloadDigests:
    """Read payload.age once for its CRC-32, SHA-256 and BLAKE2b-512, instead of three
    passes (for a checked `read_container(verify_crc=False)`). BundleRefused on a CRC
    mismatch, so a damaged payload is reported as before.

    `staged`: the digests `stage_bundle` took of this very file as it wrote it; used when
    they cover exactly the payload `box` locates, else the payload is read again."""
    if staged is not None and (found := staged.result(box)) is not None:
        sha256, blake2b, crc = found
        if crc != box.payload_crc:
            raise _refuse("its payload is damaged (CRC mismatch)")
        return PayloadDigests(sha256=sha256, blake2b=blake2b)
    crc = 0
    with PayloadHashes() as hashes:
        for chunk in iter_range(fh, box.payload_offset, box.payload_size, cancel=cancel):

            def crc_of(chunk: bytes = chunk) -> None:
                nonlocal crc
                crc = zlib.crc32(chunk, crc)

            hashes.update(chunk, crc_of)
    if crc != box.payload_crc:
        raise _refuse("its payload is damaged (CRC mismatch)")
    return PayloadDigests(sha256=hashes.sha256.hexdigest(), blake2b=hashes.blake2b.digest())


def _crc_of_range(fh: BinaryIO, offset: int, size: int, cancel: CancelToken | None) -> int:
    crc = 0
    for chunk in iter_range(fh, offset, size, cancel=cancel):
        crc = zlib.crc32(chunk, crc)
    return crc


def iter_range(
    fh: BinaryIO, offset: int, size: int, *, cancel: CancelToken | None = None
) -> RangeReader:
    """A reader over `size` bytes of `fh` from `offset` (also iterable in chunks)."""
    return RangeReader(fh, offset, size, cancel)


class RangeReader:
    """A file-like view of one byte range, for streaming the payload out of the bundle."""

    def __init__(
        self, fh: BinaryIO, offset: int, size: int, cancel: CancelToken | None = None
    ) -> None:
        self._fh = fh
        self._pos = offset
        self._remaining = size
        self._cancel = cancel

    def read(self, size: int = -1) -> bytes:
        check(self._cancel)
        if self._remaining <= 0:
            return b""
        n = self._remaining if size < 0 else min(size, self._remaining)
        self._fh.seek(self._pos)
        data = self._fh.read(n)
        if len(data) != n:
            raise _refuse("it is truncated")
        self._pos += n
        self._remaining -= n
        return data

    def __iter__(self) -> RangeReader:
        return self

    def __next__(self) -> bytes:
        chunk = self.read(COPY_CHUNK)
        if not chunk:
            raise StopIteration
        return chunk


def payload_reader(fh: BinaryIO, container: Container) -> RangeReader:
    """Stream `payload.age` out of a checked bundle file."""
    return RangeReader(fh, container.payload_offset, container.payload_size)


class StagedDigests:
    """The payload's digests, taken from the bytes `stage_bundle` writes, as it writes them
    (saves reading 300 MB again): everything from PAYLOAD_OFFSET is hashed except the last
    _TRAILER_MAX bytes seen so far, held back until the file's end shows where the payload
    ends. `result` gives the digests only if they cover exactly the checked payload."""

    def __init__(self, hashes: PayloadHashes) -> None:
        self._hashes = hashes
        self._crc = 0
        self._skip = PAYLOAD_OFFSET  # the first local header is not payload
        self._held = b""  # bytes seen but not hashed yet: at most _TRAILER_MAX
        self._hashed = 0  # payload bytes hashed so far
        self._given = False  # `result` answers once

    def feed(self, chunk: bytes, write: Callable[[], object]) -> None:
        """Take the next `chunk` of the file; `write()` (storing it) runs beside hashing."""
        if self._skip:
            cut = min(self._skip, len(chunk))
            self._skip -= cut
            chunk = chunk[cut:]
        held = self._held
        ready = len(held) + len(chunk) - _TRAILER_MAX  # bytes now known to be no trailer
        if ready <= len(held):
            self._hash_here(held[: max(ready, 0)])
            self._held = held[max(ready, 0) :] + chunk
            write()
            return
        self._hash_here(held)
        view = memoryview(chunk)
        now, self._held = view[: ready - len(held)], bytes(view[ready - len(held) :])

        def crc_and_write() -> None:
            self._crc = zlib.crc32(now, self._crc)
            write()

        self._hashes.update(now, crc_and_write)
        self._hashed += len(now)

    def _hash_here(self, data: bytes) -> None:
        """Hash a few bytes on this thread (the helper's last job has finished)."""
        if data:
            self._hashes.sha256.update(data)
            self._hashes.blake2b.update(data)
            self._crc = zlib.crc32(data, self._crc)
            self._hashed += len(data)

    def result(self, box: Container) -> tuple[str, bytes, int] | None:
        """(SHA-256 hex, BLAKE2b-512, CRC-32) of the payload `box` locates, or None."""
        if self._given or self._skip or box.payload_offset != PAYLOAD_OFFSET:
            return None
        rest = box.payload_size - self._hashed
        if rest < 0 or rest > len(self._held):
            return None
        self._hash_here(self._held[:rest])
        self._held = b""
        self._given = True
        return self._hashes.sha256.hexdigest(), self._hashes.blake2b.digest(), self._crc


def stage_bundle(
    source: Path, staging_dir: Path, *, cancel: CancelToken | None = None
) -> tuple[Path, StagedDigests]:
    """Copy a bundle into a private file (0600) in `staging_dir`, so it cannot change
    between checks; also the payload's digests taken on the way (for `payload_digests(...,
    staged=...)`). The caller deletes the copy when done; on failure nothing is left behind."""
    target = staging_dir / f"staged-{secrets.token_hex(8)}{BUNDLE_SUFFIX}"
    try:
        src = open(source, "rb")  # noqa: SIM115 - closed below, with the copy
    except FileNotFoundError:
        raise BundleRefused(f"There is no bundle file at {source}.") from None
    except OSError as exc:
        raise BundleRefused(f"The bundle file cannot be read: {exc.strerror}.") from None
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with src, os.fdopen(fd, "wb") as dst, PayloadHashes() as hashes:
            digests = StagedDigests(hashes)
            copied = 0
            while chunk := src.read(COPY_CHUNK):
                check(cancel)
                copied += len(chunk)
                if copied > MAX_BUNDLE_BYTES:
                    raise _refuse(f"it is larger than {MAX_BUNDLE_BYTES} bytes")
                digests.feed(chunk, functools.partial(dst.write, chunk))
            dst.flush()
    except BaseException as exc:
        with contextlib.suppress(OSError):
            target.unlink()
        if isinstance(exc, OSError):
            raise StorageError(f"Could not stage the bundle: {exc.strerror}.") from None
        raise
    return target, digests


def copy_range(fh: BinaryIO, offset: int, size: int, out: BinaryIO) -> None:
    """Copy one byte range to `out` (e.g. to extract payload.age for the age tool)."""
    shutil.copyfileobj(RangeReader(fh, offset, size), out, COPY_CHUNK)


class ContainerWriter:
    """Writes a bundle in one pass: payload.age streamed in chunk by chunk, then its
    signature (`finish`). The same bytes as `write_container`; `out` must be seekable.

    For exporters whose encryptor pushes ciphertext: no temporary copy of the payload.
    """

    def __init__(self, out: BinaryIO) -> None:
        self._out = out
        self._start = out.tell()
        self._name = PAYLOAD_NAME.encode("ascii")
        self._crc = 0
        self.payload_size = 0
        self.payload_offset = _LOCAL.size + len(self._name)
        out.write(_local_header(self._name, 0, 0))

    def write(self, chunk: bytes) -> int:
        self.payload_size += len(chunk)
        if self.payload_size > MAX_BUNDLE_BYTES - 64 * 1024:
            raise StorageError(
                f"The bundle would exceed {MAX_BUNDLE_BYTES} bytes; export fewer cases at a time."
            )
        self._crc = zlib.crc32(chunk, self._crc)
        self._out.write(chunk)
        return len(chunk)

    def flush(self) -> None:
        return None

    def finish(self, signature: bytes) -> None:
        """Patch the payload's header, then write the signature entry and the directory."""
        if len(signature) > MAX_SIGNATURE_BYTES:
            raise ValueError("signature too large")
        out, start = self._out, self._start
        sig_name = SIGNATURE_NAME.encode("ascii")
        second = self.payload_offset + self.payload_size
        out.seek(start)
        out.write(_local_header(self._name, self._crc, self.payload_size))
        out.seek(start + second)
        sig_crc = zlib.crc32(signature)
        out.write(_local_header(sig_name, sig_crc, len(signature)))
        out.write(signature)
        central_offset = out.tell() - start
        central = _central_header(self._name, self._crc, self.payload_size, 0) + (
            _central_header(sig_name, sig_crc, len(signature), second)
        )
        out.write(central)
        out.write(_END.pack(_END_SIG, 0, 0, 2, 2, len(central), central_offset, 0))
