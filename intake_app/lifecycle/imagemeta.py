"""Stripping metadata (EXIF with GPS and device serials, XMP, IPTC, ICC names, comments,
embedded thumbnails) from JPEG and PNG photographs, as a stream: memory stays flat.

JPEG: every APPn segment goes except a JFIF APP0 (rewritten without its thumbnail) and an
Adobe APP14 (needed to read CMYK colours); COM and JPGn segments go; everything after EOI
(e.g. the secondary images of an MPF file) goes. The compressed picture data are copied byte
for byte, so the image is not re-encoded and loses nothing.
PNG: only the chunks needed to draw the picture are kept (IHDR PLTE tRNS gAMA cHRM sRGB sBIT
bKGD pHYs IDAT IEND); eXIf, tEXt, zTXt, iTXt, tIME, iCCP and unknown chunks go.
Anything malformed raises ImageNotClean: a photograph that cannot be shown clean is not sent.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from typing import BinaryIO

from intake_app.errors import IntakeError

READ_SIZE = 256 * 1024
MAX_PNG_CHUNK = 2**31 - 1
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_KEEP = frozenset(
    {
        b"IHDR",
        b"PLTE",
        b"tRNS",
        b"gAMA",
        b"cHRM",
        b"sRGB",
        b"sBIT",
        b"bKGD",
        b"pHYs",
        b"IDAT",
        b"IEND",
    }
)
STRIPPABLE = ("image/jpeg", "image/png")


class ImageNotClean(IntakeError):
    """The photograph is damaged or not of a kind whose metadata can be removed."""


class _Reader:
    """Buffered reads of exact sizes over a binary stream."""

    def __init__(self, src: BinaryIO) -> None:
        self._src = src
        self._buf = bytearray()

    def fill(self, n: int) -> bool:
        while len(self._buf) < n:
            chunk = self._src.read(max(READ_SIZE, n - len(self._buf)))
            if not chunk:
                return False
            self._buf += chunk
        return True

    def take(self, n: int) -> bytes:
        if not self.fill(n):
            raise ImageNotClean("The photograph ends too early (it is damaged).")
        out = bytes(self._buf[:n])
        del self._buf[:n]
        return out

    def copy(self, n: int) -> Iterator[bytes]:
        """Exactly n bytes, in pieces."""
        while n > 0:
            piece = self.take(min(n, READ_SIZE))
            n -= len(piece)
            yield piece

    def entropy(self) -> Iterator[bytes]:
        """Compressed scan data up to (not including) the next marker's 0xFF."""
        start = 0
        while True:
            if not self.fill(start + 2):
                raise ImageNotClean("The photograph ends inside its picture data (damaged).")
            i = self._buf.find(b"\xff", start)
            if i < 0 or i + 1 >= len(self._buf):
                end = len(self._buf) if i < 0 else i
                if end:
                    yield bytes(self._buf[:end])
                    del self._buf[:end]
                start = 0
                if not self.fill(2):
                    raise ImageNotClean("The photograph ends inside its picture data (damaged).")
                continue
            nxt = self._buf[i + 1]
            if nxt == 0x00 or 0xD0 <= nxt <= 0xD7:  # stuffed byte or restart marker
                start = i + 2
                continue
            if i:
                yield bytes(self._buf[:i])
                del self._buf[:i]
            return


def _jfif_without_thumbnail(payload: bytes) -> bytes | None:
    if not payload.startswith(b"JFIF\x00") or len(payload) < 14:
        return None
    core = payload[:12] + b"\x00\x00"  # version, units, densities; no thumbnail
    return b"\xff\xe0" + struct.pack(">H", len(core) + 2) + core


def _keep_segment(marker: int, payload: bytes) -> bytes | None:
    """The bytes to write for one marker segment, or None to drop it."""
    if marker == 0xE0:
        return _jfif_without_thumbnail(payload)
    if marker == 0xEE and payload.startswith(b"Adobe") and len(payload) <= 16:
        return b"\xff\xee" + struct.pack(">H", len(payload) + 2) + payload
    if 0xE1 <= marker <= 0xEF or marker == 0xFE or 0xF0 <= marker <= 0xFD:
        return None
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def strip_jpeg(src: BinaryIO) -> Iterator[bytes]:
    """The JPEG in `src` without metadata (see the module docstring)."""
    r = _Reader(src)
    if r.take(2) != b"\xff\xd8":
        raise ImageNotClean("This is not a JPEG photograph.")
    yield b"\xff\xd8"
    saw_scan = False
    while True:
        if r.take(1) != b"\xff":
            raise ImageNotClean("The photograph's structure is damaged.")
        marker = r.take(1)[0]
        while marker == 0xFF:  # fill bytes
            marker = r.take(1)[0]
        if marker == 0xD9:
            if not saw_scan:
                raise ImageNotClean("The photograph holds no picture data.")
            yield b"\xff\xd9"
            return  # anything after EOI is dropped
        if marker == 0x01 or 0xD0 <= marker <= 0xD8 or marker == 0x00:
            raise ImageNotClean("The photograph's structure is damaged.")
        (length,) = struct.unpack(">H", r.take(2))
        if length < 2:
            raise ImageNotClean("The photograph's structure is damaged.")
        segment = _keep_segment(marker, r.take(length - 2))
        if segment is not None:
            yield segment
        if marker == 0xDA:
            saw_scan = True
            yield from r.entropy()


def strip_png(src: BinaryIO) -> Iterator[bytes]:
    """The PNG in `src` with only the chunks needed to draw it."""
    r = _Reader(src)
    if r.take(8) != PNG_SIGNATURE:
        raise ImageNotClean("This is not a PNG image.")
    yield PNG_SIGNATURE
    first = True
    while True:
        head = r.take(8)
        (length,) = struct.unpack(">I", head[:4])
        kind = head[4:]
        if length > MAX_PNG_CHUNK or not kind.isalpha() or (first and kind != b"IHDR"):
            raise ImageNotClean("The image's structure is damaged.")
        first = False
        if kind in PNG_KEEP:
            yield head
            yield from r.copy(length + 4)  # data and CRC
        else:
            for _ in r.copy(length + 4):
                pass
        if kind == b"IEND":
            return


def strip_metadata(media_type: str, src: BinaryIO) -> Iterator[bytes]:
    """The stripped bytes of a photograph of `media_type` (one of STRIPPABLE)."""
    if media_type == "image/jpeg":
        return strip_jpeg(src)
    if media_type == "image/png":
        return strip_png(src)
    raise ImageNotClean("Only JPEG and PNG photographs can be stripped of their metadata.")
