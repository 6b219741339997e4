"""Fixtures for the cases tests: a real schema in a real SQLCipher database, real keys."""

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
from intake_app.vault.db import connect
from intake_app.vault.migrate import migrate

os.environ.setdefault("INTAKE_TEST_FAST_KDF", "1")


@pytest.fixture
def db(tmp_path: Path) -> Iterator[sqlcipher3.Connection]:
    """The vault schema (all migrations) in a keyed SQLCipher database in a folder of its own
    (attachments are files beside it), autocommit mode."""
    folder = tmp_path / "db"
    folder.mkdir()
    conn = connect(folder / "vault.db", bytes([0x11]) * 32, create=True)
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
