"""The faster storage layout of new vaults (16 KiB pages, HMAC-SHA256, recorded in header.json)
and vaults made before it (SQLCipher defaults, nothing recorded): both open, back up and
restore; a header that names the wrong settings is reported as damage, never a crash."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from intake_app.cases.attachments import CHUNK_SIZE, BlobSink, export_blob, put_blob
from intake_app.errors import VaultDamaged
from intake_app.lifecycle.backup import backup, restore
from intake_app.vault import Vault, cipher, folder
from intake_app.vault.blobfiles import BLOB_DIR, sealed_length
from intake_app.vault.header import HEADER_NAME


def _settings(vault: Vault) -> tuple[int, str]:
    page = vault.conn.execute("PRAGMA cipher_page_size").fetchone()[0]
    hmac = vault.conn.execute("PRAGMA cipher_hmac_algorithm").fetchone()[0]
    return int(page), str(hmac)


def _header(path: Path) -> dict:
    return json.loads((path / HEADER_NAME).read_text())


@pytest.fixture
def legacy_vault(tmp_path: Path, passphrase: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A vault as versions before the recorded settings made it (SQLCipher's defaults)."""
    monkeypatch.setattr(folder.cipher, "NEW_VAULTS", cipher.LEGACY)
    path = tmp_path / "old"
    Vault.create(path, passphrase, name="Old laptop", role="monitor").close()
    monkeypatch.undo()
    return path


def test_new_vault_records_and_uses_its_page_settings(vault: Vault, vault_dir: Path) -> None:
    assert _header(vault_dir)["sqlcipher"] == {"page_size": 16384, "hmac": "HMAC_SHA256"}
    assert _settings(vault) == (16384, "HMAC_SHA256")
    assert vault.cipher_profile == cipher.NEW_VAULTS


def test_vault_made_before_the_setting_opens_with_sqlcipher_defaults(
    legacy_vault: Path, passphrase: str, tmp_path: Path
) -> None:
    assert "sqlcipher" not in _header(legacy_vault)  # byte-compatible with older headers
    data = os.urandom(3 * 1024 * 1024 + 5)
    source = tmp_path / "photo.bin"
    source.write_bytes(data)
    with Vault.open(legacy_vault, passphrase) as v:
        assert _settings(v) == (4096, "HMAC_SHA512")
        with source.open("rb") as fh, v.write() as conn:
            info = put_blob(conn, fh)
    with Vault.open(legacy_vault, passphrase) as v:
        export_blob(v.conn, info.sha256, tmp_path / "out.bin")
        assert v.conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert (tmp_path / "out.bin").read_bytes() == data


@pytest.mark.parametrize(
    "settings",
    [
        {"page_size": 4096, "hmac": "HMAC_SHA512"},  # the other layout: pages do not verify
        {"page_size": 65536, "hmac": "HMAC_SHA256"},
        {"page_size": 1000, "hmac": "HMAC_SHA256"},  # not a page size
        {"page_size": 16384, "hmac": "HMAC_MD5"},  # not accepted
        {"page_size": "16384", "hmac": "HMAC_SHA256"},
        {"page_size": 16384, "hmac": "HMAC_SHA256", "kdf_iter": 1},  # unknown key
        "fast",
    ],
)
def test_header_naming_other_page_settings_is_damage_not_a_crash(
    vault_dir: Path, passphrase: str, settings: object
) -> None:
    Vault.create(vault_dir, passphrase, name="Monitor", role="monitor").close()
    header = _header(vault_dir)
    header["sqlcipher"] = settings
    (vault_dir / HEADER_NAME).write_text(json.dumps(header))
    with pytest.raises(VaultDamaged):
        Vault.open(vault_dir, passphrase)


