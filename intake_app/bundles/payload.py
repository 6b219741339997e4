"""The decrypted payload: a POSIX tar stream of regular files, led by manifest.json.

Written deterministically (ustar, mtime 0, uid/gid 0, no user names, mode 0600) and read by
our own strict parser, never `tarfile` (whose pax handling reads a header of any claimed
size into memory) and never to disk. Two readers share one set of rules:
`PayloadParser` is a sink that plaintext is pushed into as it is decrypted (no threads),
`iter_members` pulls members from a file.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO, Protocol

from intake_app.bundles.limits import (
    MAX_ATTACHMENT_BYTES,
    MAX_MANIFEST_BYTES,
    MAX_MEMBER_NAME_BYTES,
    MAX_MEMBERS,
    MAX_PAX_HEADER_BYTES,
    MAX_PLAINTEXT_BYTES,
    MAX_SIGNATURE_BYTES,
)
from intake_app.errors import BundleRefused
from intake_app.progress import CancelToken, check

BLOCK = 512
MANIFEST_NAME = "manifest.json"
MANIFEST_SIGNATURE_NAME = "manifest.json.minisig"
_USTAR_MAGIC = b"ustar\x0000"
_MAX_TRAILER = 20 * 1024  # zero blocks after the end marker (tar tools pad to 10 KiB)
_PAX_KEYS = frozenset({"path", "size", "mtime", "atime", "ctime"})
_WINDOWS_DEVICES = frozenset(
    {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$", "CLOCK$"}
    | {f"COM{i}" for i in "0123456789¹²³"}
    | {f"LPT{i}" for i in "0123456789¹²³"}
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_TYPE_NAMES = {
    b"1": "a hard link",
    b"2": "a symbolic link",
    b"3": "a character device",
    b"4": "a block device",
    b"5": "a directory",
    b"6": "a FIFO",
    b"7": "a contiguous file",
    b"g": "a global pax header",
    b"L": "a GNU long name",
    b"K": "a GNU long link",
    b"S": "a sparse file",
}


def _refuse(reason: str) -> BundleRefused:
    return BundleRefused(f"The bundle's content is not acceptable: {reason}.")


def default_member_cap(name: str) -> int:
    """Largest size a member may claim, by name (the importer checks manifest sizes too)."""
    if name == MANIFEST_NAME:
        return MAX_MANIFEST_BYTES
    if name == MANIFEST_SIGNATURE_NAME:
        return MAX_SIGNATURE_BYTES
    return MAX_ATTACHMENT_BYTES


def check_member_name(name: str) -> None:
    """Refuse any name that could escape a folder or mean something else on some system."""
    if not name:
        raise _refuse("a member has an empty name")
    if len(name.encode("utf-8", "surrogatepass")) > MAX_MEMBER_NAME_BYTES:
        raise _refuse("a member name is too long")
    if "\x00" in name:
        raise _refuse("a member name contains a NUL byte")
    if _CONTROL.search(name):
        raise _refuse("a member name contains control characters")
    if "\\" in name:
        raise _refuse("a member name contains a backslash")
    if ":" in name:
        raise _refuse("a member name contains a colon (a drive or stream name)")
    if name.startswith("/"):
        raise _refuse("a member has an absolute path")
    for part in name.split("/"):
        if part in ("", ".", ".."):
            raise _refuse("a member path contains '..', '.' or an empty part")
        if part.endswith((".", " ")):
            raise _refuse("a member name ends with a dot or a space")
        if part.split(".")[0].upper() in _WINDOWS_DEVICES:
            raise _refuse("a member is named like a device (CON, NUL, COM1…)")


@dataclass
class _Rules:
    """Running checks over the whole stream: order, duplicates, counts, sizes."""

    member_cap: Callable[[str], int]
    max_members: int
    max_total: int
    count: int = 0
    total: int = 0
    seen: set[str] = field(default_factory=set)

    def admit(self, name: str, size: int) -> None:
        check_member_name(name)
        if self.count == 0 and name != MANIFEST_NAME:
            raise _refuse(f"the first member must be {MANIFEST_NAME}")
        folded = name.casefold()
        if folded in self.seen:
            raise _refuse("a member name appears twice")
        self.count += 1
        if self.count > self.max_members:
            raise _refuse(f"it holds more than {self.max_members} members")
        cap = self.member_cap(name)
        if size > cap:
            raise _refuse(f"a member claims {size} bytes, over the limit of {cap}")
        self.total += size
        if self.total > self.max_total:
            raise _refuse(f"its members add up to more than {self.max_total} bytes")
        self.seen.add(folded)


def _octal(field_bytes: bytes, what: str) -> int:
    text = field_bytes.rstrip(b"\x00 ").lstrip(b" ")
    if field_bytes[:1] and field_bytes[0] & 0x80:
        raise _refuse(f"a header's {what} uses a binary encoding")
    if not text:
        return 0
    if not re.fullmatch(rb"[0-7]+", text):
        raise _refuse(f"a header's {what} is not a number")
    return int(text, 8)


def _cstring(field_bytes: bytes, what: str) -> bytes:
    value, _, rest = field_bytes.partition(b"\x00")
    if rest.strip(b"\x00"):
        raise _refuse(f"a member {what} contains a NUL byte")
    return value


def _utf8(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeError:
        raise _refuse("a member name is not valid UTF-8") from None


@dataclass(frozen=True)
class _Header:
    kind: str  # "file", "pax", "end"
    name: str = ""
    size: int = 0


def _parse_header(block: bytes, pax: dict[str, str] | None) -> _Header:
    if block == bytes(BLOCK):
        if pax is not None:
            raise _refuse("a pax header is not followed by a member")
        return _Header("end")
    stored = _octal(block[148:156], "checksum")
    computed = sum(block[:148]) + 8 * 0x20 + sum(block[156:])
    if stored != computed:
        raise _refuse("a tar header is damaged (checksum mismatch)")
    if block[257:265] != _USTAR_MAGIC:
        raise _refuse("it is not a POSIX (ustar/pax) tar stream")
    typeflag = block[156:157]
    size = _octal(block[124:136], "size")
    if typeflag == b"x":
        if pax is not None:
            raise _refuse("two pax headers in a row")
        if size > MAX_PAX_HEADER_BYTES:
            raise _refuse("a pax header is too large")
        return _Header("pax", size=size)
    if typeflag not in (b"0", b"\x00"):
        what = _TYPE_NAMES.get(typeflag, "an unknown member type")
        raise _refuse(f"it contains {what}; only regular files are allowed")
    if block[157:257].strip(b"\x00"):
        raise _refuse("a regular file carries a link target")
    name_raw = _cstring(block[0:100], "name")
    prefix = _cstring(block[345:500], "name")
    name = _utf8(prefix + b"/" + name_raw if prefix else name_raw)
    if pax:
        name = pax.get("path", name)
        if "size" in pax:
            if not re.fullmatch(r"[0-9]{1,19}", pax["size"]):
                raise _refuse("a pax size is not a number")
            size = int(pax["size"])
    return _Header("file", name=name, size=size)


def _parse_pax(data: bytes) -> dict[str, str]:
    """Parse pax records ("<len> key=value\\n"); only a few known keys are allowed."""
    records: dict[str, str] = {}
    pos = 0
    while pos < len(data):
        match = re.match(rb"([1-9][0-9]{0,5}) ", data[pos:])
        if not match:
            raise _refuse("a pax header is malformed")
        length = int(match.group(1))
        record = data[pos : pos + length]
        if len(record) != length or not record.endswith(b"\n"):
            raise _refuse("a pax header is malformed")
        key_raw, sep, value_raw = record[match.end() : -1].partition(b"=")
        key = _utf8(key_raw)
        if not sep or key not in _PAX_KEYS:
            raise _refuse("a pax header carries an unexpected key")
        if key in records:
            raise _refuse("a pax header repeats a key")
        value = _utf8(value_raw)
        if "\x00" in value:
            raise _refuse("a member name contains a NUL byte")
        records[key] = value
        pos += length
    return records


def _padding(size: int) -> int:
    return -size % BLOCK


class PayloadConsumer(Protocol):
    """Receives members in order as the payload streams."""

    def begin(self, name: str, size: int) -> None: ...
    def data(self, chunk: memoryview) -> None:
        """The member's next bytes: a view valid during the call only (copy what you keep)."""
    def end(self) -> None: ...


