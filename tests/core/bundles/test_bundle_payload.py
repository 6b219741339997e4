"""The inner tar stream: deterministic writing, and every unsafe member refused by both
readers (the push parser fed as decryption streams, and the pull iterator)."""

from __future__ import annotations

import hashlib
import io
import os
import tarfile

import pytest

from intake_app.bundles import payload
from intake_app.bundles.payload import PayloadParser, PayloadWriter, iter_members
from intake_app.errors import BundleRefused


class Collect:
    def __init__(self) -> None:
        self.members: list[tuple[str, bytes]] = []
        self._cur: list[bytes] = []
        self._name = ""

    def begin(self, name: str, size: int) -> None:
        self._name, self._cur = name, []

    def data(self, chunk: bytes) -> None:
        self._cur.append(chunk)

    def end(self) -> None:
        self.members.append((self._name, b"".join(self._cur)))


def _push(blob: bytes, chunk: int = 7777, **kw) -> list[tuple[str, bytes]]:
    sink = Collect()
    parser = PayloadParser(sink, **kw)
    for i in range(0, len(blob), chunk):
        parser.write(blob[i : i + chunk])
    parser.close()
    return sink.members


def _pull(blob: bytes, **kw) -> list[tuple[str, bytes]]:
    return [(m.name, m.reader.read()) for m in iter_members(io.BytesIO(blob), **kw)]


READERS = [
    pytest.param(_push, id="push"),
    pytest.param(lambda b, **kw: _push(b, chunk=1, **kw), id="push-bytewise"),
    pytest.param(_pull, id="pull"),
]

MEMBERS = [
    ("manifest.json", b'{"format": 1}'),
    ("manifest.json.minisig", b"sig"),
    ("records/r1.json", b"{}"),
    ("blobs/empty", b""),
    ("blobs/big", os.urandom(70_000)),
    ("blobs/exact", os.urandom(1024)),
]


def _write(members=MEMBERS) -> bytes:
    out = io.BytesIO()
    w = PayloadWriter(out)
    for name, data in members:
        if len(data) > 50_000:
            w.add_stream(name, len(data), io.BytesIO(data))
        else:
            w.add(name, data)
    w.close()
    return out.getvalue()


@pytest.mark.parametrize("read", READERS)
def test_round_trip(read):
    assert read(_write()) == MEMBERS


def test_writer_is_deterministic_and_anonymous():
    blob = _write()
    assert blob == _write()
    with tarfile.open(fileobj=io.BytesIO(blob)) as tf:
        for info in tf.getmembers():
            assert (info.mtime, info.uid, info.gid, info.uname, info.gname, info.mode) == (
                0,
                0,
                0,
                "",
                "",
                0o600,
            )
            assert info.isreg()
        assert tf.extractfile("blobs/big").read() == MEMBERS[4][1]


def test_gnu_tar_lists_our_stream(tmp_path):
    import shutil
    import subprocess

    if shutil.which("tar") is None:
        pytest.skip("tar not installed")
    path = tmp_path / "p.tar"
    path.write_bytes(_write())
    out = subprocess.run(["tar", "-tvf", str(path)], capture_output=True, text=True, check=True)
    assert "records/r1.json" in out.stdout and "root" not in out.stdout


def test_pull_reader_skips_unread_member_data():
    names = [m.name for m in iter_members(io.BytesIO(_write()))]
    assert names == [n for n, _ in MEMBERS]


def test_writer_refuses_unsafe_names_and_wrong_first_member():
    w = PayloadWriter(io.BytesIO())
    with pytest.raises(ValueError):
        w.add("records/x.json", b"")
    w.add("manifest.json", b"")
    with pytest.raises(BundleRefused):
        w.add("../x", b"")
    with pytest.raises(ValueError):
        w.add("MANIFEST.json", b"")


