"""Case revisions: the signed, content-addressed unit of every record.

A revision body is canonical JSON (RFC 8785) of
`{case_id, parents, author, created_at, protocol, answers, attachments}`; its id is the
SHA-256 of exactly those bytes. Parents and author are inside the hash, so reverting an
answer never recreates an ancestor's id. The author device signs
`b"intake-revision-v1\\x00" + bytes.fromhex(id)` with Ed25519.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from intake_app.canonical import canonical_json, sha256_hex
from intake_app.errors import BundleRefused, ValidationError

SIGNATURE_DOMAIN = b"intake-revision-v1\x00"
BODY_KEYS = frozenset(
    {"case_id", "parents", "author", "created_at", "protocol", "answers", "attachments"}
)
ATTACHMENT_KEYS = frozenset({"sha256", "size", "media_type", "name", "captured_at"})
# Optional: an anonymised view made for export (intake_app.lifecycle.anonymise) says so here.
DERIVED_KEY = "derived_from"
_DERIVED_KEYS = frozenset({"view", "attachments_left_out"})
# A revision holds answers, not files: 8 MiB leaves room for several 1 MB narratives.
MAX_BODY_BYTES = 8 * 1024 * 1024
MAX_JSON_DEPTH = 32

_HEX64 = re.compile(r"[0-9a-f]{64}\Z")
_FINGERPRINT = re.compile(r"[A-Z2-7]{32}\Z")
_CREATED_AT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z\Z")


class RevisionSigner(Protocol):
    """What a device identity offers to sign a revision (vault.identity)."""

    @property
    def fingerprint(self) -> str: ...

    def sign_revision(self, revision_id: str) -> bytes: ...


@dataclass(frozen=True)
class Revision:
    """A revision as stored: its id, the exact body bytes, the parsed body, the signature."""

    id: str
    body_bytes: bytes
    body: dict[str, Any]
    signature: bytes

    @property
    def case_id(self) -> str:
        return str(self.body["case_id"])

    @property
    def parents(self) -> list[str]:
        return list(self.body["parents"])

    @property
    def author(self) -> str:
        return str(self.body["author"])

    @property
    def created_at(self) -> str:
        return str(self.body["created_at"])

    @property
    def answers(self) -> dict[str, Any]:
        return dict(self.body["answers"])

    @property
    def attachments(self) -> list[dict[str, Any]]:
        return list(self.body["attachments"])

    @property
    def protocol(self) -> dict[str, Any]:
        return dict(self.body["protocol"])


def utc_now_ms() -> str:
    """The current UTC time as `YYYY-MM-DDTHH:MM:SS.mmmZ`."""
    now = datetime.now(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def build_body(
    *,
    case_id: str,
    parents: list[str],
    author: str,
    created_at: str,
    protocol: dict[str, Any],
    answers: dict[str, Any],
    attachments: list[dict[str, Any]],
) -> dict[str, Any]:
    """Assemble a revision body; parents are de-duplicated and sorted."""
    return {
        "case_id": case_id,
        "parents": sorted(set(parents)),
        "author": author,
        "created_at": created_at,
        "protocol": {
            "id": protocol["id"],
            "version": protocol["version"],
            "sha256": protocol["sha256"],
        },
        "answers": answers,
        "attachments": sorted(attachments, key=lambda a: (a["sha256"], a.get("name") or "")),
    }


def encode_body(body: dict[str, Any]) -> bytes:
    """Canonical bytes of a body; answers that JSON cannot carry exactly are refused."""
    try:
        data = canonical_json(body)
    except Exception as exc:  # rfc8785 raises several types for unrepresentable values
        raise ValidationError(
            "Some answers cannot be stored exactly (numbers too large or not finite, or "
            "text that is not valid Unicode)."
        ) from exc
    if len(data) > MAX_BODY_BYTES:
        raise ValidationError(
            f"This record is too large to save ({len(data) // 1024} KiB; the limit is "
            f"{MAX_BODY_BYTES // 1024} KiB). Shorten the longest answers or attach them as "
            "files."
        )
    return data


def revision_id(body_bytes: bytes) -> str:
    """SHA-256 hex of the exact canonical body bytes."""
    return sha256_hex(body_bytes)


def signed_message(rev_id: str) -> bytes:
    return SIGNATURE_DOMAIN + bytes.fromhex(rev_id)


def make_revision(body: dict[str, Any], signer: RevisionSigner) -> Revision:
    """Encode, hash and sign a body built by `build_body`."""
    if body["author"] != signer.fingerprint:
        raise ValueError("the revision author must be the signing device")
    data = encode_body(body)
    rev_id = revision_id(data)
    return Revision(rev_id, data, json.loads(data), signer.sign_revision(rev_id))


def _refuse(reason: str) -> BundleRefused:
    return BundleRefused(f"A case revision was refused: {reason}.")


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise _refuse("it repeats a JSON key")
        seen[key] = value
    return seen


def _depth(value: Any, level: int = 0) -> int:
    if level > MAX_JSON_DEPTH:
        return level
    if isinstance(value, dict):
        return max((_depth(v, level + 1) for v in value.values()), default=level + 1)
    if isinstance(value, list):
        return max((_depth(v, level + 1) for v in value), default=level + 1)
    return level


def parse_body(body_bytes: bytes) -> dict[str, Any]:
    """Parse and check the shape of revision body bytes; they must be canonical already."""
    if len(body_bytes) > MAX_BODY_BYTES:
        raise _refuse("it is larger than any record this application writes")
    try:
        text = body_bytes.decode("utf-8")
        body = json.loads(text, object_pairs_hook=_no_duplicate_keys)
    except (UnicodeDecodeError, ValueError) as exc:
        raise _refuse("it is not valid UTF-8 JSON") from exc
    except RecursionError as exc:
        raise _refuse("its JSON is nested too deeply") from exc
    if not isinstance(body, dict) or set(body) - {DERIVED_KEY} != BODY_KEYS:
        raise _refuse("its fields are not those of a revision")
    if _depth(body) > MAX_JSON_DEPTH:
        raise _refuse("its JSON is nested too deeply")
    _check_shape(body)
    try:
        canonical = canonical_json(body)
    except Exception as exc:
        raise _refuse("it holds values canonical JSON cannot represent") from exc
    if canonical != body_bytes:
        raise _refuse("its bytes are not in canonical form")
    return body


def _check_shape(body: dict[str, Any]) -> None:
    try:
        uuid.UUID(str(body["case_id"]))
    except ValueError as exc:
        raise _refuse("its case id is not a UUID") from exc
    if not isinstance(body["case_id"], str):
        raise _refuse("its case id is not a UUID")
    parents = body["parents"]
    if (
        not isinstance(parents, list)
        or not all(isinstance(p, str) and _HEX64.match(p) for p in parents)
        or parents != sorted(set(parents))
    ):
        raise _refuse("its parent list is malformed")
    if not isinstance(body["author"], str) or not _FINGERPRINT.match(body["author"]):
        raise _refuse("its author is not a device fingerprint")
    if not isinstance(body["created_at"], str) or not _CREATED_AT.match(body["created_at"]):
        raise _refuse("its time stamp is malformed")
    proto = body["protocol"]
    if (
        not isinstance(proto, dict)
        or set(proto) != {"id", "version", "sha256"}
        or not isinstance(proto["id"], str)
        or not isinstance(proto["version"], int)
        or not isinstance(proto["sha256"], str)
        or not _HEX64.match(proto["sha256"])
    ):
        raise _refuse("its protocol reference is malformed")
    if not isinstance(body["answers"], dict):
        raise _refuse("its answers are not a JSON object")
    if DERIVED_KEY in body:
        derived = body[DERIVED_KEY]
        if (
            not isinstance(derived, dict)
            or set(derived) != _DERIVED_KEYS
            or derived["view"] != "anonymised"
            or type(derived["attachments_left_out"]) is not int
            or derived["attachments_left_out"] < 0
        ):
            raise _refuse("its derived_from field is malformed")
    attachments = body["attachments"]
    if not isinstance(attachments, list):
        raise _refuse("its attachment list is malformed")
    for item in attachments:
        if (
            not isinstance(item, dict)
            or set(item) != ATTACHMENT_KEYS
            or not isinstance(item["sha256"], str)
            or not _HEX64.match(item["sha256"])
            or not isinstance(item["size"], int)
            or isinstance(item["size"], bool)
            or item["size"] < 0
            or not isinstance(item["name"], str)
            or not isinstance(item["media_type"], str)
            or not (item["captured_at"] is None or isinstance(item["captured_at"], str))
        ):
            raise _refuse("an attachment entry is malformed")


def verify_revision(
    body_bytes: bytes,
    signature: bytes,
    ed25519_public_key: bytes,
    *,
    expected_id: str | None = None,
    expected_author: str | None = None,
) -> Revision:
    """Recompute the id from the exact bytes and check the author's signature.

    Raises BundleRefused (exit 4) when the bytes are not a canonical revision body, the id
    differs from `expected_id`, the author is not `expected_author`, or the signature fails.
    """
    body = parse_body(body_bytes)
    rev_id = revision_id(body_bytes)
    if expected_id is not None and expected_id != rev_id:
        raise _refuse("its content does not match its id")
    if expected_author is not None and body["author"] != expected_author:
        raise _refuse("it names another author than the key that signed it")
    try:
        Ed25519PublicKey.from_public_bytes(ed25519_public_key).verify(
            signature, signed_message(rev_id)
        )
    except (InvalidSignature, ValueError) as exc:
        raise _refuse("its author signature does not match its content") from exc
    return Revision(rev_id, body_bytes, body, signature)
