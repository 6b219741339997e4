"""A bundle made by `intake-app export` checked and opened with the standard tools alone:
Python's zipfile, `minisign -Vm`, `age -d -i` and `tar`, as a coordinator could do for as
long as the evidence matters, without this application."""

from __future__ import annotations

import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.interop,
    pytest.mark.skipif(
        not all(shutil.which(t) for t in ("age", "minisign", "tar")),
        reason="age/minisign/tar missing",
    ),
]


def _cli(run_cli, vault: Path, pfile: Path, *args) -> subprocess.CompletedProcess[str]:
    result = run_cli(["--vault", vault, "--passphrase-file", pfile, *args])
    assert result.returncode == 0, result.stderr
    return result


def _init(run_cli, folder: Path, pfile: Path, name: str, role: str) -> dict:
    _cli(run_cli, folder, pfile, "init", "--name", name, "--role", role)
    return json.loads(_cli(run_cli, folder, pfile, "identity", "show", "--json").stdout)


def test_exported_bundle_opens_with_minisign_age_and_tar(tmp_path, passphrase_file, run_cli):
    monitor, coord = tmp_path / "monitor", tmp_path / "coord"
    m = _init(run_cli, monitor, passphrase_file, "Monitor", "monitor")
    c = _init(run_cli, coord, passphrase_file, "Coordinator", "coordinator")
    _cli(run_cli, coord, passphrase_file, "identity", "card", "--out", tmp_path / "c.card")
    _cli(run_cli, monitor, passphrase_file, "trust", "add", tmp_path / "c.card")
    case = tmp_path / "case.json"
    answers = {"victim.pseudonym": "Ә-7", "consent.interview": "yes",
               "consent.share.coalition": "named"}  # fmt: skip
    case.write_text(json.dumps({"answers": answers}), encoding="utf-8")
    case_id = _cli(run_cli, monitor, passphrase_file, "case", "new", "--json", case).stdout.strip()
    photo = tmp_path / "photo.bin"
    photo.write_bytes(bytes(range(256)) * 1000)
    _cli(run_cli, monitor, passphrase_file, "case", "attach", case_id, photo)
    bundle = tmp_path / "out.intake"
    _cli(run_cli, monitor, passphrase_file, "export", "--to", "Coordinator", "--out", bundle)

    work = tmp_path / "by-hand"
    work.mkdir()
    with zipfile.ZipFile(bundle) as zf:
        assert zf.namelist() == ["payload.age", "payload.age.minisig"]
        zf.extractall(work)  # noqa: S202 - our own two fixed names, checked above

    checked = subprocess.run(
        ["minisign", "-Vm", str(work / "payload.age"), "-P", m["minisign_public_key"]],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stderr
    assert "Trusted comment: intake-bundle-v1 id=" in checked.stdout
    wrong = subprocess.run(
        ["minisign", "-Vm", str(work / "payload.age"), "-P", c["minisign_public_key"]],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert wrong.returncode != 0

    for who, vault in (("coordinator", coord), ("monitor", monitor)):
        key = tmp_path / f"{who}.key"
        _cli(run_cli, vault, passphrase_file, "identity", "export-secret", "--out", key,
             "--plaintext")  # fmt: skip
        tar = work / f"{who}.tar"
        age = subprocess.run(
            ["age", "-d", "-i", str(key), "-o", str(tar), str(work / "payload.age")],
            capture_output=True, timeout=60,
        )  # fmt: skip
        assert age.returncode == 0, age.stderr
        names = subprocess.run(["tar", "-tf", str(tar)], capture_output=True, text=True,
                               timeout=60, check=True).stdout.split()  # fmt: skip
        assert names[:2] == ["manifest.json", "manifest.json.minisig"]
        assert any(n.startswith("revisions/") for n in names)
        assert f"cards/{m['fingerprint']}.json" in names

    # The manifest's own signature verifies with minisign too, and lists the attachment.
    inner = work / "inner"
    inner.mkdir()
    subprocess.run(["tar", "-xf", str(work / "coordinator.tar"), "-C", str(inner)], check=True,
                   timeout=60)  # fmt: skip
    manifest = inner / "manifest.json"
    sig = subprocess.run(
        ["minisign", "-Vm", str(manifest), "-x", str(inner / "manifest.json.minisig"),
         "-P", m["minisign_public_key"]],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert sig.returncode == 0, sig.stderr
    listed = json.loads(manifest.read_text(encoding="utf-8"))
    blobs = [e for e in listed["members"] if e["kind"] == "blob"]
    assert len(blobs) == 1 and blobs[0]["size"] == photo.stat().st_size
    assert (inner / blobs[0]["path"]).read_bytes() == photo.read_bytes()
