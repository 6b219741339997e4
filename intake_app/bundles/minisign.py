"""minisign signatures ("ED": Ed25519 over BLAKE2b-512 of the data), byte-compatible with
the minisign tool, so `minisign -Vm payload.age -P <key>` checks what we sign.

Signature file, four lines:
    untrusted comment: <text>
    base64("ED" || key id (8) || Ed25519(BLAKE2b-512(data)))
    trusted comment: <text>
    base64(Ed25519(signature || trusted comment))
Public key line: base64("Ed" || key id (8) || Ed25519 public key (32)).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import BinaryIO

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from intake_app.bundles.limits import MAX_SIGNATURE_BYTES, MAX_TRUSTED_COMMENT_BYTES
from intake_app.errors import BundleRefused

KEY_ALGORITHM = b"Ed"
PREHASHED_ALGORITHM = b"ED"
LEGACY_ALGORITHM = b"Ed"
KEY_ID_BYTES = 8
UNTRUSTED_PREFIX = "untrusted comment: "
TRUSTED_PREFIX = "trusted comment: "
READ_CHUNK = 1024 * 1024

Data = bytes | BinaryIO | Iterable[bytes]


@dataclass(frozen=True)
class PublicKey:
    """A minisign public key: the 8-byte key id and the raw 32-byte Ed25519 key."""

    key_id: bytes
    ed25519: bytes

    def __post_init__(self) -> None:
        if len(self.key_id) != KEY_ID_BYTES or len(self.ed25519) != 32:
            raise ValueError("a minisign key id is 8 bytes and an Ed25519 key 32 bytes")

    @property
    def key_line(self) -> str:
        """The base64 line of a .pub file, as `minisign -P` takes it."""
        return public_key_line(self.key_id, self.ed25519)

    @property
    def key_id_hex(self) -> str:
        return key_id_hex(self.key_id)


@dataclass(frozen=True)
class Signature:
    """A parsed signature file."""

    key_id: bytes
    signature: bytes
    trusted_comment: str
    global_signature: bytes
    untrusted_comment: str


def key_id_hex(key_id: bytes) -> str:
    """minisign shows the key id as a little-endian 64-bit number in upper-case hex."""
    return key_id[::-1].hex().upper()


def public_key_line(key_id: bytes, ed25519_public: bytes) -> str:
    if len(key_id) != KEY_ID_BYTES or len(ed25519_public) != 32:
        raise ValueError("a minisign key id is 8 bytes and an Ed25519 key 32 bytes")
    return base64.b64encode(KEY_ALGORITHM + key_id + ed25519_public).decode("ascii")


def public_key_file(key: PublicKey) -> str:
    """The text of a minisign .pub file for `key`."""
    return f"{UNTRUSTED_PREFIX}minisign public key {key.key_id_hex}\n{key.key_line}\n"


def _b64(text: str, what: str) -> bytes:
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeError):
        raise BundleRefused(f"The {what} is not valid base64.") from None
    if base64.b64encode(raw).decode("ascii") != text:
        raise BundleRefused(f"The {what} is not in canonical base64.")
    return raw


def parse_public_key_line(line: str) -> PublicKey:
    """Parse the base64 key line (what `minisign -P` takes)."""
    line = line.strip()
    raw = _b64(line, "minisign public key")
    if len(raw) != 2 + KEY_ID_BYTES + 32 or raw[:2] != KEY_ALGORITHM:
        raise BundleRefused("The minisign public key is not an Ed25519 minisign key.")
    return PublicKey(key_id=raw[2:10], ed25519=raw[10:])


def parse_public_key_file(text: str) -> PublicKey:
    """Parse a minisign .pub file: an untrusted comment line, then the key line."""
    lines = text.splitlines()
    if len(lines) != 2 or not lines[0].startswith(UNTRUSTED_PREFIX):
        raise BundleRefused("This is not a minisign public key file (two lines expected).")
    return parse_public_key_line(lines[1])


def _check_comment(comment: str, what: str, limit: int) -> bytes:
    if any(ch in comment for ch in "\r\n\x00"):
        raise ValueError(f"the {what} must be one line")
    raw = comment.encode("utf-8")
    if len(raw) > limit:
        raise ValueError(f"the {what} is longer than {limit} bytes")
    return raw


def blake2b_of(data: Data) -> bytes:
    """BLAKE2b-512 of bytes, a binary file (read in chunks) or an iterable of chunks."""
    digest = hashlib.blake2b(digest_size=64)
    if isinstance(data, bytes | bytearray | memoryview):
        digest.update(data)
    elif hasattr(data, "read"):
        while chunk := data.read(READ_CHUNK):
            digest.update(chunk)
    else:
        for chunk in data:
            digest.update(chunk)
    return digest.digest()


def sign(
    private_key: Ed25519PrivateKey,
    key_id: bytes,
    data: Data,
    trusted_comment: str,
    untrusted_comment: str = "signature from minisign secret key",
) -> str:
    """Sign `data` (streamed) and return the text of a .minisig file."""
    return sign_prehashed(private_key, key_id, blake2b_of(data), trusted_comment, untrusted_comment)


def sign_prehashed(
    private_key: Ed25519PrivateKey,
    key_id: bytes,
    digest: bytes,
    trusted_comment: str,
    untrusted_comment: str = "signature from minisign secret key",
) -> str:
    """`sign` for data whose BLAKE2b-512 `digest` the caller computed as it wrote the data
    (so a large file is not read a second time)."""
    if len(key_id) != KEY_ID_BYTES:
        raise ValueError("a minisign key id is 8 bytes")
    if len(digest) != 64:
        raise ValueError("a minisign prehash is a BLAKE2b-512 digest (64 bytes)")
    trusted = _check_comment(trusted_comment, "trusted comment", MAX_TRUSTED_COMMENT_BYTES)
    _check_comment(untrusted_comment, "untrusted comment", MAX_TRUSTED_COMMENT_BYTES)
    signature = private_key.sign(digest)
    global_signature = private_key.sign(signature + trusted)
    sig_line = base64.b64encode(PREHASHED_ALGORITHM + key_id + signature).decode("ascii")
    return (
        f"{UNTRUSTED_PREFIX}{untrusted_comment}\n{sig_line}\n"
        f"{TRUSTED_PREFIX}{trusted_comment}\n"
        f"{base64.b64encode(global_signature).decode('ascii')}\n"
    )


def parse_signature(text: str | bytes) -> Signature:
    """Parse a .minisig file strictly: four lines, canonical base64, the "ED" algorithm."""
    if isinstance(text, bytes):
        if len(text) > MAX_SIGNATURE_BYTES:
            raise BundleRefused("The signature file is too large to be a minisign signature.")
        try:
            text = text.decode("utf-8")
        except UnicodeError:
            raise BundleRefused("The signature file is not valid UTF-8 text.") from None
    if len(text.encode("utf-8")) > MAX_SIGNATURE_BYTES:
        raise BundleRefused("The signature file is too large to be a minisign signature.")
    body = text[:-1] if text.endswith("\n") else text
    lines = body.split("\n")
    if len(lines) != 4 or any("\r" in line for line in lines):
        raise BundleRefused("The signature file is malformed (four lines expected).")
    untrusted, sig_line, trusted, global_line = lines
    if not untrusted.startswith(UNTRUSTED_PREFIX) or not trusted.startswith(TRUSTED_PREFIX):
        raise BundleRefused("The signature file is malformed (comment lines missing).")
    raw = _b64(sig_line, "signature")
    if len(raw) != 2 + KEY_ID_BYTES + 64:
        raise BundleRefused("The signature has the wrong length.")
    if raw[:2] == LEGACY_ALGORITHM:
        raise BundleRefused(
            "The signature uses minisign's legacy algorithm; only prehashed (ED) signatures "
            "are accepted."
        )
    if raw[:2] != PREHASHED_ALGORITHM:
        raise BundleRefused("The signature uses an unknown algorithm.")
    global_signature = _b64(global_line, "global signature")
    if len(global_signature) != 64:
        raise BundleRefused("The global signature has the wrong length.")
    trusted_comment = trusted[len(TRUSTED_PREFIX) :]
    if len(trusted_comment.encode("utf-8")) > MAX_TRUSTED_COMMENT_BYTES:
        raise BundleRefused("The signature's trusted comment is too long.")
    return Signature(
        key_id=raw[2:10],
        signature=raw[10:],
        trusted_comment=trusted_comment,
        global_signature=global_signature,
        untrusted_comment=untrusted[len(UNTRUSTED_PREFIX) :],
    )


def verify(signature_text: str | bytes, public_key: PublicKey, data: Data) -> str:
    """Check a signature over `data` (streamed); return the trusted comment.

    Raises BundleRefused if the signature is malformed, made by another key, does not
    match the data, or its trusted comment was altered.
    """
    # The trusted comment is checked before hashing the data: it is cheap and a forged
    # comment needs no further work to refuse.
    parsed, verifier = _checked_comment(signature_text, public_key)
    _check_data(parsed, verifier, blake2b_of(data))
    return parsed.trusted_comment


def verify_prehashed(signature_text: str | bytes, public_key: PublicKey, digest: bytes) -> str:
    """`verify` for data whose BLAKE2b-512 `digest` the caller computed in a pass over the
    data it made anyway (import hashes the payload once for CRC, SHA-256 and this)."""
    if len(digest) != 64:
        raise ValueError("a minisign prehash is a BLAKE2b-512 digest (64 bytes)")
    parsed, verifier = _checked_comment(signature_text, public_key)
    _check_data(parsed, verifier, digest)
    return parsed.trusted_comment


def _checked_comment(
    signature_text: str | bytes, public_key: PublicKey
) -> tuple[Signature, Ed25519PublicKey]:
    parsed = parse_signature(signature_text)
    if parsed.key_id != public_key.key_id:
        raise BundleRefused(
            f"The signature was made by another key (key id {key_id_hex(parsed.key_id)}, "
            f"expected {public_key.key_id_hex})."
        )
    verifier = Ed25519PublicKey.from_public_bytes(public_key.ed25519)
    try:
        verifier.verify(
            parsed.global_signature, parsed.signature + parsed.trusted_comment.encode("utf-8")
        )
    except InvalidSignature:
        raise BundleRefused(
            "The signature's trusted comment does not match its signature: it was altered."
        ) from None
    return parsed, verifier


def _check_data(parsed: Signature, verifier: Ed25519PublicKey, digest: bytes) -> None:
    try:
        verifier.verify(parsed.signature, digest)
    except InvalidSignature:
        raise BundleRefused(
            "The signature does not match the data: the file was altered or damaged."
        ) from None


def public_key_of(private_key: Ed25519PrivateKey, key_id: bytes) -> PublicKey:
    raw = private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return PublicKey(key_id=key_id, ed25519=raw)
