"""age v1 encryption to X25519 recipients, and a guarded streaming decryption.

pyrage does the cryptography. Before it sees a byte we parse the header ourselves: it must
be a binary age v1 header of bounded size, and its stanzas must be X25519 (plus the random
"grease" stanzas age implementations add on purpose). Passphrase (scrypt) stanzas are
refused before any work factor is read, since pyrage would run any scrypt cost it is given;
armored, post-quantum and plugin files are refused too: bundles are never made that way.

Plaintext is released to a caller's sink as it streams. It is authenticated chunk by
chunk, but a later chunk can still fail: the caller must treat everything written to the
sink as provisional until `decrypt` returns (the importer writes inside one transaction).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import BinaryIO, Protocol

import pyrage
from pyrage import x25519

from intake_app.bundles.limits import MAX_AGE_HEADER_BYTES, MAX_AGE_STANZAS, MAX_PLAINTEXT_BYTES
from intake_app.errors import BundleRefused
from intake_app.progress import CancelToken, Progress, check, report

VERSION_LINE = b"age-encryption.org/v1\n"
ARMOR_BEGIN = b"-----BEGIN AGE ENCRYPTED FILE-----"
X25519_TYPE = b"X25519"
PASSPHRASE_TYPE = b"scrypt"
_HEADER_READ = 4096
_MAC_PREFIX = b"--- "
_STANZA_PREFIX = b"-> "
# An argument is one or more printable ASCII characters, no spaces (age spec).
_ARG = re.compile(rb"[\x21-\x7e]+")
_BODY_LINE = re.compile(rb"[A-Za-z0-9+/]*")


class PlaintextSink(Protocol):
    """Receives decrypted bytes in order; provisional until `decrypt` returns."""

    def write(self, data: bytes, /) -> object: ...


@dataclass(frozen=True)
class AgeHeader:
    """What the header says, as far as we need it: the raw bytes and the X25519 count."""

    raw: bytes
    x25519_stanzas: int
    grease_stanzas: int


class _PlaintextTooLarge(Exception):
    pass


def _refuse(reason: str) -> BundleRefused:
    return BundleRefused(f"The encrypted payload is not acceptable: {reason}.")


def _read_header_bytes(source: BinaryIO) -> tuple[bytes, bytes]:
    """Read `source` up to the header's MAC line, never past the cap.

    Returns the header and the bytes read beyond it (the start of the payload).
    """
    buf = bytearray()
    while True:
        end = _find_header_end(buf)
        if end is not None:
            return bytes(buf[:end]), bytes(buf[end:])
        if len(buf) >= MAX_AGE_HEADER_BYTES:
            raise _refuse(f"its header is larger than {MAX_AGE_HEADER_BYTES} bytes")
        chunk = source.read(min(_HEADER_READ, MAX_AGE_HEADER_BYTES - len(buf)))
        if not chunk:
            _classify_start(bytes(buf))
            raise _refuse("the file ends inside the header (truncated or not an age file)")
        buf += chunk
        _classify_start(bytes(buf))


def _find_header_end(buf: bytearray) -> int | None:
    """Offset just past the "--- MAC\\n" line, or None if it has not arrived yet."""
    start = 0
    while True:
        nl = buf.find(b"\n", start)
        if nl < 0:
            return None
        if buf.startswith(_MAC_PREFIX, start):
            return nl + 1
        start = nl + 1


def _classify_start(buf: bytes) -> None:
    """Refuse armor and foreign files as soon as their first bytes show it."""
    probe = buf[: len(VERSION_LINE)]
    if probe == VERSION_LINE[: len(probe)]:
        return  # still an age v1 header, as far as it has arrived
    stripped = buf.lstrip(b" \t\r\n")
    if stripped.startswith(ARMOR_BEGIN):
        raise _refuse("ASCII-armored age files are not accepted (bundles are binary)")
    if buf.startswith(b"age-encryption.org/"):
        raise _refuse("it was made with an age version this application does not know")
    if ARMOR_BEGIN.startswith(stripped) and len(buf) < _HEADER_READ:
        return  # perhaps armor; wait for more bytes to say so
    raise _refuse("it is not an age v1 file")


def parse_header(raw: bytes) -> AgeHeader:
    """Check an age v1 header's shape and recipient types without decrypting anything."""
    if not raw.startswith(VERSION_LINE):
        _classify_start(raw)
        raise _refuse("it is not an age v1 file")
    lines = raw[len(VERSION_LINE) : -1].split(b"\n")
    x25519_count = grease = 0
    stanzas = 0
    i = 0
    while i < len(lines) - 1:
        line = lines[i]
        if not line.startswith(_STANZA_PREFIX):
            raise _refuse("its header is malformed (a stanza line was expected)")
        stanzas += 1
        if stanzas > MAX_AGE_STANZAS:
            raise _refuse(f"its header has more than {MAX_AGE_STANZAS} recipient stanzas")
        args = line[len(_STANZA_PREFIX) :].split(b" ")
        kind = _stanza_kind(args)
        if kind == "x25519":
            x25519_count += 1
        else:
            grease += 1
        i = _skip_body(lines, i + 1)
    mac = lines[-1]
    if not mac.startswith(_MAC_PREFIX) or len(mac) != len(_MAC_PREFIX) + 43:
        raise _refuse("its header MAC line is malformed")
    _canonical_b64(mac[len(_MAC_PREFIX) :])
    if x25519_count == 0:
        raise _refuse("it has no X25519 recipient, so no device key can open it")
    return AgeHeader(raw=raw, x25519_stanzas=x25519_count, grease_stanzas=grease)


