"""header.json: the wrapped database key slots, the key check and the failed-unlock counter.

Each slot holds the database key sealed with ChaCha20-Poly1305; the associated data binds the
vault id, the slot type and the KDF parameters, so a slot cannot be moved to another vault or
another slot type, and its parameters cannot be swapped. The header is replaced atomically.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from intake_app.canonical import canonical_json
from intake_app.errors import VaultDamaged
from intake_app.fsutil import atomic_write
from intake_app.vault.cipher import LEGACY, CipherProfile
from intake_app.vault.kdf import KdfParams, KdfParamsInvalid

FORMAT = "intake-vault-v1"
HEADER_NAME = "header.json"
SLOT_PASSPHRASE = "passphrase"  # noqa: S105 - a slot type name
SLOT_KEYRING = "keyring"
SLOT_KINDS = (SLOT_PASSPHRASE, SLOT_KEYRING)
_AAD_DOMAIN = b"intake-vault-slot-v1\x00"
_KEY_CHECK_LABEL = b"intake-key-check"
_MAX_HEADER_BYTES = 64 * 1024

DAMAGED_MESSAGE = (
    "The vault's files are damaged or this folder is not a Field Intake vault "
    "(the passphrase was not the problem). Restore it from a backup."
)


class SlotUnwrapFailed(Exception):
    """The key for a slot was wrong (a wrong passphrase or a stale keyring secret)."""


@dataclass(frozen=True)
class KeySlot:
    kind: str
    nonce: bytes
    wrapped: bytes
    kdf: KdfParams | None = None

    def to_json(self) -> dict[str, Any]:
        obj: dict[str, Any] = {
            "aead": "chacha20poly1305",
            "nonce": self.nonce.hex(),
            "wrapped": self.wrapped.hex(),
        }
        if self.kdf is not None:
            obj["kdf"] = self.kdf.to_json()
        return obj

    @classmethod
    def from_json(cls, kind: str, obj: Any) -> KeySlot:
        if not isinstance(obj, dict) or obj.get("aead") != "chacha20poly1305":
            raise ValueError("unknown slot cipher")
        kdf = KdfParams.from_json(obj["kdf"]) if "kdf" in obj else None
        if (kind == SLOT_PASSPHRASE) != (kdf is not None):
            raise ValueError("slot kdf does not fit its type")
        nonce, wrapped = bytes.fromhex(obj["nonce"]), bytes.fromhex(obj["wrapped"])
        if len(nonce) != 12 or len(wrapped) != 32 + 16:
            raise ValueError("slot sizes")
        return cls(kind, nonce, wrapped, kdf)


@dataclass
class Header:
    vault_id: str
    key_check: bytes
    slots: dict[str, KeySlot] = field(default_factory=dict)
    failed_unlocks: int = 0
    # How the database's pages are laid out; absent in headers of older vaults (LEGACY).
    cipher_profile: CipherProfile = LEGACY

    def to_json(self) -> dict[str, Any]:
        obj: dict[str, Any] = {
            "format": FORMAT,
            "vault_id": self.vault_id,
            "cipher": "sqlcipher4-raw-key",
            "key_check": self.key_check.hex(),
            "failed_unlocks": self.failed_unlocks,
            "slots": {kind: slot.to_json() for kind, slot in sorted(self.slots.items())},
        }
        if self.cipher_profile != LEGACY:
            obj["sqlcipher"] = self.cipher_profile.to_json()
        return obj

    @classmethod
    def from_json(cls, obj: Any) -> Header:
        if not isinstance(obj, dict) or obj.get("format") != FORMAT:
            raise ValueError("not a vault header")
        vault_id = obj["vault_id"]
        failed = obj.get("failed_unlocks", 0)
        if not isinstance(vault_id, str) or not 8 <= len(vault_id) <= 64:
            raise ValueError("vault id")
        if not isinstance(failed, int) or failed < 0:
            raise ValueError("failed_unlocks")
        slots_obj = obj["slots"]
        if not isinstance(slots_obj, dict) or not set(slots_obj) <= set(SLOT_KINDS):
            raise ValueError("slots")
        slots = {kind: KeySlot.from_json(kind, s) for kind, s in slots_obj.items()}
        if SLOT_PASSPHRASE not in slots:
            raise ValueError("no passphrase slot")
        key_check = bytes.fromhex(obj["key_check"])
        if len(key_check) != 32:
            raise ValueError("key check")
        profile = CipherProfile.from_json(obj["sqlcipher"]) if "sqlcipher" in obj else LEGACY
        return cls(vault_id, key_check, slots, failed, profile)


def key_check_value(db_key: bytes) -> bytes:
    return hmac.new(db_key, _KEY_CHECK_LABEL, hashlib.sha256).digest()


def key_matches(header: Header, db_key: bytes) -> bool:
    return hmac.compare_digest(header.key_check, key_check_value(db_key))


def _aad(vault_id: str, kind: str, kdf: KdfParams | None) -> bytes:
    params = canonical_json(kdf.to_json()) if kdf is not None else b""
    return _AAD_DOMAIN + vault_id.encode() + b"\x00" + kind.encode() + b"\x00" + params


def wrap_key(
    db_key: bytes, wrapping_key: bytes, vault_id: str, kind: str, kdf: KdfParams | None = None
) -> KeySlot:
    """Seal the database key under `wrapping_key` into a slot of type `kind`."""
    # cryptography is imported where used: the unlock window reads this header before
    # anything is decrypted, and start-up time counts (docs/BENCHMARKS.md).
    from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

    nonce = secrets.token_bytes(12)
    wrapped = ChaCha20Poly1305(wrapping_key).encrypt(nonce, db_key, _aad(vault_id, kind, kdf))
    return KeySlot(kind, nonce, wrapped, kdf)


def unwrap_key(slot: KeySlot, wrapping_key: bytes, vault_id: str) -> bytes:
    """The database key, or SlotUnwrapFailed when `wrapping_key` is not this slot's key."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

    try:
        return ChaCha20Poly1305(wrapping_key).decrypt(
            slot.nonce, slot.wrapped, _aad(vault_id, slot.kind, slot.kdf)
        )
    except InvalidTag as exc:
        raise SlotUnwrapFailed from exc


def load_header(folder: Path) -> Header:
    """Read and check header.json; VaultDamaged on anything unexpected."""
    path = folder / HEADER_NAME
    try:
        with path.open("rb") as fh:
            raw = fh.read(_MAX_HEADER_BYTES + 1)
    except OSError as exc:
        raise VaultDamaged(DAMAGED_MESSAGE) from exc
    if len(raw) > _MAX_HEADER_BYTES:
        raise VaultDamaged(DAMAGED_MESSAGE)
    try:
        return Header.from_json(json.loads(raw.decode("utf-8")))
    except (ValueError, KeyError, TypeError, KdfParamsInvalid, RecursionError) as exc:
        raise VaultDamaged(DAMAGED_MESSAGE) from exc


def save_header(folder: Path, header: Header) -> None:
    """Replace header.json atomically: a crash leaves the old or the new header, whole."""
    data = json.dumps(header.to_json(), sort_keys=True, indent=2).encode("utf-8") + b"\n"
    atomic_write(folder / HEADER_NAME, data, mode=0o600)
