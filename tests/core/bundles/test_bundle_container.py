"""The outer ZIP: deterministic writing, strict reading, every malformed layout refused."""

from __future__ import annotations

import io
import os
import struct
import zipfile
import zlib

import pytest

from intake_app.bundles import container
from intake_app.errors import BundleRefused

SIG = b"untrusted comment: x\nRUQ=\ntrusted comment: y\nAAAA\n"


def _bundle(payload: bytes, signature: bytes = SIG) -> bytes:
    out = io.BytesIO()
    container.write_container(out, io.BytesIO(payload), len(payload), signature)
    return out.getvalue()


def _read(blob: bytes) -> container.Container:
    return container.read_container(io.BytesIO(blob))


def test_round_trip_gives_payload_range_and_signature():
    payload = os.urandom(100_000)
    blob = _bundle(payload)
    c = _read(blob)
    assert blob[c.payload_offset : c.payload_offset + c.payload_size] == payload
    assert c.signature == SIG
    assert container.payload_reader(io.BytesIO(blob), c).read() == payload


def test_writer_is_deterministic_and_carries_no_metadata():
    payload = b"age data"
    blob = _bundle(payload)
    assert blob == _bundle(payload)
    with zipfile.ZipFile(io.BytesIO(blob)) as zf:
        infos = zf.infolist()
        assert [i.filename for i in infos] == ["payload.age", "payload.age.minisig"]
        for info in infos:
            assert info.date_time == (1980, 1, 1, 0, 0, 0)
            assert info.compress_type == zipfile.ZIP_STORED
            assert info.extra == b"" and info.comment == b""
            assert info.external_attr >> 16 == 0o100600
        assert zf.comment == b""
        assert zf.read("payload.age") == payload and zf.testzip() is None


def test_standard_unzip_tool_lists_the_two_entries(tmp_path):
    import shutil
    import subprocess

    if shutil.which("unzip") is None:
        pytest.skip("unzip not installed")
    path = tmp_path / "b.intake"
    path.write_bytes(_bundle(b"abc"))
    out = subprocess.run(["unzip", "-l", str(path)], capture_output=True, text=True, check=True)
    assert "payload.age.minisig" in out.stdout


@pytest.mark.parametrize("cut", [1, 16, 22, 65536])
def test_truncated_bundle_is_refused(cut):
    blob = _bundle(os.urandom(200_000))
    with pytest.raises(BundleRefused):
        _read(blob[:-cut])


def test_truncated_at_a_64k_boundary_is_refused():
    blob = _bundle(os.urandom(200_000))
    with pytest.raises(BundleRefused):
        _read(blob[: 3 * 65536])


def test_empty_file_is_refused():
    with pytest.raises(BundleRefused, match="empty"):
        _read(b"")


def test_non_zip_is_refused():
    with pytest.raises(BundleRefused, match="not a ZIP"):
        _read(b"age-encryption.org/v1\n" + bytes(500))


def test_trailing_garbage_is_refused():
    with pytest.raises(BundleRefused):
        _read(_bundle(b"abc") + b"\x00")


def test_prepended_data_is_refused():
    with pytest.raises(BundleRefused):
        _read(b"MZ" + _bundle(b"abc"))


def _zip(entries, compress=zipfile.ZIP_STORED, extra=b"", comment=b"") -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=compress) as zf:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = compress
            info.extra = extra
            zf.writestr(info, data)
        zf.comment = comment
    return buf.getvalue()


def test_same_layout_written_by_zipfile_is_accepted():
    # Our reader is not tied to our writer: a plain stored ZIP with the two entries works.
    blob = _zip([("payload.age", b"abc"), ("payload.age.minisig", SIG)])
    assert _read(blob).signature == SIG


@pytest.mark.parametrize(
    "entries",
    [
        [("payload.age", b"abc")],
        [("payload.age.minisig", SIG)],
        [("payload.age", b"abc"), ("payload.age.minisig", SIG), ("extra.txt", b"x")],
        [("payload.age.minisig", SIG), ("payload.age", b"abc")],
        [("payload.age", b"abc"), ("payload.age", b"abd")],
        [("payload.age", b"abc"), ("../payload.age.minisig", SIG)],
        [("Payload.age", b"abc"), ("payload.age.minisig", SIG)],
    ],
    ids=[
        "missing-signature",
        "missing-payload",
        "extra-entry",
        "wrong-order",
        "duplicate",
        "dotdot-name",
        "odd-case-name",
    ],
)
def test_wrong_entries_are_refused(entries):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate name
        blob = _zip(entries)
    with pytest.raises(BundleRefused):
        _read(blob)


def test_compressed_entry_is_refused():
    blob = _zip([("payload.age", b"a" * 1000), ("payload.age.minisig", SIG)], zipfile.ZIP_DEFLATED)
    with pytest.raises(BundleRefused, match="compressed"):
        _read(blob)


def test_entry_with_extra_field_is_refused():
    blob = _zip([("payload.age", b"a"), ("payload.age.minisig", SIG)], extra=b"UT\x01\x00\x00")
    with pytest.raises(BundleRefused):
        _read(blob)


def test_archive_comment_is_refused():
    blob = _zip([("payload.age", b"a"), ("payload.age.minisig", SIG)], comment=b"hello")
    with pytest.raises(BundleRefused):
        _read(blob)


def test_payload_crc_mismatch_is_refused():
    blob = bytearray(_bundle(b"abcdef"))
    blob[41] ^= 1  # first payload byte: 30-byte header + 11-byte name
    with pytest.raises(BundleRefused, match="CRC"):
        _read(bytes(blob))
    assert container.read_container(io.BytesIO(bytes(blob)), verify_crc=False)


def test_local_header_disagreeing_with_directory_is_refused():
    blob = bytearray(_bundle(b"abcdef"))
    struct.pack_into("<I", blob, 14, zlib.crc32(b"other"))
    with pytest.raises(BundleRefused, match="does not match"):
        _read(bytes(blob))


def test_oversized_signature_entry_is_refused():
    with pytest.raises(BundleRefused, match="too large"):
        _read(_zip([("payload.age", b"a"), ("payload.age.minisig", b"s" * 5000)]))


def test_stage_bundle_makes_private_copy_and_cleans_up(tmp_path):
    src = tmp_path / "in.intake"
    src.write_bytes(_bundle(b"abc"))
    staging = tmp_path / "staging"
    staging.mkdir(mode=0o700)
    staged, _ = container.stage_bundle(src, staging)
    assert staged.read_bytes() == src.read_bytes()
    assert staged.stat().st_mode & 0o777 == 0o600
    src.write_bytes(b"changed after staging")
    assert _read(staged.read_bytes()).signature == SIG


def test_stage_missing_file_is_refused_and_leaves_nothing(tmp_path):
    with pytest.raises(BundleRefused, match="no bundle file"):
        container.stage_bundle(tmp_path / "nope.intake", tmp_path)
    assert list(tmp_path.iterdir()) == []
