"""ADVERSARIAL.md "Malformed input" (bundles): truncations, broken containers, hostile tar
members and manifests. Each import exits 4 with one clear line, changes nothing in the vault
and leaves nothing in the staging folder."""

from __future__ import annotations

import io
import json
import shutil
import tarfile
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from bundle_support import (
    PASSPHRASE,
    Party,
    attach,
    encrypt,
    export,
    full_dump,
    make_party,
    manifest_for,
    new_case,
    open_bundle,
    read_bundle,
    rebuild,
    run_cli,
    seal,
    staging_files,
    tar_bytes,
    trust,
)

from intake_app.bundles import manifest as mf
from intake_app.canonical import canonical_json

AGE_CHUNK = 64 * 1024 + 16


@dataclass
class World:
    root: Path
    a: Party
    c: Party
    bundle: Path
    pfile: Path


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> World:
    root = tmp_path_factory.mktemp("malformed-template")
    a, c = make_party(root, "A"), make_party(root, "C", "coordinator")
    trust(c, a)
    trust(a, c)
    case_id = new_case(a)
    (root / "big.bin").write_bytes(bytes(range(256)) * 1200)
    attach(a, case_id, root / "big.bin")
    bundle = export(a, root / "base.intake", "C")
    pfile = root / "pass.txt"
    pfile.write_text(PASSPHRASE + "\n")
    return World(root, a, c, bundle, pfile)


@pytest.fixture
def w(template: World, tmp_path: Path) -> World:
    root = tmp_path / "w"
    shutil.copytree(template.root, root)
    return replace(template, root=root, a=replace(template.a, path=root / template.a.path.name),
                   c=replace(template.c, path=root / template.c.path.name),
                   bundle=root / "base.intake", pfile=root / "pass.txt")  # fmt: skip


def refused(w: World, bundle: Path, capsys, *fragments: str) -> str:
    before = full_dump(w.c)
    code, out, err = run_cli(w.c, w.pfile, "import", bundle, capsys=capsys)
    assert code == 4, (code, out, err)
    assert out == "" and err.count("\n") == 1 and err.startswith("intake-app: "), err
    for fragment in fragments:
        assert fragment.lower() in err.lower(), err
    assert full_dump(w.c) == before
    assert staging_files(w.c) == []
    return err


def _file(w: World, name: str, data: bytes) -> Path:
    path = w.root / name
    path.write_bytes(data)
    return path


def _opened(w: World):
    return open_bundle(w.bundle, w.c.identity)


def _to(w: World) -> list[str]:
    return [w.c.identity.age_recipient]


# ---- the outer file --------------------------------------------------------------------------


@pytest.mark.parametrize("cut", [1, 16])
def test_truncated_bundle_file(w, capsys, cut):
    data = w.bundle.read_bytes()
    refused(w, _file(w, "t.intake", data[:-cut]), capsys, "not a valid bundle file")


def test_bundle_file_truncated_at_64k_boundary(w, capsys):
    data = w.bundle.read_bytes()
    assert len(data) > 3 * 65536
    refused(w, _file(w, "t.intake", data[: 2 * 65536]), capsys, "not a valid bundle file")


@pytest.mark.parametrize("cut", [1, 16])
def test_payload_truncated_and_resigned_by_author(w, capsys, cut):
    payload, _ = read_bundle(w.bundle)
    comment = _opened(w).comment
    bundle = seal(w.root / "t.intake", payload[:-cut], w.a.identity, comment)
    refused(w, bundle, capsys, "damaged")


def test_payload_truncated_at_a_64k_chunk_boundary_and_resigned(w, capsys):
    payload, _ = read_bundle(w.bundle)
    first = payload.index(b"\n", payload.index(b"\n--- ") + 1) + 1 + 16
    assert len(payload) > first + 2 * AGE_CHUNK
    cut = payload[: first + 2 * AGE_CHUNK]  # ends exactly after a full chunk: no last flag
    bundle = seal(w.root / "t.intake", cut, w.a.identity, _opened(w).comment)
    refused(w, bundle, capsys, "damaged")


def test_empty_file(w, capsys):
    refused(w, _file(w, "e.intake", b""), capsys, "empty")


@pytest.mark.parametrize("data", [b"%PDF-1.7\n" + b"x" * 500, b"\x00" * 1000, b"age-encryption"])
def test_non_zip_file(w, capsys, data):
    refused(w, _file(w, "n.intake", data), capsys, "not a valid bundle file")


def test_missing_bundle_file(w, capsys):
    refused(w, w.root / "absent.intake", capsys, "no bundle file")


