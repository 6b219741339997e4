"""The bundle manifest (first member of the payload) and the outer trusted comment.

manifest.json is canonical JSON (RFC 8785):
    {"format": "intake-bundle-v1", "major": 1, "minor": 0, "bundle_id": <32 hex>,
     "author": <fingerprint>, "recipients": [<fingerprint>, ...] (sorted),
     "seq": <n>, "created_at": "YYYY-MM-DDTHH:MM:SS.mmmZ", "withheld": <count>,
     "members": [{"kind", "path", "sha256", "size"}, ...]}
`members` lists every member after manifest.json and manifest.json.minisig, in stream
order: identity cards, then protocol files, then tombstones, then receipts, then revisions,
then attachments (blobs). Tombstones and receipts (issue 8, additive) are signed records
`{"id", "body", "signature"}` (intake_app.lifecycle).
The outer signature's trusted comment is exactly `intake-bundle-v1 id=<id> seq=<n>`.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Any

from intake_app.bundles.limits import (
    MAX_ATTACHMENT_BYTES,
    MAX_MANIFEST_BYTES,
    MAX_MEMBERS,
    MAX_RECORD_BYTES,
    load_json,
)
from intake_app.canonical import canonical_json
from intake_app.errors import BundleRefused

FORMAT = "intake-bundle-v1"
MAJOR = 1
MINOR = 0
MAX_SEQ = 2**63 - 1

KIND_CARD = "card"
KIND_PROTOCOL = "protocol"
KIND_REVISION = "revision"
KIND_BLOB = "blob"
KIND_TOMBSTONE = "tombstone"
KIND_RECEIPT = "receipt"
# Stream order: authors' cards and protocols first, so each revision can be checked (and
# indexed) the moment it arrives; tombstones before revisions, so a revision of a retracted
# case is erased before it is stored; attachments last.
KIND_ORDER = {KIND_CARD: 0, KIND_PROTOCOL: 1, KIND_TOMBSTONE: 2, KIND_RECEIPT: 3,
              KIND_REVISION: 4, KIND_BLOB: 5}  # fmt: skip
_PATHS = {
    KIND_CARD: re.compile(r"cards/([A-Z2-7]{32})\.json\Z"),
    KIND_PROTOCOL: re.compile(r"protocols/([0-9a-f]{64})\.yaml\Z"),
    KIND_REVISION: re.compile(r"revisions/([0-9a-f]{64})\.json\Z"),
    KIND_BLOB: re.compile(r"blobs/([0-9a-f]{64})\Z"),
    KIND_TOMBSTONE: re.compile(r"tombstones/([0-9a-f]{64})\.json\Z"),
    KIND_RECEIPT: re.compile(r"receipts/([0-9a-f]{64})\.json\Z"),
}
_KEYS = frozenset(
    {"format", "major", "minor", "bundle_id", "author", "recipients", "seq", "created_at",
     "withheld", "members"}
)  # fmt: skip
_MEMBER_KEYS = frozenset({"kind", "path", "sha256", "size"})
_HEX32 = re.compile(r"[0-9a-f]{32}\Z")
_HEX64 = re.compile(r"[0-9a-f]{64}\Z")
_FINGERPRINT = re.compile(r"[A-Z2-7]{32}\Z")
_CREATED_AT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z\Z")
_COMMENT = re.compile(r"intake-bundle-v1 id=([0-9a-f]{32}) seq=(0|[1-9][0-9]{0,18})\Z")
_NEWER = (
    "This bundle was made by a newer version of Field Intake (bundle format {what}); "
    "update this application to import it."
)


@dataclass(frozen=True)
class MemberEntry:
    """One payload member as the manifest lists it."""

    kind: str
    path: str
    sha256: str
    size: int

    @property
    def key(self) -> str:
        """What the path names: a fingerprint, protocol hash, revision id or blob hash."""
        match = _PATHS[self.kind].match(self.path)
        assert match is not None
        return match.group(1)

    def as_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "path": self.path, "sha256": self.sha256, "size": self.size}


@dataclass(frozen=True)
class Manifest:
    bundle_id: str
    author: str
    recipients: tuple[str, ...]
    seq: int
    created_at: str
    members: tuple[MemberEntry, ...]
    withheld: int = 0
    major: int = MAJOR
    minor: int = MINOR

    def as_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "major": self.major,
            "minor": self.minor,
            "bundle_id": self.bundle_id,
            "author": self.author,
            "recipients": sorted(self.recipients),
            "seq": self.seq,
            "created_at": self.created_at,
            "withheld": self.withheld,
            "members": [m.as_json() for m in self.members],
        }

    def to_bytes(self) -> bytes:
        """The manifest file: canonical JSON, so the same bundle has the same bytes."""
        return canonical_json(self.as_json())

    @property
    def trusted_comment(self) -> str:
        return trusted_comment(self.bundle_id, self.seq)


def new_bundle_id() -> str:
    """A random 128-bit id, lower-case hex."""
    return secrets.token_hex(16)


def path_for(kind: str, key: str) -> str:
    """The member path of a card (fingerprint), protocol, revision or blob (hash)."""
    path = {
        KIND_CARD: f"cards/{key}.json",
        KIND_PROTOCOL: f"protocols/{key}.yaml",
        KIND_REVISION: f"revisions/{key}.json",
        KIND_BLOB: f"blobs/{key}",
        KIND_TOMBSTONE: f"tombstones/{key}.json",
        KIND_RECEIPT: f"receipts/{key}.json",
    }[kind]
    if not _PATHS[kind].match(path):
        raise ValueError(f"not a valid {kind} key")
    return path


def member_cap(kind: str) -> int:
    return MAX_ATTACHMENT_BYTES if kind == KIND_BLOB else MAX_RECORD_BYTES


def trusted_comment(bundle_id: str, seq: int) -> str:
    """The outer signature's trusted comment: the bundle id and sequence, nothing else."""
    if not _HEX32.match(bundle_id) or not 0 <= seq <= MAX_SEQ:
        raise ValueError("malformed bundle id or sequence number")
    return f"{FORMAT} id={bundle_id} seq={seq}"


