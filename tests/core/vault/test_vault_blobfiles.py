"""Attachments as sealed files in the vault folder: nothing readable on disk, nothing readable
without the row's key, and files and rows kept in step through commits, rollbacks and crashes."""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path

import pytest

from intake_app.cases.attachments import CHUNK_SIZE, blob_info, delete_blob, open_blob, put_blob
from intake_app.errors import StorageError
from intake_app.vault import Vault, blobfiles
from intake_app.vault.lockfile import WriterLock

PASSPHRASE = "correct horse battery staple"
MARKER = "Гүлнар Қасымқызы, синяки на спине".encode()


@pytest.fixture
def vault(tmp_path: Path):
    v = Vault.create(tmp_path / "vault", PASSPHRASE, name="Monitor", role="monitor")
    yield v
    v.close()


def _files(vault: Vault) -> list[Path]:
    folder = vault.path / blobfiles.BLOB_DIR
    return sorted(folder.iterdir()) if folder.exists() else []


def _put(vault: Vault, data: bytes) -> str:
    with vault.write() as conn:
        return put_blob(conn, io.BytesIO(data)).sha256


def _read(vault: Vault, sha: str) -> bytes:
    with open_blob(vault.conn, sha) as fh:
        return fh.read()


def _content(size: int) -> bytes:
    return (MARKER * (size // len(MARKER) + 1))[:size]


def test_sealed_file_holds_no_plaintext_and_its_name_says_nothing(vault: Vault) -> None:
    data = _content(2 * CHUNK_SIZE + 100)
    sha = _put(vault, data)
    (path,) = _files(vault)
    raw = path.read_bytes()
    assert MARKER not in raw and MARKER[:24] not in raw
    assert sha not in path.name and blobfiles.is_file_id(path.name)
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert len(raw) == blobfiles.sealed_length(len(data))
    assert _read(vault, sha) == data


def test_every_size_round_trips(vault: Vault) -> None:
    for size in (0, 1, CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 1, 3 * CHUNK_SIZE):
        data = os.urandom(size)
        sha = _put(vault, data)
        assert sha == hashlib.sha256(data).hexdigest()
        assert _read(vault, sha) == data


@pytest.mark.parametrize("damage", ["truncated", "extended", "chunks_swapped", "bit_flipped"])
def test_a_damaged_file_is_refused_not_misread(vault: Vault, damage: str) -> None:
    sha = _put(vault, _content(3 * CHUNK_SIZE))
    (path,) = _files(vault)
    raw = bytearray(path.read_bytes())
    sealed = CHUNK_SIZE + blobfiles.TAG_SIZE
    start = len(blobfiles.MAGIC)
    if damage == "truncated":
        del raw[-sealed:]
    elif damage == "extended":
        raw += raw[start : start + sealed]
    elif damage == "chunks_swapped":
        first, second = raw[start : start + sealed], raw[start + sealed : start + 2 * sealed]
        raw[start : start + 2 * sealed] = second + first
    else:
        raw[start + sealed + 5] ^= 1
    path.write_bytes(bytes(raw))
    with pytest.raises(StorageError, match="damaged"):
        _read(vault, sha)


def test_files_swapped_between_rows_are_refused(vault: Vault) -> None:
    one = _put(vault, _content(1000))
    two = _put(vault, os.urandom(1000))
    first, second = _files(vault)
    a, b = first.read_bytes(), second.read_bytes()
    first.write_bytes(b)
    second.write_bytes(a)
    for sha in (one, two):
        with pytest.raises(StorageError, match="damaged"):
            _read(vault, sha)


def test_a_missing_file_is_a_clear_error(vault: Vault) -> None:
    sha = _put(vault, _content(5000))
    _files(vault)[0].unlink()
    with pytest.raises(StorageError, match="damaged"):
        _read(vault, sha)


def test_a_rolled_back_transaction_leaves_no_file(vault: Vault) -> None:
    with pytest.raises(RuntimeError, match="later step"), vault.write() as conn:
        put_blob(conn, io.BytesIO(_content(CHUNK_SIZE + 5)))
        assert len(_files(vault)) == 1
        raise RuntimeError("a later step of the same transaction failed")
    assert _files(vault) == []
    assert vault.conn.execute("SELECT count(*) FROM blobs").fetchone()[0] == 0


def test_the_same_bytes_again_leave_one_file(vault: Vault) -> None:
    data = _content(CHUNK_SIZE * 2)
    assert _put(vault, data) == _put(vault, data)
    assert len(_files(vault)) == 1


def test_a_deleted_blob_loses_its_file_only_when_the_deletion_commits(vault: Vault) -> None:
    sha = _put(vault, _content(4000))
    with pytest.raises(RuntimeError), vault.write() as conn:
        delete_blob(conn, sha)
        raise RuntimeError("rolled back")
    assert _read(vault, sha) == _content(4000)  # rollback: row, key and file all kept
    with vault.write() as conn:
        delete_blob(conn, sha)
    assert _files(vault) == [] and blob_info(vault.conn, sha) is None


def test_an_orphan_left_by_a_crash_is_removed_at_the_next_unlock(vault: Vault) -> None:
    kept = _put(vault, _content(3000))
    orphan = blobfiles.SealedWriter(vault.path)  # written, never recorded: a crash mid-import
    orphan.write_chunk(_content(100))
    orphan.seal()
    assert len(_files(vault)) == 2
    path = vault.path
    vault.close()
    again = Vault.open(path, PASSPHRASE)
    try:
        assert len(_files(again)) == 1
        assert _read(again, kept) == _content(3000)
    finally:
        again.close()


def test_orphans_are_left_alone_while_another_writer_holds_the_vault(vault: Vault) -> None:
    orphan = blobfiles.SealedWriter(vault.path)  # perhaps another process's import, mid-way
    orphan.write_chunk(b"x")
    orphan.seal()
    other = WriterLock(vault.path)
    path = vault.path
    vault.close()
    with other.held():
        again = Vault.open(path, PASSPHRASE)
        assert len(_files(again)) == 1
        again.close()
    other.close()


def test_attachments_of_earlier_versions_in_blob_chunks_still_read_and_erase(
    vault: Vault,
) -> None:
    data = _content(CHUNK_SIZE + 10)
    sha = hashlib.sha256(data).hexdigest()
    with vault.write() as conn:  # the layout before sealed files (migration 0005)
        conn.execute(
            "INSERT INTO blobs (sha256, blob_id, size, media_type, created_at)"
            " VALUES (?, 1, ?, 'application/octet-stream', '2026-01-01T00:00:00Z')",
            (sha, len(data)),
        )
        for seq in range(2):
            chunk = data[seq * CHUNK_SIZE : (seq + 1) * CHUNK_SIZE]
            conn.execute(
                "INSERT INTO blob_chunks (blob_id, seq, data) VALUES (1, ?, ?)", (seq, chunk)
            )
    assert _read(vault, sha) == data
    with vault.write() as conn:
        delete_blob(conn, sha)
    assert vault.conn.execute("SELECT count(*) FROM blob_chunks").fetchone()[0] == 0


def test_a_vault_from_before_sealed_files_upgrades_and_keeps_its_attachments(
    vault: Vault,
) -> None:
    old = _content(CHUNK_SIZE + 3)
    old_sha = hashlib.sha256(old).hexdigest()
    with vault.write() as conn:  # back to schema 4: no file columns, no blobs/ folder
        conn.execute("DROP INDEX blobs_file_id")
        conn.execute("ALTER TABLE blobs DROP COLUMN file_key")
        conn.execute("ALTER TABLE blobs DROP COLUMN file_id")
        conn.execute("PRAGMA user_version = 4")
        conn.execute(
            "INSERT INTO blobs (sha256, blob_id, size, media_type, created_at)"
            " VALUES (?, 1, ?, 'application/octet-stream', '2026-01-01T00:00:00Z')",
            (old_sha, len(old)),
        )
        for seq in range(2):
            conn.execute(
                "INSERT INTO blob_chunks (blob_id, seq, data) VALUES (1, ?, ?)",
                (seq, old[seq * CHUNK_SIZE : (seq + 1) * CHUNK_SIZE]),
            )
    path = vault.path
    vault.close()
    (path / blobfiles.BLOB_DIR).rmdir()
    upgraded = Vault.open(path, PASSPHRASE)  # runs migration 0005
    try:
        assert upgraded.conn.execute("PRAGMA user_version").fetchone()[0] >= 5
        assert _read(upgraded, old_sha) == old
        new = os.urandom(5000)
        sha = _put(upgraded, new)
        assert _read(upgraded, sha) == new and len(_files(upgraded)) == 1
    finally:
        upgraded.close()


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def _sealed(vault: Vault, data: bytes, flusher: blobfiles.Flusher) -> blobfiles.SealedRef:
    writer = blobfiles.SealedWriter(vault.path)
    for at in range(0, len(data), CHUNK_SIZE):
        writer.write_chunk(data[at : at + CHUNK_SIZE])
    return writer.seal(flusher)


def test_a_flusher_makes_files_durable_beside_the_caller(vault: Vault) -> None:
    before = _open_fds()
    contents = [_content(CHUNK_SIZE * 2 + i) for i in range(3)]
    with blobfiles.Flusher() as flusher:
        refs = [_sealed(vault, data, flusher) for data in contents]
        flusher.wait()
    assert _open_fds() == before  # every file closed by the flusher
    for ref, data in zip(refs, contents, strict=True):
        with blobfiles.SealedReader(vault.path, ref) as fh:
            assert fh.read() == data


def test_a_failed_flush_is_a_storage_error_and_closes_every_file(
    vault: Vault, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_fsync, calls = os.fsync, []

    def failing_fsync(fd: int) -> None:
        calls.append(fd)
        if len(calls) == 2:
            raise OSError(5, "Input/output error")
        real_fsync(fd)

    before = _open_fds()
    monkeypatch.setattr(blobfiles.os, "fsync", failing_fsync)
    with blobfiles.Flusher() as flusher:
        for i in range(3):
            _sealed(vault, _content(1000 + i), flusher)
        with pytest.raises(StorageError, match="could not be stored"):
            flusher.wait()
    assert _open_fds() == before


def test_leaving_a_flusher_on_an_error_still_closes_every_file(vault: Vault) -> None:
    before = _open_fds()
    with pytest.raises(KeyError), blobfiles.Flusher() as flusher:  # noqa: PT012
        _sealed(vault, _content(5000), flusher)
        raise KeyError("a later member was refused")
    assert _open_fds() == before