def _tar(members, fmt=tarfile.PAX_FORMAT, encoding="utf-8") -> bytes:
    buf = io.BytesIO()
    with tarfile.open(
        fileobj=buf, mode="w", format=fmt, encoding=encoding, errors="surrogateescape"
    ) as tf:
        for entry in members:
            if isinstance(entry, tarfile.TarInfo):
                tf.addfile(entry)
                continue
            name, data = entry
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _special(name: str, kind: bytes, link: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = link
    return info


M = ("manifest.json", b"{}")

BAD = {
    "dotdot": [M, ("records/../../etc/passwd", b"x")],
    "dotdot-start": [M, ("../x", b"x")],
    "absolute": [M, ("/etc/passwd", b"x")],
    "backslash": [M, ("records\\..\\x", b"x")],
    "nul-in-pax-path": [M, ("a\x00b" + "x" * 120, b"x")],
    "device-name": [M, ("records/CON", b"x")],
    "device-name-ext": [M, ("blobs/nul.txt", b"x")],
    "device-com1": [M, ("com1", b"x")],
    "drive-letter": [M, ("C:x", b"x")],
    "control-char": [M, ("a\nb", b"x")],
    "empty-part": [M, ("a//b", b"x")],
    "trailing-dot": [M, ("a.", b"x")],
    "symlink": [M, _special("link", tarfile.SYMTYPE, "/etc/passwd")],
    "hardlink": [M, _special("hard", tarfile.LNKTYPE, "manifest.json")],
    "char-device": [M, _special("dev", tarfile.CHRTYPE)],
    "block-device": [M, _special("blk", tarfile.BLKTYPE)],
    "fifo": [M, _special("fifo", tarfile.FIFOTYPE)],
    "directory": [M, _special("dir", tarfile.DIRTYPE)],
    "duplicate": [M, ("a", b"1"), ("a", b"2")],
    "duplicate-case": [M, ("a", b"1"), ("A", b"2")],
    "duplicate-manifest": [M, M],
    "manifest-not-first": [("records/a.json", b"{}"), M],
    "invalid-utf8": [M, ("bad-\udcff-name", b"x")],
    "empty-name-prefix": [M, ("./x", b"x")],
}


REASON = {
    "absolute": "absolute",
    "backslash": "backslash",
    "block-device": "block device",
    "char-device": "character device",
    "control-char": "control",
    "device-com1": "device",
    "device-name": "device",
    "device-name-ext": "device",
    "directory": "directory",
    "dotdot": r"'\.\.'",
    "dotdot-start": r"'\.\.'",
    "drive-letter": "colon",
    "duplicate": "twice",
    "duplicate-case": "twice",
    "duplicate-manifest": "twice",
    "empty-name-prefix": "empty part",
    "empty-part": "empty part",
    "fifo": "FIFO",
    "hardlink": "hard link",
    "invalid-utf8": "UTF-8",
    "manifest-not-first": "first member",
    "nul-in-pax-path": "NUL",
    "symlink": "symbolic link",
    "trailing-dot": "dot or a space",
}


@pytest.mark.parametrize("read", READERS)
@pytest.mark.parametrize("case", sorted(BAD))
def test_unsafe_member_is_refused(read, case):
    fmt = tarfile.USTAR_FORMAT if case == "invalid-utf8" else tarfile.PAX_FORMAT
    blob = _tar(BAD[case], fmt=fmt)
    with pytest.raises(BundleRefused, match=REASON[case]):
        read(blob)


@pytest.mark.parametrize("read", READERS)
def test_gnu_format_is_refused(read):
    with pytest.raises(BundleRefused, match="POSIX"):
        read(_tar([M], fmt=tarfile.GNU_FORMAT))


@pytest.mark.parametrize("read", READERS)
def test_pax_header_with_unexpected_key_is_refused(read):
    info = tarfile.TarInfo("manifest.json")
    info.pax_headers = {"SCHILY.xattr.user.x": "1"}
    with pytest.raises(BundleRefused, match="unexpected key"):
        read(_tar([info]))


@pytest.mark.parametrize("read", READERS)
def test_pax_long_path_is_accepted(read):
    long = "records/" + "é" * 60 + ".json"
    assert read(_tar([M, (long, b"1")]))[1] == (long, b"1")


@pytest.mark.parametrize("read", READERS)
def test_member_over_its_size_cap_is_refused_before_reading(read):
    blob = _tar([("manifest.json", b"x" * 100)])
    with pytest.raises(BundleRefused, match="over the limit"):
        read(blob, member_cap=lambda name: 99)


@pytest.mark.parametrize("read", READERS)
def test_too_many_members_are_refused(read):
    blob = _write([M] + [(f"b/{i}", b"") for i in range(10)])
    with pytest.raises(BundleRefused, match="more than 5"):
        read(blob, max_members=5)


@pytest.mark.parametrize("read", READERS)
def test_total_over_cap_is_refused(read):
    blob = _write([M, ("a", b"x" * 600), ("b", b"x" * 600)])
    with pytest.raises(BundleRefused, match="add up"):
        read(blob, max_total=1000)


def test_huge_claimed_size_is_refused_without_allocation():
    header = bytearray(payload._ustar_header("manifest.json", 0))
    header[124:136] = b"%011o\x00" % (8**11 - 1)
    header[148:156] = b" " * 8
    header[148:156] = b"%06o\x00 " % sum(header)
    with pytest.raises(BundleRefused, match="over the limit"):
        _push(bytes(header))


@pytest.mark.parametrize("read", READERS)
@pytest.mark.parametrize("cut", [1, 16, 512, 1024, 70_000])
def test_truncated_stream_is_refused(read, cut):
    blob = _write()
    with pytest.raises(BundleRefused, match="truncated|padding|end"):
        read(blob[:-cut])


@pytest.mark.parametrize("read", READERS)
def test_bytes_after_the_end_are_refused(read):
    with pytest.raises(BundleRefused):
        read(_write() + b"\x01" + bytes(511))


@pytest.mark.parametrize("read", READERS)
def test_damaged_header_checksum_is_refused(read):
    blob = bytearray(_write())
    blob[5] ^= 1
    with pytest.raises(BundleRefused, match="checksum|first member"):
        read(bytes(blob))


@pytest.mark.parametrize("read", READERS)
def test_empty_archive_is_refused(read):
    with pytest.raises(BundleRefused):
        read(bytes(1024))


def test_tarfile_padding_to_record_size_is_accepted():
    blob = _tar([M, ("a", b"1")])
    assert len(blob) % 10240 == 0
    assert _push(blob) == _pull(blob) == [M, ("a", b"1")]


def test_push_parser_streams_large_member_without_buffering_it():
    big = os.urandom(3 * 1024 * 1024)
    blob = _write([M, ("blobs/a", big)])
    digest = hashlib.sha256()
    sizes = []

    class Hashing(Collect):
        def data(self, chunk: bytes) -> None:
            if self._name == "blobs/a":
                sizes.append(len(chunk))
                digest.update(chunk)

    parser = PayloadParser(Hashing())
    for i in range(0, len(blob), 65536):
        parser.write(blob[i : i + 65536])
    parser.close()
    assert digest.digest() == hashlib.sha256(big).digest()
    assert max(sizes) <= 65536


def test_member_name_checks_accept_normal_unicode_names():
    payload.check_member_name("records/Уральск-ә.json")
    payload.check_member_name("blobs/" + "a" * 64)