def parse_trusted_comment(comment: str) -> tuple[str, int]:
    """(bundle id, seq) from a signature's trusted comment; BundleRefused otherwise."""
    match = _COMMENT.match(comment)
    if match is None or int(match.group(2)) > MAX_SEQ:
        other = re.match(r"intake-bundle-v([0-9]{1,6}) ", comment)
        if other and int(other.group(1)) > MAJOR:
            raise BundleRefused(_NEWER.format(what=f"v{other.group(1)}"))
        raise BundleRefused(
            "The bundle's signature does not carry a bundle id and sequence number in the "
            "expected form; it is not a Field Intake bundle or it was altered."
        )
    return match.group(1), int(match.group(2))


def _refuse(reason: str) -> BundleRefused:
    return BundleRefused(f"The bundle's manifest is not acceptable: {reason}.")


def _check_version(doc: dict[str, Any]) -> None:
    fmt, major, minor = doc.get("format"), doc.get("major"), doc.get("minor")
    if isinstance(major, int) and not isinstance(major, bool) and major > MAJOR:
        raise BundleRefused(_NEWER.format(what=f"{major}"))
    named = re.fullmatch(r"intake-bundle-v([0-9]{1,6})", fmt) if isinstance(fmt, str) else None
    if named and int(named.group(1)) > MAJOR:
        raise BundleRefused(_NEWER.format(what=str(fmt)))
    if fmt != FORMAT or major != MAJOR or type(major) is not int:
        raise _refuse("it is not an intake-bundle-v1 manifest")
    if type(minor) is not int or minor < 0:
        raise _refuse("its minor version is malformed")


def _int(value: Any, what: str, upper: int) -> int:
    if type(value) is not int or not 0 <= value <= upper:
        raise _refuse(f"its {what} is not a number in range")
    return value


def _member(item: Any) -> MemberEntry:
    if not isinstance(item, dict) or set(item) != _MEMBER_KEYS:
        raise _refuse("a member entry is malformed")
    kind, path, sha = item["kind"], item["path"], item["sha256"]
    if (
        not isinstance(kind, str)  # a list or object here is unhashable: refuse, not crash
        or kind not in _PATHS
        or not isinstance(path, str)
        or not _PATHS[kind].match(path)
    ):
        raise _refuse("a member entry has an unknown kind or a path that does not fit it")
    if not isinstance(sha, str) or not _HEX64.match(sha):
        raise _refuse("a member entry's SHA-256 is malformed")
    entry = MemberEntry(kind, path, sha, _int(item["size"], "member size", member_cap(kind)))
    if kind in (KIND_PROTOCOL, KIND_BLOB) and entry.key != sha:
        raise _refuse("a content-addressed member is named for other content")
    return entry


def _members(value: Any) -> tuple[MemberEntry, ...]:
    if not isinstance(value, list) or len(value) > MAX_MEMBERS - 2:
        raise _refuse("its member list is malformed or too long")
    members = tuple(_member(item) for item in value)
    seen: set[str] = set()
    rank = 0
    for entry in members:
        if entry.path.casefold() in seen:
            raise _refuse("a member is listed twice")
        seen.add(entry.path.casefold())
        if KIND_ORDER[entry.kind] < rank:
            raise _refuse("its members are not in the order cards, protocols, revisions, blobs")
        rank = KIND_ORDER[entry.kind]
    return members


def parse_manifest(data: bytes) -> Manifest:
    """Parse manifest.json strictly; BundleRefused (naming the problem) otherwise.

    A manifest of a newer major version is refused with "made by a newer version".
    """
    doc = load_json(data, what="bundle's manifest", max_bytes=MAX_MANIFEST_BYTES)
    if not isinstance(doc, dict):
        raise _refuse("it is not a JSON object")
    _check_version(doc)
    missing = sorted(_KEYS - set(doc))
    if missing:
        raise _refuse(f"it lacks {', '.join(missing)}")
    if doc["minor"] <= MINOR and set(doc) != _KEYS:
        raise _refuse("it has fields this version does not know")
    bundle_id, author, created_at = doc["bundle_id"], doc["author"], doc["created_at"]
    if not isinstance(bundle_id, str) or not _HEX32.match(bundle_id):
        raise _refuse("its bundle id is malformed")
    if not isinstance(author, str) or not _FINGERPRINT.match(author):
        raise _refuse("its author is not a fingerprint")
    if not isinstance(created_at, str) or not _CREATED_AT.match(created_at):
        raise _refuse("its creation time is malformed")
    recipients = doc["recipients"]
    if (
        not isinstance(recipients, list)
        or not recipients
        or len(recipients) > 64
        or not all(isinstance(r, str) and _FINGERPRINT.match(r) for r in recipients)
        or recipients != sorted(set(recipients))
    ):
        raise _refuse("its recipient list is malformed")
    return Manifest(
        bundle_id=bundle_id,
        author=author,
        recipients=tuple(recipients),
        seq=_int(doc["seq"], "sequence number", MAX_SEQ),
        created_at=created_at,
        members=_members(doc["members"]),
        withheld=_int(doc["withheld"], "withheld count", MAX_MEMBERS),
        major=doc["major"],
        minor=doc["minor"],
    )