class PayloadParser:
    """A sink for decrypted bytes that checks the tar stream and feeds a consumer.

    `write` raises BundleRefused at the first bad byte; `close` checks the stream ended
    properly. Member data goes to the consumer as it arrives, never to disk.
    """

    def __init__(
        self,
        consumer: PayloadConsumer,
        *,
        member_cap: Callable[[str], int] = default_member_cap,
        max_members: int = MAX_MEMBERS,
        max_total: int = MAX_PLAINTEXT_BYTES,
    ) -> None:
        self._consumer = consumer
        self._rules = _Rules(member_cap, max_members, max_total)
        self._buf = bytearray()
        self._state = "header"
        self._remaining = 0
        self._pax: dict[str, str] | None = None
        self._pax_buf = bytearray()
        self._pax_size = 0
        self._pending_pad = 0
        self._trailer = 0

    @property
    def member_count(self) -> int:
        return self._rules.count

    def write(self, data: bytes) -> int:
        view = memoryview(data)
        while view:
            view = self._step(view)
        return len(data)

    def _step(self, view: memoryview) -> memoryview:
        if self._state == "data":
            n = min(self._remaining, len(view))
            if n:
                self._consumer.data(view[:n])
                self._remaining -= n
            if self._remaining == 0:
                self._consumer.end()
                self._state = "pad"
                self._remaining = self._pending_pad
            return view[n:]
        if self._state == "pad":
            n = min(self._remaining, len(view))
            if bytes(view[:n]).strip(b"\x00"):
                raise _refuse("a member's padding is not zero")
            self._remaining -= n
            if self._remaining == 0:
                self._state = "header"
            return view[n:]
        if self._state == "pax":
            n = min(self._remaining, len(view))
            self._pax_buf += view[:n]
            self._remaining -= n
            if self._remaining == 0:
                self._pax = _parse_pax(bytes(self._pax_buf[: self._pax_size]))
                self._pax_buf.clear()
                self._state = "header"
            return view[n:]
        if self._state == "end":
            if bytes(view).strip(b"\x00"):
                raise _refuse("there are bytes after the end of the archive")
            self._trailer += len(view)
            if self._trailer > _MAX_TRAILER:
                raise _refuse("the archive's end padding is too long")
            return view[len(view) :]
        return self._take_header(view)

    def _take_header(self, view: memoryview) -> memoryview:
        n = min(BLOCK - len(self._buf), len(view))
        self._buf += view[:n]
        if len(self._buf) < BLOCK:
            return view[n:]
        header = _parse_header(bytes(self._buf), self._pax)
        self._buf.clear()
        if header.kind == "end":
            self._state = "end"
            self._trailer = BLOCK
        elif header.kind == "pax":
            self._state = "pax"
            self._pax_size = header.size
            self._remaining = header.size + _padding(header.size)
        else:
            self._pax = None
            self._rules.admit(header.name, header.size)
            self._consumer.begin(header.name, header.size)
            self._pending_pad = _padding(header.size)
            self._state = "data"
            self._remaining = header.size
            if header.size == 0:
                return self._step(view[n:])
        return view[n:]

    def flush(self) -> None:
        return None

    def close(self) -> None:
        """Check that the stream ended with the end-of-archive marker."""
        if self._state != "end" or self._trailer < 2 * BLOCK:
            raise _refuse("the archive is truncated (no end marker)")
        if self._rules.count == 0:
            raise _refuse("the archive is empty")


