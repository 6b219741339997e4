"""Identity cards: the public half of a device identity, self-signed, exchanged in person.

A card is parsed strictly and trusted only after its fingerprint is recomputed from its
keys and its self-signature checks; the fingerprint is what two people compare aloud.
Format (docs/ARCHITECTURE.md "Identities"): {"format": "intake-card-v1", "name", "role",
"category", "ed25519_public_key" (base64), "age_recipient", "minisign_public_key",
"fingerprint", "signature" (base64 Ed25519 over b"intake-card-v1\\x00" + canonical JSON of
the card without "signature")}.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from intake_app.bundles import minisign
from intake_app.bundles.limits import load_json
from intake_app.canonical import canonical_json
from intake_app.errors import IntakeError
from intake_app.identity import keys
from intake_app.identity.keys import DeviceIdentity

CARD_FORMAT = "intake-card-v1"
CARD_SIGNATURE_DOMAIN = b"intake-card-v1\x00"
MAX_CARD_BYTES = 16 * 1024
_FIELDS = (
    "format",
    "name",
    "role",
    "category",
    "ed25519_public_key",
    "age_recipient",
    "minisign_public_key",
    "fingerprint",
    "signature",
)


class InvalidCard(IntakeError):
    """An identity card that is malformed, altered or forged."""


@dataclass(frozen=True)
class IdentityCard:
    """A checked identity card (only `parse_card` and `card_of` make one)."""

    name: str
    role: str
    category: str
    ed25519_public_key: bytes
    x25519_public_key: bytes
    age_recipient: str
    minisign_public_key: str
    fingerprint: str
    signature: bytes

    @property
    def fingerprint_display(self) -> str:
        return keys.display_fingerprint(self.fingerprint)

    @property
    def minisign_key(self) -> minisign.PublicKey:
        return minisign.PublicKey(
            key_id=keys.minisign_key_id(self.ed25519_public_key), ed25519=self.ed25519_public_key
        )

    def unsigned_fields(self) -> dict[str, str]:
        return {
            "format": CARD_FORMAT,
            "name": self.name,
            "role": self.role,
            "category": self.category,
            "ed25519_public_key": base64.b64encode(self.ed25519_public_key).decode("ascii"),
            "age_recipient": self.age_recipient,
            "minisign_public_key": self.minisign_public_key,
            "fingerprint": self.fingerprint,
        }

    def to_json(self) -> dict[str, str]:
        fields = self.unsigned_fields()
        fields["signature"] = base64.b64encode(self.signature).decode("ascii")
        return fields

    def to_bytes(self) -> bytes:
        """The card file: readable JSON; the signature covers its canonical form."""
        text = json.dumps(self.to_json(), sort_keys=True, ensure_ascii=False, indent=2)
        return (text + "\n").encode("utf-8")


def _signed_message(fields: dict[str, str]) -> bytes:
    return CARD_SIGNATURE_DOMAIN + canonical_json(fields)


def card_of(identity: DeviceIdentity) -> IdentityCard:
    """This device's card, self-signed with its Ed25519 key."""
    unsigned = IdentityCard(
        name=identity.name,
        role=identity.role,
        category=identity.category,
        ed25519_public_key=identity.ed25519_public_key,
        x25519_public_key=identity.x25519_public_key,
        age_recipient=identity.age_recipient,
        minisign_public_key=identity.minisign_public_key,
        fingerprint=identity.fingerprint,
        signature=b"",
    )
    signature = identity.sign(_signed_message(unsigned.unsigned_fields()))
    return IdentityCard(**{**unsigned.__dict__, "signature": signature})


def _b64(text: str, what: str, length: int) -> bytes:
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeError):
        raise InvalidCard(f"The identity card's {what} is not valid base64.") from None
    if len(raw) != length or base64.b64encode(raw).decode("ascii") != text:
        raise InvalidCard(f"The identity card's {what} is malformed.")
    return raw


def _fields_of(data: bytes) -> dict[str, str]:
    doc = load_json(data, what="identity card", max_bytes=MAX_CARD_BYTES, error=InvalidCard)
    if not isinstance(doc, dict):
        raise InvalidCard("This is not an identity card (a JSON object was expected).")
    if doc.get("format") != CARD_FORMAT:
        raise InvalidCard(
            "This is not an identity card of a known format (it may come from a newer version)."
        )
    missing = [name for name in _FIELDS if name not in doc]
    unknown = sorted(set(doc) - set(_FIELDS))
    if missing or unknown:
        raise InvalidCard(
            "The identity card is malformed: "
            + "; ".join(
                part
                for part in (
                    f"missing {', '.join(missing)}" if missing else "",
                    f"unexpected {', '.join(unknown)}" if unknown else "",
                )
                if part
            )
            + "."
        )
    if not all(isinstance(doc[name], str) for name in _FIELDS):
        raise InvalidCard("The identity card is malformed: every field must be text.")
    return {name: doc[name] for name in _FIELDS}


def _check_profile(fields: dict[str, str]) -> None:
    try:
        keys.check_name(fields["name"])
        keys.check_role(fields["role"])
        keys.check_category(fields["category"])
    except IntakeError as exc:
        raise InvalidCard(f"The identity card is not acceptable: {exc}") from None


def parse_card(data: bytes) -> IdentityCard:
    """Parse and check a card file: strict JSON, keys consistent, fingerprint and
    self-signature matching. Raises InvalidCard with a message for a person."""
    fields = _fields_of(data)
    _check_profile(fields)
    ed_pub = _b64(fields["ed25519_public_key"], "signing key", 32)
    try:
        x_pub = keys.x25519_public_from_recipient(fields["age_recipient"])
    except keys.InvalidKey:
        raise InvalidCard("The identity card's age recipient is not a valid age1… key.") from None
    if keys.age_recipient_from_public(x_pub) != fields["age_recipient"]:
        raise InvalidCard("The identity card's age recipient is not in canonical form.")
    if fields["minisign_public_key"] != keys.minisign_public_key_line(ed_pub):
        raise InvalidCard(
            "The identity card's minisign key does not belong to its signing key: "
            "the card was altered."
        )
    expected = keys.fingerprint(ed_pub, x_pub)
    if fields["fingerprint"] != expected:
        raise InvalidCard(
            "The identity card's fingerprint does not match its keys: the card was altered "
            "or forged. Do not trust it."
        )
    signature = _b64(fields["signature"], "signature", 64)
    unsigned = {k: v for k, v in fields.items() if k != "signature"}
    if not keys.verify_signature(ed_pub, _signed_message(unsigned), signature):
        raise InvalidCard(
            "The identity card's self-signature does not verify: the card was altered. "
            "Do not trust it."
        )
    return IdentityCard(
        name=fields["name"],
        role=fields["role"],
        category=fields["category"],
        ed25519_public_key=ed_pub,
        x25519_public_key=x_pub,
        age_recipient=fields["age_recipient"],
        minisign_public_key=fields["minisign_public_key"],
        fingerprint=expected,
        signature=signature,
    )


def card_from_stored(text: str) -> IdentityCard:
    """Re-check a card kept in the vault (it was checked on the way in)."""
    return parse_card(text.encode("utf-8"))


def describe(card: IdentityCard) -> dict[str, Any]:
    """Public facts about a card, for printing."""
    return {
        "name": card.name,
        "role": card.role,
        "category": card.category,
        "fingerprint": card.fingerprint,
        "fingerprint_display": card.fingerprint_display,
        "age_recipient": card.age_recipient,
        "minisign_public_key": card.minisign_public_key,
    }
