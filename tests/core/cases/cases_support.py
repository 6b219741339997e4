"""Shared helpers of the cases tests (imported by the test modules)."""

from __future__ import annotations

from pathlib import Path

from intake_app.cases.protocols import ProtocolShelf
from intake_app.cases.store import CaseStore
from intake_app.vault import Vault

TEST_PROTOCOLS = Path(__file__).resolve().parent / "protocols"
PASSPHRASE = "correct horse battery staple 2022"


def shelf() -> ProtocolShelf:
    return ProtocolShelf(TEST_PROTOCOLS, default="mini-intake")


def reopen(vault: Vault) -> CaseStore:
    path = vault.path
    vault.close()
    return CaseStore(Vault.open(path, PASSPHRASE), shelf=shelf())


HOSTILE_TEXT = (
    "Қайрат ұрды әже ғ қ ң ө ұ ү һ і; Ёлка; "
    "שלום مرحبا; 👩‍👩‍👧‍👦 🏳️‍🌈; \u202eevil\u202c; \u200d\u200b; tab\tnl\ncr\r; e\u0301 vs é"
)