def _zip(w: World, name: str, entries: list[tuple[str, bytes, int]]) -> Path:
    path = w.root / name
    with zipfile.ZipFile(path, "w") as zf:
        for entry, data, method in entries:
            zf.writestr(zipfile.ZipInfo(entry, (1980, 1, 1, 0, 0, 0)), data, compress_type=method)
    return path


def test_zip_with_extra_entry(w, capsys):
    payload, sig = read_bundle(w.bundle)
    stored = zipfile.ZIP_STORED
    entries = [("payload.age", payload, stored), ("payload.age.minisig", sig, stored),
               ("README", b"hi", stored)]  # fmt: skip
    path = _zip(w, "x.intake", entries)
    refused(w, path, capsys, "exactly two entries")


def test_zip_with_missing_entry(w, capsys):
    payload, _ = read_bundle(w.bundle)
    path = _zip(w, "m.intake", [("payload.age", payload, zipfile.ZIP_STORED)])
    refused(w, path, capsys, "exactly two entries")


def test_zip_with_duplicate_entries(w, capsys):
    payload, _ = read_bundle(w.bundle)
    with pytest.warns(UserWarning):  # zipfile itself warns about the duplicate
        path = _zip(w, "d.intake", [("payload.age", payload, zipfile.ZIP_STORED),
                                    ("payload.age", payload, zipfile.ZIP_STORED)])  # fmt: skip
    refused(w, path, capsys, "payload.age then payload.age.minisig")


def test_zip_with_compressed_entry(w, capsys):
    payload, sig = read_bundle(w.bundle)
    path = _zip(w, "c.intake", [("payload.age", payload, zipfile.ZIP_DEFLATED),
                                ("payload.age.minisig", sig, zipfile.ZIP_STORED)])  # fmt: skip
    refused(w, path, capsys, "compressed")


def test_zip_with_entries_swapped(w, capsys):
    payload, sig = read_bundle(w.bundle)
    path = _zip(w, "s.intake", [("payload.age.minisig", sig, zipfile.ZIP_STORED),
                                ("payload.age", payload, zipfile.ZIP_STORED)])  # fmt: skip
    refused(w, path, capsys, "not a valid bundle file")


# ---- inside the payload -------------------------------------------------------------------


def _with_member(w: World, name: str, data: bytes = b"x", bundle_name: str = "p.intake") -> Path:
    """The signed manifest, then one hostile member, encrypted and signed by the author."""
    opened = _opened(w)
    plain = tar_bytes([*opened.members[:2], (name, data)])
    return seal(w.root / bundle_name, encrypt(plain, _to(w)), w.a.identity, opened.comment)


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("../../etc/passwd", "'..'"),
        ("blobs/../../x", "'..'"),
        ("/etc/passwd", "absolute path"),
        ("blobs/a\x00b", "nul byte"),
        ("blobs/CON", "named like a device"),
        ("cards/nul.json", "named like a device"),
        ("C:/x", "colon"),
        ("blobs\\x", "backslash"),
        ("blobs/\x1b[31m", "control characters"),
    ],
)
def test_tar_path_tricks(w, capsys, name, reason):
    refused(w, _with_member(w, name), capsys, reason)


@pytest.mark.parametrize(
    ("kind", "reason"),
    [(tarfile.SYMTYPE, "symbolic link"), (tarfile.LNKTYPE, "hard link"),
     (tarfile.CHRTYPE, "character device"), (tarfile.DIRTYPE, "directory"),
     (tarfile.FIFOTYPE, "fifo")],
)  # fmt: skip
def test_tar_links_and_special_files(w, capsys, kind, reason):
    opened = _opened(w)
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.USTAR_FORMAT) as tf:
        for name, data in opened.members[:2]:
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o600
            tf.addfile(info, io.BytesIO(data))
        info = tarfile.TarInfo("blobs/" + "a" * 64)
        info.type, info.linkname = kind, "/etc/shadow" if kind in (b"1", b"2") else ""
        tf.addfile(info)
    bundle = seal(w.root / "l.intake", encrypt(out.getvalue(), _to(w)), w.a.identity,
                  opened.comment)  # fmt: skip
    refused(w, bundle, capsys, reason)


def test_duplicate_member_names(w, capsys):
    opened = _opened(w)
    members = [*opened.members, opened.members[-1]]
    bundle = seal(w.root / "d.intake", encrypt(tar_bytes(members), _to(w)), w.a.identity,
                  opened.comment)  # fmt: skip
    refused(w, bundle, capsys, "appears twice")


def test_manifest_not_first(w, capsys):
    opened = _opened(w)
    members = [opened.members[1], opened.members[0], *opened.members[2:]]
    bundle = seal(w.root / "o.intake", encrypt(tar_bytes(members), _to(w)), w.a.identity,
                  opened.comment)  # fmt: skip
    refused(w, bundle, capsys, "first member must be manifest.json")


