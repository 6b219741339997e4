"""The trust registry: contacts added from checked cards, revocation, and the signer check
that import and verify run before anything is decrypted.

Revocation (DESIGN "Identities and trust"): the coordinator records N, the last sequence
number the owner of a lost device confirms. Above N: refused. At or below N: accepted (each
(device, sequence) at most once, which `bundles_seen` enforces), and if the owner listed the
payload hashes they really sent, only those. Revoked with no N: refused entirely. What is
accepted from a revoked signer is marked "signed by a key revoked since".
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import sqlcipher3

from intake_app.bundles import minisign
from intake_app.errors import BundleRefused, IntakeError, NotFound, UsageError
from intake_app.identity import keys
from intake_app.identity.card import IdentityCard
from intake_app.vault import Vault
from intake_app.vault.audit import utc_now

_SHA256 = re.compile(r"[0-9a-f]{64}")
_COLUMNS = (
    "fingerprint, name, role, category, card, ed25519_public_key, x25519_public_key, "
    "added_at, revoked_at, last_seq, allowed_bundle_hashes"
)
MAX_HASH_FILE_BYTES = 16 * 1024 * 1024


class ContactExists(IntakeError):
    """A contact with that name or fingerprint is already in the registry."""


@dataclass(frozen=True)
class Contact:
    """One entry of the trust registry."""

    fingerprint: str
    name: str
    role: str
    category: str
    card_json: str
    ed25519_public_key: bytes
    x25519_public_key: bytes
    added_at: str
    revoked_at: str | None
    last_seq: int | None
    allowed_bundle_hashes: tuple[str, ...] | None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def fingerprint_display(self) -> str:
        return keys.display_fingerprint(self.fingerprint)

    @property
    def age_recipient(self) -> str:
        return keys.age_recipient_from_public(self.x25519_public_key)

    @property
    def minisign_key(self) -> minisign.PublicKey:
        return minisign.PublicKey(
            keys.minisign_key_id(self.ed25519_public_key), self.ed25519_public_key
        )

    def summary(self) -> dict[str, object]:
        """What `trust list --json` prints for this contact."""
        return {
            "fingerprint": self.fingerprint,
            "fingerprint_display": self.fingerprint_display,
            "name": self.name,
            "role": self.role,
            "category": self.category,
            "age_recipient": self.age_recipient,
            "added_at": self.added_at,
            "revoked": self.revoked,
            "revoked_at": self.revoked_at,
            "last_seq": self.last_seq,
            "allowed_bundle_hashes": (
                list(self.allowed_bundle_hashes) if self.allowed_bundle_hashes is not None else None
            ),
        }


@dataclass(frozen=True)
class Signer:
    """Who signed a bundle, as far as this vault knows: a contact or this device itself."""

    fingerprint: str
    ed25519_public_key: bytes
    contact: Contact | None  # None: this vault's own device

    @property
    def minisign_key(self) -> minisign.PublicKey:
        return minisign.PublicKey(
            keys.minisign_key_id(self.ed25519_public_key), self.ed25519_public_key
        )


@dataclass(frozen=True)
class Admission:
    """The revocation verdict for one bundle that was not refused."""

    signer_revoked: bool


def _contact(row: tuple[Any, ...]) -> Contact:
    hashes = row[10]
    return Contact(
        fingerprint=str(row[0]),
        name=str(row[1]),
        role=str(row[2]),
        category=str(row[3]),
        card_json=str(row[4]),
        ed25519_public_key=bytes(row[5]),
        x25519_public_key=bytes(row[6]),
        added_at=str(row[7]),
        revoked_at=None if row[8] is None else str(row[8]),
        last_seq=None if row[9] is None else int(row[9]),
        allowed_bundle_hashes=None if hashes is None else tuple(json.loads(str(hashes))),
    )


class TrustRegistry:
    """The vault's trusted contacts. Every change is audit-logged (ids only, no names)."""

    def __init__(self, vault: Vault) -> None:
        self._vault = vault

    def _one(self, where: str, arg: object) -> Contact | None:
        row = self._vault.conn.execute(
            f"SELECT {_COLUMNS} FROM trusted_contacts WHERE {where}",  # noqa: S608 - fixed SQL
            (arg,),
        ).fetchone()
        return None if row is None else _contact(row)

    def get(self, fingerprint: str) -> Contact | None:
        return self._one("fingerprint = ?", keys.parse_fingerprint(fingerprint))

    def contacts(self) -> list[Contact]:
        """All contacts, by name then fingerprint (a stable order for printing)."""
        rows = self._vault.conn.execute(
            f"SELECT {_COLUMNS} FROM trusted_contacts ORDER BY name, fingerprint"  # noqa: S608
        ).fetchall()
        return [_contact(row) for row in rows]

    def resolve(self, text: str) -> Contact:
        """A contact named by fingerprint (either form) or by its local name."""
        by_name = self._one("name = ?", text)
        if by_name is not None:
            return by_name
        try:
            contact = self.get(text)
        except keys.InvalidKey:
            contact = None
        if contact is None:
            raise NotFound("No trusted contact has that name or fingerprint.")
        return contact

    def add(self, card: IdentityCard, name: str | None = None) -> tuple[Contact, bool]:
        """Trust a checked card; return (contact, added). Re-adding the same keys is a no-op."""
        if card.fingerprint == self._vault.identity.fingerprint:
            raise UsageError("This is this device's own card; it needs no trust entry.")
        local_name = keys.check_name(name if name is not None else card.name)
        existing = self.get(card.fingerprint)
        if existing is not None:
            if existing.revoked:
                raise ContactExists(
                    f"This key was revoked on {str(existing.revoked_at)[:10]}; a revoked key "
                    "is never trusted again. Ask its owner for a new card."
                )
            return existing, False
        if self._one("name = ?", local_name) is not None:
            raise ContactExists("Another contact already has that name; choose one with --name.")
        card_json = json.dumps(card.to_json(), sort_keys=True, ensure_ascii=False)
        with self._vault.write() as conn:
            conn.execute(
                "INSERT INTO trusted_contacts (fingerprint, name, role, category, card, "
                "ed25519_public_key, x25519_public_key, minisign_key_id, added_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    card.fingerprint, local_name, card.role, card.category, card_json,
                    card.ed25519_public_key, card.x25519_public_key,
                    keys.minisign_key_id(card.ed25519_public_key), utc_now(),
                ),
            )  # fmt: skip
            self._vault.audit(conn, "trust.add", card.fingerprint)
        contact = self.get(card.fingerprint)
        assert contact is not None
        return contact, True

    def revoke(
        self,
        fingerprint: str,
        last_seq: int | None = None,
        bundle_hashes: list[str] | None = None,
    ) -> Contact:
        """Revoke a contact's key (a lost or seized device), with the owner's last sequence
        number N and optionally the hashes of the bundles they really sent."""
        contact = self.get(fingerprint)
        if contact is None:
            raise NotFound("No trusted contact has that fingerprint.")
        if bundle_hashes is not None and last_seq is None:
            raise UsageError("A list of bundles needs --last-seq N as well.")
        if last_seq is not None and not 0 <= last_seq < 2**63:
            raise UsageError("--last-seq must be a non-negative sequence number.")
        hashes = None
        if bundle_hashes is not None:
            hashes = json.dumps(sorted(set(bundle_hashes)))
        with self._vault.write() as conn:
            conn.execute(
                "UPDATE trusted_contacts SET revoked_at = coalesce(revoked_at, ?), "
                "last_seq = ?, allowed_bundle_hashes = ? WHERE fingerprint = ?",
                (utc_now(), last_seq, hashes, contact.fingerprint),
            )
            self._vault.audit(conn, "trust.revoke", contact.fingerprint)
        revoked = self.get(contact.fingerprint)
        assert revoked is not None
        return revoked

    def signer_for_key_id(self, key_id: bytes) -> Signer:
        """The signer whose minisign key id a signature names: this device or a contact.

        Raises BundleRefused for an unknown signer (a key id alone proves nothing: the
        signature is checked against the key returned here).
        """
        own = self._vault.identity
        if key_id == own.minisign_key_id:
            return Signer(own.fingerprint, own.ed25519_public_key, None)
        rows = self._vault.conn.execute(
            f"SELECT {_COLUMNS} FROM trusted_contacts WHERE minisign_key_id = ?",  # noqa: S608
            (key_id,),
        ).fetchall()
        if not rows:
            raise BundleRefused(
                "The bundle is signed by a key that is not in this vault's trust registry "
                f"(key id {minisign.key_id_hex(key_id)}). Add the sender's card first."
            )
        if len(rows) > 1:  # two contacts sharing a 64-bit key id: refuse rather than guess
            raise BundleRefused("The bundle's signing key id is ambiguous in the registry.")
        contact = _contact(rows[0])
        return Signer(contact.fingerprint, contact.ed25519_public_key, contact)


