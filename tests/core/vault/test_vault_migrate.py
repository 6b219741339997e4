"""Numbered migrations: order, one transaction each, user_version, refusal of newer vaults."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from intake_app.errors import IntakeError
from intake_app.vault import Vault
from intake_app.vault.db import connect
from intake_app.vault.migrate import VaultTooNew, discover, migrate, schema_version


def _dir(tmp_path: Path, files: dict[str, str]) -> Path:
    folder = tmp_path / "migrations"
    folder.mkdir()
    for name, sql in files.items():
        (folder / name).write_text(sql)
    return folder


def _db(tmp_path: Path):  # noqa: ANN202
    return connect(tmp_path / "t.db", secrets.token_bytes(32), create=True)


def test_shipped_migrations_applied_in_order(vault: Vault) -> None:
    shipped = discover()
    assert shipped[0].name == "0001_vault.sql"
    assert [m.number for m in shipped] == list(range(1, len(shipped) + 1))
    assert schema_version(vault.conn) == shipped[-1].number


def test_migrations_run_in_order_and_set_user_version(tmp_path: Path) -> None:
    folder = _dir(tmp_path, {
        "0002_b.sql": "INSERT INTO t VALUES ('second');",
        "0001_a.sql": "CREATE TABLE t (x TEXT);\nINSERT INTO t VALUES ('first');",
    })
    conn = _db(tmp_path)
    assert migrate(conn, discover(folder)) == 2
    assert [r[0] for r in conn.execute("SELECT x FROM t ORDER BY rowid")] == ["first", "second"]
    assert migrate(conn, discover(folder)) == 2  # nothing pending: nothing re-run
    assert conn.execute("SELECT count(*) FROM t").fetchone() == (2,)


def test_failing_migration_rolls_back_whole_step(tmp_path: Path) -> None:
    folder = _dir(tmp_path, {
        "0001_a.sql": "CREATE TABLE t (x TEXT);",
        "0002_b.sql": "CREATE TABLE u (y TEXT);\nINSERT INTO nowhere VALUES (1);",
    })
    conn = _db(tmp_path)
    with pytest.raises(IntakeError, match="0002_b.sql"):
        migrate(conn, discover(folder))
    assert schema_version(conn) == 1
    assert not conn.in_transaction
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert tables == {"t"}


@pytest.mark.parametrize("files", [
    {"0001_a.sql": "SELECT 1;", "0003_c.sql": "SELECT 1;"},
    {"0001_a.sql": "SELECT 1;", "0001_b.sql": "SELECT 1;"},
    {"1_a.sql": "SELECT 1;"},
    {"0001_a.sql": "BEGIN;\nSELECT 1;\nCOMMIT;"},
])
def test_malformed_migration_sets_refused(tmp_path: Path, files: dict[str, str]) -> None:
    with pytest.raises(RuntimeError):
        discover(_dir(tmp_path, files))


def test_trigger_bodies_are_not_mistaken_for_transactions(tmp_path: Path) -> None:
    folder = _dir(tmp_path, {"0001_a.sql": "CREATE TABLE t (x);\nCREATE TRIGGER g AFTER "
                             "INSERT ON t\nBEGIN\n  SELECT 1;\nEND;"})
    assert migrate(_db(tmp_path), discover(folder)) == 1


def test_vault_from_a_newer_version_refused(vault: Vault, vault_dir: Path,
                                            passphrase: str) -> None:
    vault.conn.execute("PRAGMA user_version = 9999")
    vault.close()
    with pytest.raises(VaultTooNew) as info:
        Vault.open(vault_dir, passphrase)
    assert "newer version" in str(info.value)
