"""Device identity: an Ed25519 signing key and an X25519 age identity, and their public forms.

The fingerprint covers both public keys, so a card whose encryption key was swapped has a
different fingerprint. Formats are fixed in docs/ARCHITECTURE.md ("Identities").
"""

from __future__ import annotations

import base64
import hashlib
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from intake_app.errors import IntakeError, UsageError
from intake_app.identity import bech32

ROLES = ("monitor", "lawyer", "coordinator")
CATEGORIES = ("coalition", "lawyer", "prosecutor", "ombudsman", "un_sr")
# The recipient category a device's card announces when none is chosen.
ROLE_CATEGORY = {"coordinator": "coalition", "lawyer": "lawyer", "monitor": "coalition"}

AGE_RECIPIENT_HRP = "age"
AGE_SECRET_HRP = "age-secret-key-"  # noqa: S105 - a bech32 prefix
FINGERPRINT_DOMAIN = b"intake-card-v1"
MINISIGN_KEYID_DOMAIN = b"intake-minisign-keyid"
REVISION_DOMAIN = b"intake-revision-v1\x00"
MAX_NAME_LENGTH = 100

_RAW = serialization.Encoding.Raw
_RAW_PUB = serialization.PublicFormat.Raw
_RAW_PRIV = serialization.PrivateFormat.Raw
_NO_ENC = serialization.NoEncryption()


class InvalidKey(IntakeError):
    """A key, recipient or fingerprint given as text is malformed."""


def age_recipient_from_public(x25519_public: bytes) -> str:
    """`age1…` recipient string of a raw 32-byte X25519 public key."""
    if len(x25519_public) != 32:
        raise InvalidKey("An age recipient key must be 32 bytes.")
    return bech32.encode(AGE_RECIPIENT_HRP, x25519_public)


def x25519_public_from_recipient(recipient: str) -> bytes:
    """Raw X25519 public key of an `age1…` recipient; InvalidKey if it is not one."""
    try:
        hrp, data = bech32.decode(recipient.strip())
    except bech32.Bech32Error as exc:
        raise InvalidKey("This is not a valid age recipient (age1…).") from exc
    if hrp != AGE_RECIPIENT_HRP or len(data) != 32:
        raise InvalidKey("This is not a valid age recipient (age1…).")
    return data


def age_identity_from_secret(x25519_secret: bytes) -> str:
    """`AGE-SECRET-KEY-1…` identity string of a raw X25519 secret key."""
    return bech32.encode(AGE_SECRET_HRP, x25519_secret).upper()


def x25519_secret_from_identity(identity: str) -> bytes:
    try:
        hrp, data = bech32.decode(identity.strip())
    except bech32.Bech32Error as exc:
        raise InvalidKey("This is not a valid age identity.") from exc
    if hrp != AGE_SECRET_HRP or len(data) != 32:
        raise InvalidKey("This is not a valid age identity.")
    return data


def fingerprint(ed25519_public: bytes, x25519_public: bytes) -> str:
    """Canonical fingerprint: base32 (no padding, 32 upper-case chars) of 160 bits."""
    digest = hashlib.sha256(FINGERPRINT_DOMAIN + ed25519_public + x25519_public).digest()[:20]
    return base64.b32encode(digest).decode("ascii")


def display_fingerprint(canonical: str) -> str:
    """Eight groups of four, to be read aloud and compared."""
    return " ".join(canonical[i : i + 4] for i in range(0, 32, 4))


def parse_fingerprint(text: str) -> str:
    """Canonical form of a fingerprint typed in either form (spaces, case, dashes ignored)."""
    compact = "".join(ch for ch in text if ch not in " \t-").upper()
    if len(compact) != 32:
        raise InvalidKey("A fingerprint has 32 letters and digits (8 groups of 4).")
    try:
        raw = base64.b32decode(compact)
    except ValueError as exc:
        raise InvalidKey("A fingerprint uses only the letters A-Z and digits 2-7.") from exc
    return base64.b32encode(raw).decode("ascii")


def minisign_key_id(ed25519_public: bytes) -> bytes:
    return hashlib.sha256(MINISIGN_KEYID_DOMAIN + ed25519_public).digest()[:8]


def minisign_public_key_line(ed25519_public: bytes) -> str:
    """The base64 key line of a minisign .pub file (for `minisign -P`)."""
    blob = b"Ed" + minisign_key_id(ed25519_public) + ed25519_public
    return base64.b64encode(blob).decode("ascii")


def verify_signature(ed25519_public: bytes, message: bytes, signature: bytes) -> bool:
    """True when `signature` is a valid Ed25519 signature of `message`."""
    try:
        Ed25519PublicKey.from_public_bytes(ed25519_public).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


def revision_message(revision_id_hex: str) -> bytes:
    raw = bytes.fromhex(revision_id_hex)
    if len(raw) != 32:
        raise InvalidKey("A revision id is 64 hexadecimal digits.")
    return REVISION_DOMAIN + raw


