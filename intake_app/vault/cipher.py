"""The SQLCipher page settings a vault's database was created with.

SQLCipher stores neither its page size nor its HMAC algorithm in the file (everything after
the salt is encrypted), so they must be given again at every open, before the first read.
Vaults made before these settings existed use SQLCipher 4's defaults (4 KiB pages,
HMAC-SHA512) and record nothing; newer vaults record theirs in header.json.

Why new vaults differ: attachments are stored in 1 MiB chunks and every page costs a fixed
amount of work (IV, HMAC, B-tree bookkeeping). HMAC-SHA256 (hardware SHA extensions) and
16 KiB pages store attachments about 1.4x and read them about 1.8x faster than the defaults
(measured CPU time, bench/bench_cases.py). 64 KiB pages were no faster again, while they made
an empty vault 3.5 MB instead of 0.9 MB and every small save write four times as much.
HMAC-SHA256 keeps a 256-bit tag; AES-256 page encryption is unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

HMAC_ALGORITHMS = ("HMAC_SHA256", "HMAC_SHA512")
PAGE_SIZES = (4096, 8192, 16384, 32768, 65536)


@dataclass(frozen=True)
class CipherProfile:
    """Page size and page HMAC of one SQLCipher database (the key is separate)."""

    page_size: int = 4096
    hmac: str = "HMAC_SHA512"

    def __post_init__(self) -> None:
        if self.page_size not in PAGE_SIZES or self.hmac not in HMAC_ALGORITHMS:
            raise ValueError("unsupported SQLCipher settings")

    def pragmas(self) -> tuple[str, ...]:
        """Statements to run right after `PRAGMA key` and before anything reads a page."""
        return (
            f"PRAGMA cipher_page_size = {self.page_size}",
            f"PRAGMA cipher_hmac_algorithm = {self.hmac}",
        )

    def to_json(self) -> dict[str, Any]:
        return {"page_size": self.page_size, "hmac": self.hmac}

    @classmethod
    def from_json(cls, obj: Any) -> CipherProfile:
        """Strict: unknown keys or values raise ValueError (a damaged header)."""
        if not isinstance(obj, dict) or set(obj) != {"page_size", "hmac"}:
            raise ValueError("cipher settings")
        page_size, hmac = obj["page_size"], obj["hmac"]
        if type(page_size) is not int or not isinstance(hmac, str):
            raise ValueError("cipher settings")
        return cls(page_size, hmac)


# What vaults made before header.json recorded any settings use: SQLCipher 4's defaults.
LEGACY = CipherProfile()
# What `Vault.create` uses now.
NEW_VAULTS = CipherProfile(page_size=16384, hmac="HMAC_SHA256")