@dataclass
class Member:
    """One member as `iter_members` yields it: read `reader` before asking for the next."""

    name: str
    size: int
    reader: _MemberReader


class _MemberReader:
    def __init__(self, source: BinaryIO, size: int, cancel: CancelToken | None) -> None:
        self._source = source
        self.remaining = size
        self._cancel = cancel

    def read(self, size: int = -1) -> bytes:
        check(self._cancel)
        n = self.remaining if size < 0 else min(size, self.remaining)
        data = _read_full(self._source, n)
        self.remaining -= n
        return data


def _read_full(source: BinaryIO, n: int) -> bytes:
    chunks = []
    while n:
        chunk = source.read(n)
        if not chunk:
            raise _refuse("the archive is truncated")
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def iter_members(
    source: BinaryIO,
    *,
    member_cap: Callable[[str], int] = default_member_cap,
    max_members: int = MAX_MEMBERS,
    max_total: int = MAX_PLAINTEXT_BYTES,
    cancel: CancelToken | None = None,
) -> Iterator[Member]:
    """Yield each member of a payload read from `source`, checked as `PayloadParser` does.

    A member's reader is valid until the next member is requested; whatever is left unread
    is skipped. The end marker and trailing padding are checked after the last member.
    """
    rules = _Rules(member_cap, max_members, max_total)
    pax: dict[str, str] | None = None
    while True:
        header = _parse_header(_read_full(source, BLOCK), pax)
        if header.kind == "end":
            break
        if header.kind == "pax":
            pax = _parse_pax(_read_full(source, header.size)[: header.size])
            _check_zero(_read_full(source, _padding(header.size)))
            continue
        pax = None
        rules.admit(header.name, header.size)
        reader = _MemberReader(source, header.size, cancel)
        yield Member(header.name, header.size, reader)
        while reader.remaining:
            reader.read(1024 * 1024)
        _check_zero(_read_full(source, _padding(header.size)))
    trailer = BLOCK
    while chunk := source.read(BLOCK):
        _check_zero(chunk)
        trailer += len(chunk)
        if trailer > _MAX_TRAILER:
            raise _refuse("the archive's end padding is too long")
    if trailer < 2 * BLOCK:
        raise _refuse("the archive is truncated (no end marker)")
    if rules.count == 0:
        raise _refuse("the archive is empty")


