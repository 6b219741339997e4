"""Small signed records (tombstones, receipts): canonical JSON body, id = SHA-256 of the
body, Ed25519 signature over a per-kind domain + the id bytes (like revisions). In a bundle a
record travels as the canonical JSON `{"id", "body", "signature" (base64)}`.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from intake_app.bundles.limits import load_json
from intake_app.canonical import canonical_json, sha256_hex
from intake_app.errors import BundleRefused
from intake_app.identity.keys import verify_signature

MAX_SIGNED_RECORD_BYTES = 4 * 1024 * 1024
_SIGNATURE_BYTES = 64


@dataclass(frozen=True)
class SignedRecord:
    """A record as stored and carried: id, exact body bytes, parsed body, signature."""

    id: str
    body_bytes: bytes
    body: dict[str, Any]
    signature: bytes

    def to_member(self) -> bytes:
        """The bundle member bytes of this record."""
        return canonical_json(
            {
                "id": self.id,
                "body": self.body,
                "signature": base64.b64encode(self.signature).decode("ascii"),
            }
        )


def sign_record(
    body: dict[str, Any], domain: bytes, sign: Callable[[bytes], bytes]
) -> SignedRecord:
    """Encode `body` canonically, hash it and sign `domain + id bytes` with `sign`."""
    data = canonical_json(body)
    record_id = sha256_hex(data)
    return SignedRecord(record_id, data, json.loads(data), sign(domain + bytes.fromhex(record_id)))


def verify_record(record: SignedRecord, domain: bytes, ed25519_public: bytes) -> bool:
    """True when the signature matches the record's id under `ed25519_public`."""
    message = domain + bytes.fromhex(record.id)
    return verify_signature(ed25519_public, message, record.signature)


def parse_member(data: bytes, expected_id: str, what: str) -> SignedRecord:
    """A record member from a bundle: shape, canonical body and id checked (not the
    signature: the caller knows whose key to check it against). BundleRefused otherwise."""

    def refuse(reason: str) -> BundleRefused:
        return BundleRefused(f"The bundle was refused: a {what} {reason}.")

    doc = load_json(data, what=what, max_bytes=MAX_SIGNED_RECORD_BYTES)
    if not isinstance(doc, dict) or set(doc) != {"id", "body", "signature"}:
        raise refuse("is malformed")
    if doc["id"] != expected_id or not isinstance(doc["body"], dict):
        raise refuse("does not hold what its name says")
    try:
        body_bytes = canonical_json(doc["body"])
    except Exception:  # rfc8785 raises several types for values it cannot represent
        raise refuse("holds values canonical JSON cannot represent") from None
    if sha256_hex(body_bytes) != expected_id:
        raise refuse("does not match its id")
    value = doc["signature"]
    try:
        signature = base64.b64decode(str(value).encode("ascii"), validate=True)
    except (binascii.Error, UnicodeError):
        signature = b""
    if not isinstance(value, str) or len(signature) != _SIGNATURE_BYTES:
        raise refuse("carries a malformed signature")
    return SignedRecord(expected_id, body_bytes, json.loads(body_bytes), signature)
