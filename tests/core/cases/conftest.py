"""Fixtures for the cases tests: a real schema in an in-memory SQLCipher database, real keys."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlcipher3
from cases_support import PASSPHRASE, shelf

from intake_app.cases.store import CaseStore
from intake_app.identity.keys import DeviceIdentity
from intake_app.vault import Vault
from intake_app.vault.migrate import migrate

os.environ.setdefault("INTAKE_TEST_FAST_KDF", "1")


@pytest.fixture
def db() -> Iterator[sqlcipher3.Connection]:
    """The vault schema (all migrations) in a keyed in-memory database, autocommit mode."""
    conn = sqlcipher3.connect(":memory:", isolation_level=None)
    conn.execute("PRAGMA cipher_log_level = NONE")
    conn.execute("PRAGMA key = \"x'" + "11" * 32 + "'\"")
    migrate(conn)
    yield conn
    conn.close()


@pytest.fixture(scope="session")
def identity() -> DeviceIdentity:
    return DeviceIdentity.generate("Monitor A", "monitor")


@pytest.fixture(scope="session")
def other_identity() -> DeviceIdentity:
    return DeviceIdentity.generate("Monitor B", "monitor")


@pytest.fixture
def vault(tmp_path: Path) -> Iterator[Vault]:
    v = Vault.create(tmp_path / "vault", PASSPHRASE, name="Monitor A", role="monitor")
    yield v
    v.close()


@pytest.fixture
def store(vault: Vault) -> CaseStore:
    """A case store over a real vault, recording under the small test protocol."""
    return CaseStore(vault, shelf=shelf())
