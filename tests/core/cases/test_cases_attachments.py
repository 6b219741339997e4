"""Attachments: streamed, hashed while streaming, deduplicated, exported atomically."""

from __future__ import annotations

import hashlib
import io
import os
import tracemalloc
from pathlib import Path

import pytest
from PIL import Image

from intake_app.cases.attachments import (
    CHUNK_SIZE,
    attachment_entry,
    blob_info,
    clean_name,
    delete_blob,
    exif_captured_at,
    export_blob,
    open_blob,
    put_blob,
    sniff_media_type,
)
from intake_app.errors import Cancelled, NotFound, StorageError, ValidationError
from intake_app.progress import CancelToken
from intake_app.vault import blobfiles


class PatternStream(io.RawIOBase):
    """Deterministic bytes of a given size, produced on the fly (never held in memory)."""

    def __init__(self, size: int, seed: int = 1) -> None:
        self.left = size
        self.block = hashlib.sha256(str(seed).encode()).digest() * 2048  # 64 KiB

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        n = min(len(b), self.left, len(self.block))
        b[:n] = self.block[:n]
        self.left -= n
        return n


def _sha_of_stream(size, seed=1):
    h = hashlib.sha256()
    s = PatternStream(size, seed)
    while chunk := s.read(CHUNK_SIZE):
        h.update(chunk)
    return h.hexdigest()


def _files(db) -> list[Path]:
    """The sealed attachment files in the vault folder."""
    folder = blobfiles.vault_folder(db) / blobfiles.BLOB_DIR
    return sorted(folder.iterdir()) if folder.exists() else []


