"""ADVERSARIAL.md "disk full during save, import or export: rolled back, message, no partial
file left under the final name".

A real full disk: each scenario runs in a child process inside a private user and mount
namespace (`unshare -Urm`, no privileges needed) where a small tmpfs is mounted; the vault or
the bundle's folder lives on it. The child does the work, checks what must hold and prints
one JSON line; the tmpfs vanishes with the namespace. Skipped where user namespaces are off.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from bundle_support import PASSPHRASE, attach, export, make_party, new_case, trust
from crash_harness import REPO, harness_env

pytestmark = pytest.mark.slow

PRELUDE = textwrap.dedent(
    """
    import json, os, shutil, sys
    from pathlib import Path
    from intake_app.errors import IntakeError, StorageError
    from intake_app.vault import Vault
    PASSPHRASE = "PASSPHRASE_HERE"
    disk = Path(sys.argv[1])
    out = {}

    def sound(path, phrase=PASSPHRASE):
        v = Vault.open(path, phrase)
        try:
            return v.conn.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            v.close()

    def dump(path):
        v = Vault.open(path, PASSPHRASE)
        try:
            tables = [r[0] for r in v.conn.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE '%fts%'"
                " ORDER BY 1")]
            return {t: v.conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]
                    for t in tables}
        finally:
            v.close()
    """
).replace("PASSPHRASE_HERE", PASSPHRASE)


def run_on_small_disk(tmp_path: Path, size: str, body: str, *args: str) -> dict:
    if shutil.which("unshare") is None:
        pytest.skip("unshare is not available")
    disk = tmp_path / "disk"
    disk.mkdir(exist_ok=True)
    probe = subprocess.run(["unshare", "-Urm", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip("user namespaces are disabled here")
    script = PRELUDE + textwrap.dedent(body) + "\nprint(json.dumps(out))\n"
    cmd = ["unshare", "-Urm", "sh", "-c",
           'mount -t tmpfs -o size="$1" tmpfs "$2" && shift 2 && exec "$@"', "sh", size,
           str(disk), sys.executable, "-c", script, str(disk), *args]  # fmt: skip
    result = subprocess.run(cmd, capture_output=True, text=True, env=harness_env(), cwd=REPO,
                            timeout=300)  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_disk_full_during_save_rolls_back_with_a_message(tmp_path: Path) -> None:
    out = run_on_small_disk(
        tmp_path,
        "3m",
        """
        from intake_app.cases.store import CaseStore
        path = disk / "vault"
        vault = Vault.create(path, PASSPHRASE, name="M", role="monitor")
        store = CaseStore(vault)
        case_id = store.new_case({"victim.pseudonym": "K-0"})
        last, i = None, 0
        try:
            while i < 500:
                i += 1
                text = ("Қ" + os.urandom(8).hex()) * 4000      # ~68 KB that will not compress
                last = store.save(case_id, {"victim.pseudonym": f"K-{i}",
                                            "incident.narrative": text})
            out["error"] = None
        except IntakeError as exc:
            out["error"], out["type"] = str(exc), type(exc).__name__
        vault.close()
        # Make room, as a user would, then check what survived.
        for extra in disk.glob("filler*"):
            extra.unlink()
        v = Vault.open(path, PASSPHRASE)
        store = CaseStore(v)
        record = store.get(case_id)
        out["last_kept"] = last in record.revisions
        out["heads"] = record.heads
        out["last"] = last
        out["integrity"] = v.conn.execute("PRAGMA integrity_check").fetchone()[0]
        v.close()
        out["files"] = sorted(p.name for p in path.iterdir())
    """,
    )
    assert out["error"] is not None, "the disk never filled"
    assert out["type"] == "StorageError" and "full" in out["error"]
    assert "\n" not in out["error"]
    assert out["last_kept"] and out["heads"] == [out["last"]]
    assert out["integrity"] == "ok"
    assert set(out["files"]) <= {"vault.db", "vault.db-wal", "vault.db-shm", "header.json",
                                 "lock", "staging", "blobs"}  # fmt: skip


@pytest.fixture
def parties(tmp_path: Path):  # noqa: ANN201
    a, c = make_party(tmp_path, "A"), make_party(tmp_path, "C", "coordinator")
    trust(c, a)
    trust(a, c)
    case_id = new_case(a, {"victim.pseudonym": "Ә-1"})
    photo = tmp_path / "photo.bin"
    photo.write_bytes(bytes(range(256)) * 12_000)  # 3 MB
    attach(a, case_id, photo)
    return a, c, case_id


def test_disk_full_during_import_changes_nothing(tmp_path: Path, parties) -> None:
    a, c, _ = parties
    bundle = export(a, tmp_path / "a.intake", "C")
    # Room for the vault and the staged copy of the bundle, not for its 3 MB attachment
    # inside the database: the failure comes in the middle of the import transaction.
    vault_size = sum(p.stat().st_size for p in c.path.rglob("*") if p.is_file())
    size = (vault_size + bundle.stat().st_size) // 1024 + 1200
    out = run_on_small_disk(
        tmp_path,
        f"{size}k",
        """
        from intake_app.bundles.importer import import_bundle
        path = disk / "c"
        shutil.copytree(sys.argv[2], path)
        before = dump(path)
        vault = Vault.open(path, PASSPHRASE)
        try:
            import_bundle(vault, Path(sys.argv[3]))
            out["error"] = None
        except IntakeError as exc:
            out["error"], out["type"] = str(exc), type(exc).__name__
        finally:
            vault.close()
        out["unchanged"] = dump(path) == before
        out["integrity"] = sound(path)
        staging = path / "staging"
        out["staging"] = sorted(p.name for p in staging.iterdir()) if staging.exists() else []
    """,
        str(c.path),
        str(bundle),
    )
    assert out["error"] is not None, "the import fitted: make the disk smaller"
    assert out["type"] == "StorageError" and "full" in out["error"].lower(), out
    assert "stag" not in out["error"], "failed before the transaction: disk too small"
    assert out["unchanged"] and out["integrity"] == "ok" and out["staging"] == []


def test_disk_full_during_export_leaves_no_file_and_no_sequence_used(
    tmp_path: Path, parties
) -> None:
    a, _, case_id = parties
    out = run_on_small_disk(
        tmp_path,
        "1m",
        """
        from intake_app.bundles.export import export_bundle
        path = Path(sys.argv[2])
        before = dump(path)
        vault = Vault.open(path, PASSPHRASE)
        target = disk / "usb" / "to-c.intake"
        target.parent.mkdir()
        try:
            export_bundle(vault, ["C"], target, case_ids=[sys.argv[3]])
            out["error"] = None
        except IntakeError as exc:
            out["error"], out["type"] = str(exc), type(exc).__name__
        finally:
            vault.close()
        out["left"] = sorted(p.name for p in target.parent.iterdir())
        out["unchanged"] = dump(path) == before
    """,
        str(a.path),
        case_id,
    )
    assert out["error"] is not None, "the bundle fitted: make the disk smaller"
    assert out["type"] == "StorageError", out
    assert out["left"] == [], "a partial bundle was left on the full disk"
    assert out["unchanged"], "the sequence number or sent records changed"


def test_an_attachment_the_disk_cannot_make_durable_refuses_the_import(
    tmp_path: Path, parties, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Attachments are fsynced on a helper thread while the import goes on; a failure there
    # (an I/O error of the disk) must still roll the whole import back before it commits.
    from intake_app.bundles.importer import import_bundle
    from intake_app.errors import StorageError
    from intake_app.vault import Vault, blobfiles

    a, c, _ = parties
    bundle = export(a, tmp_path / "a.intake", "C")
    blobs = c.path / blobfiles.BLOB_DIR
    files_before = sorted(p.name for p in blobs.iterdir()) if blobs.exists() else []
    real_fsync = blobfiles.os.fsync

    def failing_fsync(fd: int) -> None:
        if blobfiles.os.path.realpath(f"/proc/self/fd/{fd}").startswith(str(blobs)):
            raise OSError(5, "Input/output error")
        real_fsync(fd)

    vault = Vault.open(c.path, PASSPHRASE)
    try:
        revisions = vault.conn.execute("SELECT count(*) FROM revisions").fetchone()[0]
        monkeypatch.setattr(blobfiles.os, "fsync", failing_fsync)
        with pytest.raises(StorageError, match="could not be stored"):
            import_bundle(vault, bundle)
        monkeypatch.undo()
        assert vault.conn.execute("SELECT count(*) FROM revisions").fetchone()[0] == revisions
        assert vault.conn.execute("SELECT count(*) FROM blobs").fetchone()[0] == 0
        files_after = sorted(p.name for p in blobs.iterdir()) if blobs.exists() else []
        assert files_after == files_before  # the rolled-back attachment's file was swept
        assert import_bundle(vault, bundle).new_revisions > 0  # and the retry succeeds
    finally:
        vault.close()