def admit(signer: Signer, seq: int, payload_sha256: str) -> Admission:
    """Apply revocation to a bundle whose outer signature by `signer` has been verified.

    Raises BundleRefused when the signer is revoked and this bundle falls outside what the
    owner confirmed. The (device, sequence)-at-most-once rule is `bundles_seen`'s.
    """
    contact = signer.contact
    if contact is None or not contact.revoked:
        return Admission(signer_revoked=False)
    if contact.last_seq is None:
        raise BundleRefused(
            "The bundle's signer was revoked with no confirmed bundles: everything it signs "
            "is refused."
        )
    if seq > contact.last_seq:
        raise BundleRefused(
            f"The bundle's signer was revoked after sequence {contact.last_seq}; this bundle "
            f"(sequence {seq}) was made later, perhaps by whoever holds the lost device."
        )
    allowed = contact.allowed_bundle_hashes
    if allowed is not None and payload_sha256 not in allowed:
        raise BundleRefused(
            "The bundle's signer was revoked and this bundle is not among those its owner "
            "confirmed sending."
        )
    return Admission(signer_revoked=True)


def seen_status(conn: sqlcipher3.Connection, payload_sha256: str, device: str, seq: int) -> str:
    """ "new", "already_imported" (the same payload.age) or "equivocation" (same device and
    sequence, other contents)."""
    if conn.execute(
        "SELECT 1 FROM bundles_seen WHERE payload_sha256 = ?", (payload_sha256,)
    ).fetchone():
        return "already_imported"
    if conn.execute(
        "SELECT 1 FROM bundles_seen WHERE device = ? AND seq = ?", (device, seq)
    ).fetchone():
        return "equivocation"
    return "new"


def record_seen(
    conn: sqlcipher3.Connection, payload_sha256: str, device: str, seq: int, bundle_id: str
) -> None:
    """Record an imported bundle (inside the import's write transaction)."""
    conn.execute(
        "INSERT INTO bundles_seen (payload_sha256, device, seq, bundle_id, imported_at) "
        "VALUES (?, ?, ?, ?, ?)",
        (payload_sha256, device, seq, bundle_id, utc_now()),
    )


def read_hash_file(data: bytes) -> list[str]:
    """Payload hashes, one per line (lower-case SHA-256 hex); blank lines and # comments
    are ignored. `sha256sum` output ("<hash>  <file>") is accepted too."""
    if len(data) > MAX_HASH_FILE_BYTES:
        raise UsageError("The list of bundle hashes is too large.")
    try:
        text = data.decode("utf-8")
    except UnicodeError:
        raise UsageError("The list of bundle hashes is not UTF-8 text.") from None
    hashes: list[str] = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        token = line.split()[0].lower()
        if not _SHA256.fullmatch(token):
            raise UsageError(f"Line {number} of the list of bundle hashes is not a SHA-256 hash.")
        hashes.append(token)
    if not hashes:
        raise UsageError("The list of bundle hashes is empty.")
    return hashes