def _chunks(db):
    """Chunks the sealed files hold (each file: magic, then chunk + tag per CHUNK_SIZE)."""
    total = 0
    for path in _files(db):
        content = path.stat().st_size - len(blobfiles.MAGIC)
        total += -(-content // (CHUNK_SIZE + blobfiles.TAG_SIZE))
    return total


def test_hash_computed_while_streaming_and_reads_back(db):
    size = 3 * CHUNK_SIZE + 123
    info = put_blob(db, PatternStream(size))
    assert info.sha256 == _sha_of_stream(size) and info.size == size
    assert _chunks(db) == 4
    with open_blob(db, info.sha256) as fh:
        assert hashlib.sha256(fh.read()).hexdigest() == info.sha256


def test_same_bytes_twice_are_stored_once(db):
    first = put_blob(db, io.BytesIO(b"%PDF-1.4 certificate" * 1000))
    second = put_blob(db, io.BytesIO(b"%PDF-1.4 certificate" * 1000))
    assert first == second
    assert db.execute("SELECT count(*) FROM blobs").fetchone()[0] == 1
    assert _chunks(db) == 1
    assert first.media_type == "application/pdf"


def test_empty_file_is_a_valid_attachment(db):
    info = put_blob(db, io.BytesIO(b""))
    assert info.sha256 == hashlib.sha256(b"").hexdigest() and info.size == 0
    with open_blob(db, info.sha256) as fh:
        assert fh.read() == b""


def test_attachment_whose_bytes_do_not_match_manifest_hash_is_refused(db):
    with pytest.raises(ValidationError, match="do not match"):
        put_blob(db, io.BytesIO(b"x" * 5000), expected_sha256="00" * 32)
    assert db.execute("SELECT count(*) FROM blobs").fetchone()[0] == 0
    assert _chunks(db) == 0


def test_attachment_over_the_size_cap_is_refused_and_nothing_kept(db):
    with pytest.raises(ValidationError, match="larger"):
        put_blob(db, PatternStream(3 * CHUNK_SIZE), max_size=2 * CHUNK_SIZE)
    assert _chunks(db) == 0


def test_cancel_during_put_keeps_nothing(db):
    token = CancelToken()

    def progress(done, total, what):
        if done >= 2 * CHUNK_SIZE:
            token.cancel()

    with pytest.raises(Cancelled):
        put_blob(db, PatternStream(5 * CHUNK_SIZE), progress=progress, cancel=token)
    assert _chunks(db) == 0


def test_very_large_attachment_streams_with_flat_memory(db):
    size = 48 * CHUNK_SIZE
    tracemalloc.start()
    try:
        info = put_blob(db, PatternStream(size))
        with open_blob(db, info.sha256) as fh:
            h = hashlib.sha256()
            while chunk := fh.read(CHUNK_SIZE):
                h.update(chunk)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert h.hexdigest() == info.sha256
    assert peak < 8 * CHUNK_SIZE, f"peak Python allocation {peak} bytes for a {size} byte file"


def test_export_blob_is_atomic_and_exact(db, tmp_path):
    info = put_blob(db, PatternStream(2 * CHUNK_SIZE + 5))
    outputs = tmp_path / "out"
    outputs.mkdir()
    out = outputs / "copy.bin"
    export_blob(db, info.sha256, out)
    assert hashlib.sha256(out.read_bytes()).hexdigest() == info.sha256
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    assert [p.name for p in outputs.iterdir()] == ["copy.bin"]


def test_export_of_a_damaged_blob_leaves_no_file(db, tmp_path):
    info = put_blob(db, PatternStream(2 * CHUNK_SIZE))
    (path,) = _files(db)
    with path.open("r+b") as fh:  # one bit of the second chunk
        fh.seek(len(blobfiles.MAGIC) + CHUNK_SIZE + blobfiles.TAG_SIZE + 7)
        byte = fh.read(1)
        fh.seek(-1, os.SEEK_CUR)
        fh.write(bytes([byte[0] ^ 1]))
    outputs = tmp_path / "out"
    outputs.mkdir()
    with pytest.raises(StorageError, match="damaged"):
        export_blob(db, info.sha256, outputs / "copy.bin")
    assert list(outputs.iterdir()) == []


def test_unknown_blob_is_not_found(db, tmp_path):
    with pytest.raises(NotFound):
        open_blob(db, "00" * 32)
    with pytest.raises(NotFound):
        export_blob(db, "00" * 32, tmp_path / "x")


def test_delete_blob_erases_the_key_then_the_file_once_committed(db):
    info = put_blob(db, PatternStream(CHUNK_SIZE + 1))
    delete_blob(db, info.sha256)
    assert blob_info(db, info.sha256) is None
    assert len(_files(db)) == 1  # the file goes after the commit (Vault.write does this)
    blobfiles.unlink_released(db, blobfiles.vault_folder(db))
    assert _files(db) == []


@pytest.mark.parametrize(
    ("head", "media_type"),
    [
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"),
        (b"\x89PNG\r\n\x1a\n\x00", "image/png"),
        (b"%PDF-1.7\n", "application/pdf"),
        (b"ID3\x04\x00", "audio/mpeg"),
        (b"\xff\xfb\x90\x64", "audio/mpeg"),
        (b"\x00\x00\x00\x20ftypM4A \x00", "audio/mp4"),
        (b"OggS\x00\x02", "audio/ogg"),
        (b"RIFF\x24\x00\x00\x00WAVEfmt ", "audio/wav"),
        (b"MZ\x90\x00", "application/octet-stream"),
        (b"", "application/octet-stream"),
    ],
)
def test_media_type_is_sniffed_from_magic_bytes(head, media_type):
    assert sniff_media_type(head) == media_type


def _jpeg(exif_date=None) -> bytes:
    image = Image.new("RGB", (8, 8), "red")
    exif = Image.Exif()
    if exif_date:
        exif.get_ifd(0x8769)[0x9003] = exif_date
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def test_captured_at_from_exif_date_time_original(db):
    info = put_blob(db, io.BytesIO(_jpeg("2022:01:09 14:03:27")))
    assert info.media_type == "image/jpeg"
    assert info.captured_at == "2022-01-09T14:03:27"


def test_no_or_malformed_exif_gives_no_capture_time():
    assert exif_captured_at(_jpeg()) is None
    assert exif_captured_at(_jpeg("yesterday")) is None
    assert exif_captured_at(b"\xff\xd8\xff" + os.urandom(100)) is None


def test_recorded_name_is_a_base_name_of_bounded_length():
    assert clean_name("/home/monitor/Фото/травма.jpg") == "травма.jpg"
    assert clean_name("C:\\Users\\x\\scan.pdf") == "scan.pdf"
    assert clean_name("..") == "attachment"
    assert len(clean_name("я" * 1000)) == 255


def test_attachment_entry_shape(db):
    info = put_blob(db, io.BytesIO(b"%PDF-1.4"))
    entry = attachment_entry(info, "dir/решение.pdf")
    assert entry == {
        "sha256": info.sha256,
        "size": 8,
        "media_type": "application/pdf",
        "name": "решение.pdf",
        "captured_at": None,
    }
