"""Create, open, wrong passphrase, damaged and foreign files, permissions, plaintext on disk."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
from pathlib import Path

import pytest

from intake_app.errors import NoVault, VaultDamaged, VaultExists, VaultLocked, WrongPassphrase
from intake_app.vault import Vault
from intake_app.vault import audit as audit_log
from intake_app.vault.header import DAMAGED_MESSAGE, load_header
from intake_app.vault.kdf import KdfParams

MARKERS = ("ЖАРАҚАТ-маркер-әғқңөұүһі", "ASCIIMARKER123")
# Russian, Kazakh, Arabic (RTL), an emoji ZWJ family, U+202E and a control character.
HARD_TEXT = (
    "Он сказал: «Подпишите» — Ол: «қол қойыңыз» әғқңөұүһі "
    "شهادة الضحية 👨‍👩‍👧‍👦 \u202eevil\u202c tab\there \x07 e\u0301"
)


def _write_meta(vault: Vault, key: str, value: str) -> None:
    with vault.write() as conn:
        conn.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (key, value))


def test_create_then_open_round_trip(vault: Vault, vault_dir: Path, passphrase: str) -> None:
    fingerprint = vault.identity.fingerprint
    _write_meta(vault, "probe", "kept")
    vault.close()
    reopened = Vault.open(vault_dir, passphrase)
    try:
        assert reopened.identity.fingerprint == fingerprint
        assert reopened.identity.name == "Test monitor"
        assert reopened.identity.category == "coalition"
        row = reopened.conn.execute("SELECT value FROM meta WHERE key = 'probe'").fetchone()
        assert row == ("kept",)
        assert reopened.vault_id == load_header(vault_dir).vault_id
    finally:
        reopened.close()


def test_pragmas_in_force(vault: Vault) -> None:
    conn = vault.conn
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA secure_delete").fetchone()[0] == 1
    assert conn.execute("PRAGMA temp_store").fetchone()[0] == 2  # MEMORY
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 5000
    assert conn.execute("PRAGMA cipher_memory_security").fetchone()[0] == "1"
    assert conn.isolation_level is None


def test_wrong_passphrase_is_wrong_passphrase(vault: Vault, vault_dir: Path) -> None:
    vault.close()
    with pytest.raises(WrongPassphrase) as info:
        Vault.open(vault_dir, "not the passphrase")
    assert str(info.value) == "Wrong passphrase."
    assert info.value.exit_code == 3


def test_failed_unlocks_counted_then_logged_at_next_unlock(
    vault: Vault, vault_dir: Path, passphrase: str
) -> None:
    vault.close()
    for _ in range(3):
        with pytest.raises(WrongPassphrase):
            Vault.open(vault_dir, "wrong passphrase")
    assert load_header(vault_dir).failed_unlocks == 3
    with Vault.open(vault_dir, passphrase) as v:
        assert v.failed_unlocks_reported == 3
        last = audit_log.entries(v.conn)[-1]
        assert (last.action, last.record) == ("vault.unlock_failed_attempts", "3")
        assert audit_log.verify(v.conn) == []
    assert load_header(vault_dir).failed_unlocks == 0
    with Vault.open(vault_dir, passphrase) as v:  # no lockout, nothing new to report
        assert v.failed_unlocks_reported == 0


def test_passphrase_is_nfc_normalised(tmp_path: Path) -> None:
    composed, decomposed = "қазақша сөз é", "қазақша сөз e\u0301"
    Vault.create(tmp_path / "v", composed, name="N", role="monitor").close()
    Vault.open(tmp_path / "v", decomposed).close()


def test_damaged_database_is_damaged_not_wrong_passphrase(
    vault: Vault, vault_dir: Path, passphrase: str
) -> None:
    vault.close()
    db = vault_dir / "vault.db"
    data = bytearray(db.read_bytes())
    data[100:4096] = os.urandom(4096 - 100)  # the first page, past SQLCipher's salt
    db.write_bytes(bytes(data))
    with pytest.raises(VaultDamaged) as info:
        Vault.open(vault_dir, passphrase)
    assert str(info.value) == DAMAGED_MESSAGE
    assert str(info.value) != "Wrong passphrase."


def test_foreign_plain_sqlite_file_is_damaged(vault: Vault, vault_dir: Path,
                                              passphrase: str) -> None:
    vault.close()
    (vault_dir / "vault.db").unlink()
    plain = sqlite3.connect(vault_dir / "vault.db")
    plain.execute("CREATE TABLE t (x)")
    plain.commit()
    plain.close()
    with pytest.raises(VaultDamaged):
        Vault.open(vault_dir, passphrase)


def test_foreign_random_file_and_empty_db_are_damaged(vault: Vault, vault_dir: Path,
                                                      passphrase: str) -> None:
    vault.close()
    (vault_dir / "vault.db").write_bytes(os.urandom(8192))
    with pytest.raises(VaultDamaged):
        Vault.open(vault_dir, passphrase)
    (vault_dir / "vault.db").write_bytes(b"")
    with pytest.raises(VaultDamaged):
        Vault.open(vault_dir, passphrase)


def test_database_of_another_vault_is_damaged(tmp_path: Path, passphrase: str) -> None:
    Vault.create(tmp_path / "a", passphrase, name="A", role="monitor").close()
    Vault.create(tmp_path / "b", passphrase, name="B", role="monitor").close()
    (tmp_path / "a" / "vault.db").write_bytes((tmp_path / "b" / "vault.db").read_bytes())
    with pytest.raises(VaultDamaged):
        Vault.open(tmp_path / "a", passphrase)


@pytest.mark.parametrize("content", [b"", b"{", b"[]", b"\xff\xfe", b'{"format": "x"}',
                                     b"{" * 100000])
def test_unparsable_header_is_damaged(vault: Vault, vault_dir: Path, passphrase: str,
                                      content: bytes) -> None:
    vault.close()
    (vault_dir / "header.json").write_bytes(content)
    with pytest.raises(VaultDamaged):
        Vault.open(vault_dir, passphrase)


def test_key_check_mismatch_is_damaged(vault: Vault, vault_dir: Path, passphrase: str) -> None:
    vault.close()
    header = json.loads((vault_dir / "header.json").read_text())
    header["key_check"] = "00" * 32
    (vault_dir / "header.json").write_text(json.dumps(header))
    with pytest.raises(VaultDamaged):
        Vault.open(vault_dir, passphrase)


def test_huge_kdf_parameters_refused_before_deriving(vault: Vault, vault_dir: Path,
                                                     passphrase: str) -> None:
    vault.close()
    header = json.loads((vault_dir / "header.json").read_text())
    header["slots"]["passphrase"]["kdf"]["memory_kib"] = 64 * 1024 * 1024  # 64 GiB
    (vault_dir / "header.json").write_text(json.dumps(header))
    with pytest.raises(VaultDamaged):
        Vault.open(vault_dir, passphrase)


def test_missing_header_or_db(vault: Vault, vault_dir: Path, passphrase: str,
                              tmp_path: Path) -> None:
    vault.close()
    with pytest.raises(NoVault):
        Vault.open(tmp_path / "nowhere", passphrase)
    (vault_dir / "header.json").rename(tmp_path / "header.json")
    with pytest.raises(VaultDamaged):
        Vault.open(vault_dir, passphrase)
    (tmp_path / "header.json").rename(vault_dir / "header.json")
    (vault_dir / "vault.db").unlink()
    with pytest.raises(VaultDamaged):
        Vault.open(vault_dir, passphrase)


def test_create_refuses_existing_vault_and_non_empty_folder(vault: Vault, vault_dir: Path,
                                                             tmp_path: Path) -> None:
    before = (vault_dir / "header.json").read_bytes()
    with pytest.raises(VaultExists):
        Vault.create(vault_dir, "another passphrase", name="X", role="monitor")
    assert (vault_dir / "header.json").read_bytes() == before
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    with pytest.raises(VaultExists):
        Vault.create(other, "another passphrase", name="X", role="monitor")
    assert sorted(p.name for p in other.iterdir()) == ["notes.txt"]
    assert not [p for p in tmp_path.iterdir() if ".creating-" in p.name]


def test_create_into_existing_empty_folder(tmp_path: Path, passphrase: str) -> None:
    folder = tmp_path / "empty"
    folder.mkdir(mode=0o755)
    Vault.create(folder, passphrase, name="X", role="coordinator").close()
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    with Vault.open(folder, passphrase) as v:
        assert v.identity.role == "coordinator"
        assert v.identity.category == "coalition"


def test_short_passphrase_refused(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="too short"):
        Vault.create(tmp_path / "v", "short", name="X", role="monitor")
    assert not (tmp_path / "v").exists()


def test_closed_vault_refuses_use_and_close_is_idempotent(vault: Vault) -> None:
    vault.close()
    vault.close()
    with pytest.raises(VaultLocked):
        _ = vault.conn
    with pytest.raises(VaultLocked):
        _ = vault.identity


def test_permissions_folder_0700_files_0600(vault: Vault, vault_dir: Path) -> None:
    _write_meta(vault, "k", "v")  # makes -wal and -shm exist
    assert stat.S_IMODE(vault_dir.stat().st_mode) == 0o700
    names = sorted(p.name for p in vault_dir.iterdir())
    assert {"vault.db", "header.json", "lock", "vault.db-wal", "vault.db-shm"} <= set(names)
    for child in vault_dir.iterdir():
        wanted = 0o700 if child.is_dir() else 0o600  # blobs/: the attachment files
        assert stat.S_IMODE(child.stat().st_mode) == wanted, child.name


def test_loosened_permissions_tightened_on_open(vault: Vault, vault_dir: Path,
                                                passphrase: str) -> None:
    vault.close()
    os.chmod(vault_dir, 0o755)
    os.chmod(vault_dir / "header.json", 0o644)
    Vault.open(vault_dir, passphrase).close()
    assert stat.S_IMODE(vault_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE((vault_dir / "header.json").stat().st_mode) == 0o600


def test_markers_never_on_disk_in_plaintext(vault: Vault, vault_dir: Path) -> None:
    with vault.write() as conn:
        for i, marker in enumerate(MARKERS):
            conn.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (f"m{i}", marker * 50))
    # Files as they are while the vault is open (WAL not yet checkpointed) and after closing.
    for phase in ("open", "closed"):
        blobs = {p.name: p.read_bytes() for p in vault_dir.iterdir() if p.is_file()}
        assert "vault.db-wal" in blobs or phase == "closed"
        for name, data in blobs.items():
            assert b"SQLite format 3" not in data, (phase, name)
            for marker in MARKERS:
                for encoding in ("utf-8", "utf-16-le", "utf-16-be"):
                    assert marker.encode(encoding) not in data, (phase, name, encoding)
        vault.close()


def test_text_byte_exact_through_a_table(vault: Vault, vault_dir: Path, passphrase: str) -> None:
    _write_meta(vault, "hard", HARD_TEXT)
    vault.close()
    with Vault.open(vault_dir, passphrase) as v:
        value = v.conn.execute("SELECT value FROM meta WHERE key = 'hard'").fetchone()[0]
    assert value.encode("utf-8") == HARD_TEXT.encode("utf-8")


def test_header_holds_production_kdf_outside_tests(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PYTEST_CURRENT_TEST")
    params = KdfParams.fresh()
    assert (params.memory_kib, params.iterations, params.lanes) == (65536, 3, 4)
    monkeypatch.setenv("PYTEST_CURRENT_TEST", "x")
    monkeypatch.setenv("INTAKE_TEST_FAST_KDF", "0")
    assert KdfParams.fresh().memory_kib == 65536


def test_weak_stored_kdf_raised_on_unlock(vault: Vault, vault_dir: Path, passphrase: str,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    vault.close()
    assert load_header(vault_dir).slots["passphrase"].kdf.memory_kib == 8  # type: ignore
    monkeypatch.setattr(KdfParams, "fresh", classmethod(
        lambda cls: cls(1024, 2, 1, os.urandom(16))))
    Vault.open(vault_dir, passphrase).close()
    kdf = load_header(vault_dir).slots["passphrase"].kdf
    assert kdf is not None and (kdf.memory_kib, kdf.iterations) == (1024, 2)
    Vault.open(vault_dir, passphrase).close()


def test_sequence_starts_random_48_bit_and_increments(vault: Vault, tmp_path: Path,
                                                      passphrase: str) -> None:
    with vault.write() as conn:
        first = vault.next_sequence(conn)
        second = vault.next_sequence(conn)
    assert 0 <= first < 2**48 and second == first + 1
    other = Vault.create(tmp_path / "other", passphrase, name="O", role="monitor")
    with other, other.write() as conn:
        assert other.next_sequence(conn) != first
    with pytest.raises(RuntimeError):
        vault.next_sequence(vault.conn)


def test_write_rolls_back_on_error(vault: Vault) -> None:
    with pytest.raises(ZeroDivisionError), vault.write() as conn:
        conn.execute("INSERT INTO meta (key, value) VALUES ('gone', 'x')")
        _ = 1 / 0
    assert vault.conn.execute("SELECT count(*) FROM meta WHERE key = 'gone'").fetchone() == (0,)
    assert not vault.conn.in_transaction
    with pytest.raises(RuntimeError), vault.write(), vault.write():
        pass