def verify_revision(ed25519_public: bytes, revision_id_hex: str, signature: bytes) -> bool:
    """Check an author's signature over a revision id (domain-separated)."""
    try:
        message = revision_message(revision_id_hex)
    except (ValueError, InvalidKey):
        return False
    return verify_signature(ed25519_public, message, signature)


def _refused_in_name(ch: str) -> bool:
    # Controls and direction overrides could spoof a name on a card; joiners are real text
    # (emoji sequences, Persian and Indic scripts).
    if ch in "\u200c\u200d":
        return False
    return unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp")


def check_name(name: str) -> str:
    """A device name as shown on cards: non-empty, at most 100 characters, no controls."""
    if not name.strip():
        raise UsageError("The device name must not be empty.")
    if len(name) > MAX_NAME_LENGTH:
        raise UsageError(f"The device name is longer than {MAX_NAME_LENGTH} characters.")
    if any(_refused_in_name(ch) for ch in name):
        raise UsageError("The device name contains control or formatting characters.")
    return name


def check_role(role: str) -> str:
    if role not in ROLES:
        raise UsageError(f"Unknown role {role!r}: use one of {', '.join(ROLES)}.")
    return role


def check_category(category: str) -> str:
    if category not in CATEGORIES:
        raise UsageError(
            f"Unknown recipient category {category!r}: use one of {', '.join(CATEGORIES)}."
        )
    return category


@dataclass(frozen=True)
class DeviceIdentity:
    """This vault's device keys. Secret parts never appear in repr()."""

    name: str
    role: str
    category: str
    signing_key: Ed25519PrivateKey = field(repr=False)
    age_identity: str = field(repr=False)
    ed25519_public_key: bytes = field(init=False)
    x25519_public_key: bytes = field(init=False)
    age_recipient: str = field(init=False)
    fingerprint: str = field(init=False)
    minisign_key_id: bytes = field(init=False, repr=False)
    minisign_public_key: str = field(init=False)

    def __post_init__(self) -> None:
        ed_pub = self.signing_key.public_key().public_bytes(_RAW, _RAW_PUB)
        x_secret = x25519_secret_from_identity(self.age_identity)
        x_pub = (
            X25519PrivateKey.from_private_bytes(x_secret).public_key().public_bytes(_RAW, _RAW_PUB)
        )
        object.__setattr__(self, "ed25519_public_key", ed_pub)
        object.__setattr__(self, "x25519_public_key", x_pub)
        object.__setattr__(self, "age_recipient", age_recipient_from_public(x_pub))
        object.__setattr__(self, "fingerprint", fingerprint(ed_pub, x_pub))
        object.__setattr__(self, "minisign_key_id", minisign_key_id(ed_pub))
        object.__setattr__(self, "minisign_public_key", minisign_public_key_line(ed_pub))

    @classmethod
    def generate(cls, name: str, role: str, category: str | None = None) -> DeviceIdentity:
        """Fresh keys for a new vault."""
        check_name(name)
        check_role(role)
        category = check_category(category or ROLE_CATEGORY[role])
        x_secret = X25519PrivateKey.generate().private_bytes(_RAW, _RAW_PRIV, _NO_ENC)
        return cls(
            name, role, category, Ed25519PrivateKey.generate(), age_identity_from_secret(x_secret)
        )

    @classmethod
    def from_stored(
        cls, name: str, role: str, category: str, ed25519_secret: bytes, age_identity: str
    ) -> DeviceIdentity:
        return cls(
            name, role, category, Ed25519PrivateKey.from_private_bytes(ed25519_secret), age_identity
        )

    @property
    def fingerprint_display(self) -> str:
        return display_fingerprint(self.fingerprint)

    def ed25519_secret_bytes(self) -> bytes:
        """Raw 32-byte seed, for storage inside the encrypted vault only."""
        return self.signing_key.private_bytes(_RAW, _RAW_PRIV, _NO_ENC)

    def sign(self, message: bytes) -> bytes:
        """Raw Ed25519 signature (callers add their own domain separation)."""
        return self.signing_key.sign(message)

    def sign_revision(self, revision_id_hex: str) -> bytes:
        return self.signing_key.sign(revision_message(revision_id_hex))

    def verify_revision(self, revision_id_hex: str, signature: bytes) -> bool:
        return verify_revision(self.ed25519_public_key, revision_id_hex, signature)

    def public_summary(self) -> dict[str, Any]:
        """What `identity show` prints: public facts only."""
        return {
            "name": self.name,
            "role": self.role,
            "category": self.category,
            "fingerprint": self.fingerprint,
            "fingerprint_display": self.fingerprint_display,
            "age_recipient": self.age_recipient,
            "minisign_public_key": self.minisign_public_key,
            "ed25519_public_key": base64.b64encode(self.ed25519_public_key).decode("ascii"),
        }
