"""Passphrase → key-wrapping key with Argon2id (cryptography's own implementation).

Parameters are stored in each key slot, so they can be raised later without breaking old
vaults. Tests get cheap parameters from INTAKE_TEST_FAST_KDF=1, honoured only while pytest
runs (PYTEST_CURRENT_TEST is set by pytest and inherited by the processes a test starts);
a production process never has either variable, so it can never be talked into weak keys.
"""

from __future__ import annotations

import os
import secrets
import unicodedata
from dataclasses import dataclass
from typing import Any

KEY_LENGTH = 32
SALT_LENGTH = 16

# RFC 9106 section 4, second recommended option: 64 MiB, t=3, 4 lanes (~0.2 s measured on
# the 2-core build machine; an old laptop takes about a second).
PRODUCTION_MEMORY_KIB = 64 * 1024
PRODUCTION_ITERATIONS = 3
PRODUCTION_LANES = 4

# Upper bounds when opening: a forged header must not make us allocate gigabytes or spin for
# minutes before the AEAD check can reject it.
MAX_MEMORY_KIB = 4 * 1024 * 1024
MAX_ITERATIONS = 64
MAX_LANES = 16


class KdfParamsInvalid(ValueError):
    """Stored KDF parameters are outside what this version will compute."""


def fast_kdf_for_tests() -> bool:
    """True only inside a pytest run that asked for cheap Argon2 parameters."""
    return os.environ.get("INTAKE_TEST_FAST_KDF") == "1" and "PYTEST_CURRENT_TEST" in os.environ


@dataclass(frozen=True)
class KdfParams:
    memory_kib: int
    iterations: int
    lanes: int
    salt: bytes

    @classmethod
    def fresh(cls) -> KdfParams:
        """Current default parameters with a new random salt."""
        if fast_kdf_for_tests():
            return cls(memory_kib=8, iterations=1, lanes=1, salt=secrets.token_bytes(SALT_LENGTH))
        return cls(
            PRODUCTION_MEMORY_KIB,
            PRODUCTION_ITERATIONS,
            PRODUCTION_LANES,
            secrets.token_bytes(SALT_LENGTH),
        )

    def weaker_than(self, other: KdfParams) -> bool:
        return self.memory_kib < other.memory_kib or self.iterations < other.iterations

    def to_json(self) -> dict[str, Any]:
        return {
            "name": "argon2id",
            "memory_kib": self.memory_kib,
            "iterations": self.iterations,
            "lanes": self.lanes,
            "salt": self.salt.hex(),
        }

    @classmethod
    def from_json(cls, obj: Any) -> KdfParams:
        if not isinstance(obj, dict) or obj.get("name") != "argon2id":
            raise KdfParamsInvalid("unknown key derivation")
        try:
            params = cls(
                int(obj["memory_kib"]),
                int(obj["iterations"]),
                int(obj["lanes"]),
                bytes.fromhex(obj["salt"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise KdfParamsInvalid("malformed key derivation parameters") from exc
        params.check()
        return params

    def check(self) -> None:
        if not (1 <= self.lanes <= MAX_LANES and 1 <= self.iterations <= MAX_ITERATIONS):
            raise KdfParamsInvalid("key derivation parameters out of range")
        if not (8 * self.lanes <= self.memory_kib <= MAX_MEMORY_KIB):
            raise KdfParamsInvalid("key derivation memory out of range")
        if len(self.salt) < 8:
            raise KdfParamsInvalid("key derivation salt too short")


def normalise_passphrase(passphrase: str) -> bytes:
    """NFC, so the same passphrase typed on two keyboards (precomposed or not) matches."""
    return unicodedata.normalize("NFC", passphrase).encode("utf-8")


def derive_key(passphrase: str, params: KdfParams) -> bytes:
    """The 256-bit key-wrapping key for `passphrase` under `params`."""
    # Imported here: the unlock window reads KDF parameters before it derives anything.
    from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

    params.check()
    kdf = Argon2id(
        salt=params.salt,
        length=KEY_LENGTH,
        iterations=params.iterations,
        lanes=params.lanes,
        memory_cost=params.memory_kib,
    )
    return kdf.derive(normalise_passphrase(passphrase))