def test_manifest_signature_missing(w, capsys):
    opened = _opened(w)
    members = [opened.members[0], *opened.members[2:]]
    bundle = seal(w.root / "o.intake", encrypt(tar_bytes(members), _to(w)), w.a.identity,
                  opened.comment)  # fmt: skip
    refused(w, bundle, capsys, "manifest is not signed")


def test_tar_member_claiming_huge_size_refused_before_allocating(w, capsys):
    opened = _opened(w)
    plain = bytearray(tar_bytes([*opened.members[:2], (f"blobs/{'b' * 64}", b"")]))
    header = len(tar_bytes(opened.members[:2])) - 1024
    plain[header + 124 : header + 136] = b"%011o\x00" % (8**11 - 1)  # ~8 GiB claimed
    checksum = sum(plain[header : header + 148]) + 8 * 32 + sum(plain[header + 156 : header + 512])
    plain[header + 148 : header + 156] = b"%06o\x00 " % checksum
    bundle = seal(w.root / "h.intake", encrypt(bytes(plain), _to(w)), w.a.identity,
                  opened.comment)  # fmt: skip
    refused(w, bundle, capsys, "over the limit")


def _with_manifest(w: World, raw: bytes, name: str = "m.intake") -> Path:
    opened = _opened(w)
    return rebuild(w.root / name, w.a.identity, _to(w), opened.manifest, opened.members[2:],
                   raw_manifest=raw)  # fmt: skip


def test_manifest_invalid_utf8(w, capsys):
    raw = canonical_json(_opened(w).manifest).replace(b'"format"', b'"\xffformat"', 1)
    refused(w, _with_manifest(w, raw), capsys, "not valid utf-8")


def test_manifest_json_nested_deeper_than_limit(w, capsys):
    raw = b'{"format":' + b"[" * 200 + b"]" * 200 + b"}"
    refused(w, _with_manifest(w, raw), capsys, "nested deeper")


def test_manifest_duplicate_keys(w, capsys):
    raw = canonical_json(_opened(w).manifest)[:-1] + b',"seq":1}'
    refused(w, _with_manifest(w, raw), capsys, "not valid json")


def test_manifest_claiming_huge_member_refused(w, capsys):
    manifest = _opened(w).manifest
    manifest["members"][-1]["size"] = 2**62
    raw = json.dumps(manifest, sort_keys=True, separators=(",", ":")).encode()
    refused(w, _with_manifest(w, raw), capsys, "member size")


@pytest.mark.parametrize(
    "change",
    [{"major": 2}, {"format": "intake-bundle-v2", "major": 2}, {"format": "intake-bundle-v7"}],
)
def test_unknown_major_format_version(w, capsys, change):
    manifest = {**_opened(w).manifest, **change}
    refused(w, _with_manifest(w, canonical_json(manifest)), capsys,
            "made by a newer version of Field Intake")  # fmt: skip


def test_outer_comment_of_a_newer_format(w, capsys):
    payload, _ = read_bundle(w.bundle)
    bundle_id, seq = mf.parse_trusted_comment(_opened(w).comment)
    comment = f"intake-bundle-v2 id={bundle_id} seq={seq}"
    refused(w, seal(w.root / "v2.intake", payload, w.a.identity, comment), capsys,
            "made by a newer version of Field Intake")  # fmt: skip


def test_outer_comment_with_extra_text(w, capsys):
    payload, _ = read_bundle(w.bundle)
    comment = _opened(w).comment + " name=Monitor"
    refused(w, seal(w.root / "x.intake", payload, w.a.identity, comment), capsys,
            "not carry a bundle id")  # fmt: skip


def test_manifest_with_unknown_field_of_this_version(w, capsys):
    manifest = {**_opened(w).manifest, "note": "hello"}
    refused(w, _with_manifest(w, canonical_json(manifest)), capsys, "fields this version")


def test_revision_record_malformed(w, capsys):
    opened = _opened(w)
    records = opened.members[2:]
    k = next(i for i, (n, _) in enumerate(records) if n.startswith("revisions/"))
    records[k] = (records[k][0], json.dumps({"id": 1}).encode())
    bundle = rebuild(w.root / "r.intake", w.a.identity, _to(w),
                     manifest_for(records, opened.manifest), records)  # fmt: skip
    refused(w, bundle, capsys, "not a revision record")


def test_scrypt_payload_refused_before_work(w, capsys):
    import pyrage

    payload = pyrage.passphrase.encrypt(b"x" * 100, "pw")
    bundle = seal(w.root / "s.intake", payload, w.a.identity, _opened(w).comment)
    refused(w, bundle, capsys, "passphrase-protected")