def _stanza_kind(args: list[bytes]) -> str:
    if not args or not all(_ARG.fullmatch(a) for a in args):
        raise _refuse("its header is malformed (a stanza has an empty or invalid argument)")
    kind = args[0]
    if kind == PASSPHRASE_TYPE:
        # Refused here, before the work factor is even looked at.
        raise _refuse(
            "passphrase-protected age files are not accepted; bundles are encrypted to "
            "device keys only"
        )
    if kind.endswith(b"grease"):
        # Random stanzas that age implementations (pyrage among them) add on purpose to
        # keep parsers tolerant; no identity we hold ever matches them. Checked first: their
        # random names may begin with anything, "pq-grease" included (about 1 file in 1,000).
        return "grease"
    if kind.lower().startswith(b"mlkem"):
        raise _refuse("post-quantum (hybrid) age recipients are not accepted yet")
    if kind == X25519_TYPE:
        if len(args) != 2:
            raise _refuse("its X25519 stanza has the wrong number of arguments")
        _canonical_b64(args[1])
        return "x25519"
    raise _refuse("it uses a recipient type this application does not accept (a plugin?)")


def _skip_body(lines: list[bytes], i: int) -> int:
    """Skip a stanza body: full 64-column lines, then one shorter (possibly empty) line."""
    while i < len(lines) - 1:
        line = lines[i]
        if len(line) > 64 or not _BODY_LINE.fullmatch(line):
            raise _refuse("its header is malformed (a stanza body line is invalid)")
        i += 1
        if len(line) < 64:
            return i
    raise _refuse("its header is malformed (a stanza body is not terminated)")


def _canonical_b64(text: bytes) -> bytes:
    padded = text + b"=" * (-len(text) % 4)
    try:
        raw = base64.b64decode(padded, validate=True)
    except binascii.Error:
        raise _refuse("its header holds invalid base64") from None
    if base64.b64encode(raw).rstrip(b"=") != text:
        raise _refuse("its header holds non-canonical base64")
    return raw


class _Replay:
    """The header bytes we already read, then the rest of the source."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self._head = memoryview(head)
        self._rest = rest

    def read(self, size: int = -1) -> bytes:
        if self._head:
            n = len(self._head) if size < 0 else min(size, len(self._head))
            out = bytes(self._head[:n])
            self._head = self._head[n:]
            return out
        return self._rest.read(size)


class _GuardedSink:
    def __init__(
        self,
        sink: PlaintextSink,
        cap: int,
        progress: Progress | None,
        cancel: CancelToken | None,
    ) -> None:
        self._sink = sink
        self._cap = cap
        self._progress = progress
        self._cancel = cancel
        self.written = 0

    def write(self, data: bytes) -> int:
        check(self._cancel)
        n = len(data)
        if self.written + n > self._cap:
            raise _PlaintextTooLarge
        self._sink.write(bytes(data))
        self.written += n
        report(self._progress, self.written, 0, "decrypt")
        return n

    def flush(self) -> None:
        return None


def inspect_header(source: BinaryIO) -> AgeHeader:
    """Read and check the header from `source` without decrypting anything."""
    return parse_header(_read_header_bytes(source)[0])


def decrypt(
    source: BinaryIO,
    identities: Sequence[x25519.Identity],
    sink: PlaintextSink,
    *,
    max_plaintext: int = MAX_PLAINTEXT_BYTES,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> int:
    """Decrypt the age file read from `source` into `sink`; return the plaintext length.

    Raises BundleRefused if the header is unacceptable, no identity matches, the file is
    damaged or truncated, or the plaintext exceeds `max_plaintext`. On any exception the
    bytes already given to `sink` must be discarded by the caller.
    """
    if not identities:
        raise ValueError("at least one identity is needed to decrypt")
    raw, ahead = _read_header_bytes(source)
    parse_header(raw)
    guarded = _GuardedSink(sink, max_plaintext, progress, cancel)
    try:
        pyrage.decrypt_io(_Replay(raw + ahead, source), guarded, list(identities))
    except _PlaintextTooLarge:
        raise _refuse(f"its content is larger than the limit of {max_plaintext} bytes") from None
    except pyrage.DecryptError as exc:
        raise _decrypt_refusal(str(exc)) from None
    except OSError as exc:
        # pyrage reports a failed STREAM chunk (bit flip, truncation) as an I/O error.
        if type(exc) is OSError and exc.errno is None:
            raise _refuse("it is damaged or was altered (decryption failed)") from None
        raise
    return guarded.written


def _decrypt_refusal(message: str) -> BundleRefused:
    if "No matching keys" in message or "no matching" in message.lower():
        return BundleRefused(
            "The bundle is not addressed to this device: none of its recipients is this "
            "vault's key."
        )
    return _refuse("it is damaged or was altered (its header does not authenticate)")


def encrypt(
    source: BinaryIO,
    dest: BinaryIO,
    recipients: Sequence[str | x25519.Recipient],
) -> None:
    """Encrypt `source` to `dest` (streamed) for X25519 recipients (`age1…`) only."""
    if not recipients:
        raise ValueError("at least one recipient is needed to encrypt")
    parsed: list[x25519.Recipient] = []
    for recipient in recipients:
        if isinstance(recipient, x25519.Recipient):
            parsed.append(recipient)
            continue
        try:
            parsed.append(x25519.Recipient.from_str(recipient))
        except pyrage.RecipientError:
            raise BundleRefused("A recipient is not an age X25519 public key (age1…).") from None
    pyrage.encrypt_io(source, dest, parsed)