def _check_zero(data: bytes) -> None:
    if data.strip(b"\x00"):
        raise _refuse("there are unexpected bytes between members")


def _ustar_header(name: str, size: int) -> bytes:
    raw_name = name.encode("utf-8")
    if len(raw_name) > 100:
        raise ValueError("member names are at most 100 bytes")
    if size >= 8**11:
        raise ValueError("member too large for a ustar header")
    header = bytearray(BLOCK)
    header[0 : len(raw_name)] = raw_name
    header[100:108] = b"0000600\x00"
    header[108:116] = b"0000000\x00"
    header[116:124] = b"0000000\x00"
    header[124:136] = b"%011o\x00" % size
    header[136:148] = b"00000000000\x00"
    header[148:156] = b" " * 8
    header[156:157] = b"0"
    header[257:265] = _USTAR_MAGIC
    header[148:156] = b"%06o\x00 " % sum(header)
    return bytes(header)


class PayloadWriter:
    """Writes a deterministic tar stream; the first member must be manifest.json."""

    def __init__(self, out: BinaryIO) -> None:
        self._out = out
        self._names: set[str] = set()
        self._closed = False

    def add(self, name: str, data: bytes) -> None:
        self._header(name, len(data))
        self._out.write(data)
        self._out.write(bytes(_padding(len(data))))

    def add_stream(
        self, name: str, size: int, source: BinaryIO, *, cancel: CancelToken | None = None
    ) -> None:
        """Stream exactly `size` bytes of `source` as a member."""
        self._header(name, size)
        remaining = size
        while remaining:
            check(cancel)
            chunk = source.read(min(1024 * 1024, remaining))
            if not chunk:
                raise ValueError(f"{name}: the source ended before {size} bytes")
            self._out.write(chunk)
            remaining -= len(chunk)
        self._out.write(bytes(_padding(size)))

    def _header(self, name: str, size: int) -> None:
        if self._closed:
            raise ValueError("the payload is already closed")
        check_member_name(name)
        if not self._names and name != MANIFEST_NAME:
            raise ValueError(f"the first member must be {MANIFEST_NAME}")
        if name.casefold() in self._names:
            raise ValueError(f"duplicate member {name}")
        self._names.add(name.casefold())
        self._out.write(_ustar_header(name, size))

    def close(self) -> None:
        """Write the end-of-archive marker (two zero blocks)."""
        if not self._closed:
            self._out.write(bytes(2 * BLOCK))
            self._closed = True


# ---- streaming writers (a pull-based exporter builds members itself) ------------------

END_OF_ARCHIVE = bytes(2 * BLOCK)


def member_header(name: str, size: int) -> bytes:
    """The deterministic ustar header of one member, its name checked as readers do.

    For writers that must stream members chunk by chunk (the age encryptor pulls from a
    reader); callers keep the order and uniqueness rules that `PayloadWriter` enforces.
    """
    check_member_name(name)
    return _ustar_header(name, size)


def member_padding(size: int) -> bytes:
    """The zero bytes that follow a member of `size` bytes up to the next block."""
    return bytes(_padding(size))