def test_header_of_new_vault_stripped_of_its_settings_is_damage(
    vault_dir: Path, passphrase: str
) -> None:
    Vault.create(vault_dir, passphrase, name="Monitor", role="monitor").close()
    header = _header(vault_dir)
    del header["sqlcipher"]
    (vault_dir / HEADER_NAME).write_text(json.dumps(header))
    with pytest.raises(VaultDamaged):
        Vault.open(vault_dir, passphrase)


@pytest.mark.parametrize("which", ["new", "legacy"])
def test_backup_copy_keeps_the_vaults_page_settings(
    which: str, vault_dir: Path, legacy_vault: Path, passphrase: str, tmp_path: Path
) -> None:
    if which == "new":
        Vault.create(vault_dir, passphrase, name="Monitor", role="monitor").close()
        source, expected = vault_dir, (16384, "HMAC_SHA256")
    else:
        source, expected = legacy_vault, (4096, "HMAC_SHA512")
    with Vault.open(source, passphrase) as v:
        with v.write():
            sink = BlobSink(v.conn)
            sink.write(b"\x89PNG\r\n\x1a\n" + os.urandom(2_000_000))
            info = sink.finish()
        backup(v, tmp_path / "vault.backup")
    restored = tmp_path / "restored"
    restore(tmp_path / "vault.backup", restored, passphrase)
    with Vault.open(restored, passphrase) as v:
        assert _settings(v) == expected
        assert v.conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        export_blob(v.conn, info.sha256, tmp_path / "back.png")
    # The process-wide defaults that VACUUM INTO used are back to SQLCipher's own.
    with Vault.open(source, passphrase) as v:
        assert v.conn.execute("PRAGMA cipher_default_page_size").fetchone()[0] == "4096"
        assert v.conn.execute("PRAGMA cipher_default_hmac_algorithm").fetchone()[0] == (
            "HMAC_SHA512"
        )


def test_caller_hashed_sink_takes_the_checked_hash_and_refuses_none(vault: Vault) -> None:
    data = b"%PDF-" + os.urandom(2_500_000)
    sha = hashlib.sha256(data).hexdigest()
    with vault.write() as conn:
        sink = BlobSink(conn, max_size=len(data), hashed_by_caller=True)
        for i in range(0, len(data), 700_000):
            sink.write(data[i : i + 700_000])
        info = sink.finish(sha)
        unchecked = BlobSink(conn, hashed_by_caller=True)
        unchecked.write(b"anything")
        with pytest.raises(ValueError, match="checked hash"):
            unchecked.finish()
    assert (info.sha256, info.size, info.media_type) == (sha, len(data), "application/pdf")
    files = sorted((vault.path / BLOB_DIR).iterdir())
    assert len(files) == 1  # the refused sink left nothing behind
    assert files[0].stat().st_size == sealed_length(len(data))



def test_sink_stores_pieces_of_any_size_and_keeps_none_of_them(
    vault: Vault, tmp_path: Path
) -> None:
    # The importer's pieces follow the tar stream, so they straddle chunks: a whole chunk
    # arriving after a part-filled one, views, and a buffer the caller reuses at once.
    data = os.urandom(4 * CHUNK_SIZE + 12_345)
    sizes = [100, CHUNK_SIZE, 1, CHUNK_SIZE - 101, 2 * CHUNK_SIZE]
    reused = bytearray()
    at = 0
    with vault.write() as conn:
        sink = BlobSink(conn)
        for i, size in enumerate([*sizes, len(data)]):
            piece = data[at : at + size]
            at += len(piece)
            if i % 2:
                sink.write(memoryview(piece))
            else:
                reused[:] = piece
                sink.write(reused)
                reused[:] = b"\xff" * len(reused)  # what the sink keeps, it must have copied
        info = sink.finish()
    assert at == len(data)
    assert (info.sha256, info.size) == (hashlib.sha256(data).hexdigest(), len(data))
    export_blob(vault.conn, info.sha256, tmp_path / "back.bin")
    assert (tmp_path / "back.bin").read_bytes() == data
