"""Export and import end to end on real vaults: what a bundle holds and reveals, what the
vault records, and the CLI's output and exit codes."""

from __future__ import annotations

import io
import json
import os
import re
import zipfile
from pathlib import Path

import pytest
from bundle_support import (
    PASSPHRASE,
    Party,
    attach,
    case_dump,
    export,
    full_dump,
    import_,
    make_party,
    new_case,
    open_bundle,
    run_cli,
    save,
    staging_files,
    trust,
)

from intake_app.bundles import minisign
from intake_app.bundles.export import TEMP_PREFIX, default_bundle_name, export_bundle
from intake_app.bundles.importer import import_bundle
from intake_app.errors import Cancelled, IntakeError, NotFound, StorageError, UsageError
from intake_app.identity.card import card_of
from intake_app.progress import CancelToken

COMMENT = re.compile(r"intake-bundle-v1 id=[0-9a-f]{32} seq=[0-9]+")


@pytest.fixture
def world(tmp_path: Path) -> tuple[Party, Party]:
    monitor = make_party(tmp_path, "Monitor Әлия")
    coordinator = make_party(tmp_path, "Coordinator", "coordinator")
    trust(coordinator, monitor)
    trust(monitor, coordinator)
    return monitor, coordinator


@pytest.fixture
def pfile(tmp_path: Path) -> Path:
    path = tmp_path / "pass.txt"
    path.write_text(PASSPHRASE + "\n")
    return path


def test_round_trip_carries_cases_attachments_and_exact_text(world, tmp_path):
    monitor, coordinator = world
    text = "Қайрат ұрды; \u202eevil\u202c; 👩‍👩‍👧; tab\tnl\n"
    case_id = new_case(monitor, {"victim.pseudonym": "Ә-1", "incident.narrative": text})
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(b"\xff\xd8\xff" + os.urandom(2_500_000))
    attach(monitor, case_id, photo)
    bundle = export(monitor, tmp_path / "b.intake", "Coordinator")
    result = import_(coordinator, bundle)
    assert (result.new_revisions, result.already_had, result.attachments) == (2, 0, 1)
    assert result.author == monitor.fingerprint and not result.already_imported
    mine, theirs = json.loads(case_dump(monitor)), json.loads(case_dump(coordinator))
    assert theirs["cases"] == mine["cases"]
    assert theirs["contents"] == mine["contents"] and theirs["blobs"] == mine["blobs"]
    assert theirs["files"] == mine["files"] == len(mine["blobs"])
    assert theirs["cases"][case_id]["answers"]["incident.narrative"] == text
    assert theirs["known"] == []  # the monitor is a trusted contact, not merely known
    assert staging_files(coordinator) == []


def test_bundle_layout_reveals_nothing_about_author_or_time(world, tmp_path):
    monitor, coordinator = world
    new_case(monitor)
    bundle = export(monitor, tmp_path / "b.intake", "Coordinator")
    with zipfile.ZipFile(bundle) as zf:
        infos = zf.infolist()
        assert [i.filename for i in infos] == ["payload.age", "payload.age.minisig"]
        assert all(i.date_time == (1980, 1, 1, 0, 0, 0) and i.extra == b"" for i in infos)
        assert all(i.compress_type == zipfile.ZIP_STORED for i in infos)
        sig = zf.read("payload.age.minisig").decode()
    comment = minisign.parse_signature(sig).trusted_comment
    assert COMMENT.fullmatch(comment)
    assert "Monitor" not in sig and monitor.fingerprint not in sig
    opened = open_bundle(bundle, coordinator.identity)
    names = [n for n, _ in opened.members]
    assert names[:2] == ["manifest.json", "manifest.json.minisig"]
    manifest = opened.manifest
    assert manifest["format"] == "intake-bundle-v1" and manifest["major"] == 1
    assert manifest["author"] == monitor.fingerprint
    assert manifest["recipients"] == sorted([monitor.fingerprint, coordinator.fingerprint])
    assert comment == f"intake-bundle-v1 id={manifest['bundle_id']} seq={manifest['seq']}"
    assert [m["path"] for m in manifest["members"]] == names[2:]
    kinds = [m["kind"] for m in manifest["members"]]
    assert kinds == sorted(kinds, key=["card", "protocol", "revision", "blob"].index)
    assert {"card", "protocol", "revision"} <= set(kinds)
    # tar headers: mtime 0, uid/gid 0, no user names
    raw = io.BytesIO()
    from bundle_support import tar_bytes

    raw.write(tar_bytes(opened.members))
    import tarfile

    raw.seek(0)
    with tarfile.open(fileobj=raw) as tf:
        assert all((m.mtime, m.uid, m.gid, m.uname, m.gname) == (0, 0, 0, "", "") for m in tf)


def test_default_name_is_random_and_says_nothing():
    names = {default_bundle_name() for _ in range(50)}
    assert len(names) == 50
    assert all(re.fullmatch(r"[0-9a-f]{16}\.intake", n) for n in names)


def test_second_export_has_nothing_new_then_case_sends_full_history(world, tmp_path):
    monitor, _ = world
    case_id = new_case(monitor)
    save(monitor, case_id, {"victim.pseudonym": "changed"})
    export(monitor, tmp_path / "1.intake", "Coordinator")
    with pytest.raises(IntakeError, match="Nothing to send"):
        export(monitor, tmp_path / "2.intake", "Coordinator")
    assert not (tmp_path / "2.intake").exists()
    export(monitor, tmp_path / "3.intake", "Coordinator", cases=[case_id])
    assert len([m for m in open_bundle(tmp_path / "3.intake", monitor.identity).members
                if m[0].startswith("revisions/")]) == 2  # fmt: skip
    save(monitor, case_id, {"victim.pseudonym": "again"})
    bundle = export(monitor, tmp_path / "4.intake", "Coordinator")
    revs = [n for n, _ in open_bundle(bundle, monitor.identity).members if n.startswith("rev")]
    assert len(revs) == 1  # only the revision not yet sent


def test_sequence_numbers_increase_and_sent_and_audit_are_recorded(world, tmp_path):
    monitor, coordinator = world
    new_case(monitor)
    b1 = export(monitor, tmp_path / "1.intake", "Coordinator")
    new_case(monitor)
    b2 = export(monitor, tmp_path / "2.intake", coordinator.fingerprint)
    s1 = open_bundle(b1, monitor.identity).manifest["seq"]
    s2 = open_bundle(b2, monitor.identity).manifest["seq"]
    assert s2 == s1 + 1
    vault = monitor.open()
    try:
        sent = vault.conn.execute("SELECT recipient FROM sent").fetchall()
        audit = vault.conn.execute(
            "SELECT action FROM audit WHERE action = 'bundle.export'"
        ).fetchall()
    finally:
        vault.close()
    assert [r[0] for r in sent] == [coordinator.fingerprint] * 2  # never the author itself
    assert len(audit) == 2


def test_export_to_card_file_prints_fingerprint_and_encrypts_to_it(world, tmp_path, pfile, capsys):
    monitor, _ = world
    lawyer = make_party(tmp_path, "Lawyer", "lawyer")
    card = tmp_path / "lawyer.card"
    card.write_bytes(card_of(lawyer.identity).to_bytes())
    new_case(monitor)
    code, out, err = run_cli(monitor, pfile, "export", "--to", card, "--out",
                             tmp_path / "b.intake", capsys=capsys)  # fmt: skip
    assert code == 0, err
    assert card_of(lawyer.identity).fingerprint_display in out
    assert "card file" in out and "0 case(s) withheld" in out
    opened = open_bundle(tmp_path / "b.intake", lawyer.identity)
    assert lawyer.fingerprint in opened.manifest["recipients"]


def test_export_refuses_unknown_or_revoked_recipient_and_writes_nothing(world, tmp_path):
    monitor, coordinator = world
    new_case(monitor)
    with pytest.raises(NotFound):
        export(monitor, tmp_path / "b.intake", "Nobody")
    vault = monitor.open()
    try:
        from intake_app.identity.trust import TrustRegistry

        TrustRegistry(vault).revoke(coordinator.fingerprint, None)
        with pytest.raises(UsageError, match="revoked"):
            export_bundle(vault, ["Coordinator"], tmp_path / "b.intake")
    finally:
        vault.close()
    assert list(tmp_path.glob("*.intake")) == []


def test_cancelled_export_leaves_nothing_and_changes_nothing(world, tmp_path):
    monitor, _ = world
    case_id = new_case(monitor)
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(3_000_000))
    attach(monitor, case_id, big)
    before = full_dump(monitor)
    token = CancelToken()
    seen = []

    def progress(done: int, total: int, what: str) -> None:
        seen.append(done)
        if done > 1_000_000:
            token.cancel()

    vault = monitor.open()
    try:
        with pytest.raises(Cancelled):
            export_bundle(vault, ["Coordinator"], tmp_path / "b.intake", progress=progress,
                          cancel=token)  # fmt: skip
    finally:
        vault.close()
    assert seen and not (tmp_path / "b.intake").exists()
    assert list(tmp_path.glob(f"{TEMP_PREFIX}*")) == []
    assert full_dump(monitor) == before


def test_export_whose_sent_record_fails_takes_the_bundle_back_and_keeps_the_number_used(
    world, tmp_path
):
    """Recording `sent` fails after the bundle is in place (the disk under the vault full):
    the bundle is removed again, nothing is marked sent, and its sequence number stays used,
    so the retry, which carries the same revisions, never ships another bundle under it."""
    monitor, _ = world
    new_case(monitor)
    out = tmp_path / "b.intake"
    vault = monitor.open()
    try:
        seq_before = vault.conn.execute("SELECT next_sequence FROM device_identity").fetchone()[0]
        # A real SQLite failure, on this connection only, at the one statement that records.
        vault.conn.execute(
            "CREATE TEMP TRIGGER sent_full BEFORE INSERT ON main.sent"
            " BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END"
        )
        with pytest.raises(StorageError, match="disk is full"):
            export_bundle(vault, ["Coordinator"], out)
        assert not out.exists() and list(tmp_path.glob(f"{TEMP_PREFIX}*")) == []
        assert vault.conn.execute("SELECT count(*) FROM sent").fetchone()[0] == 0
        seq_after = vault.conn.execute("SELECT next_sequence FROM device_identity").fetchone()[0]
        assert seq_after == seq_before + 1
        audited = "SELECT count(*) FROM audit WHERE action = 'bundle.export'"
        assert vault.conn.execute(audited).fetchone()[0] == 1  # the used number is accounted for
        vault.conn.execute("DROP TRIGGER temp.sent_full")
        result = export_bundle(vault, ["Coordinator"], out)
        assert result.seq == seq_after and result.revision_count == 1
        assert vault.conn.execute("SELECT count(*) FROM sent").fetchone()[0] == 1
    finally:
        vault.close()


def test_two_exports_at_once_never_ship_two_bundles_with_one_number(world, tmp_path):
    """A second export (another window) completes while the first is writing: both peeked
    the same number; the first finds it taken when it reserves, and leaves nothing."""
    monitor, coordinator = world
    case_id = new_case(monitor)
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(2_000_000))
    attach(monitor, case_id, big)
    first, other = tmp_path / "first.intake", tmp_path / "other.intake"
    ran: list[int] = []

    def progress(done: int, total: int, what: str) -> None:
        if done > 500_000 and not ran:
            ran.append(export_bundle(second_window, ["Coordinator"], other).seq)

    vault, second_window = monitor.open(), monitor.open()
    try:
        with pytest.raises(IntakeError, match="Another export ran at the same time"):
            export_bundle(vault, ["Coordinator"], first, progress=progress)
        sent = vault.conn.execute("SELECT DISTINCT bundle_id FROM sent").fetchall()
    finally:
        second_window.close()
        vault.close()
    assert ran and not first.exists() and list(tmp_path.glob(f"{TEMP_PREFIX}*")) == []
    assert len(sent) == 1  # the other export's only
    assert open_bundle(other, monitor.identity).manifest["seq"] == ran[0]
    assert import_(coordinator, other).new_revisions == 2


def test_import_progress_and_cancel_leave_vault_unchanged(world, tmp_path):
    monitor, coordinator = world
    case_id = new_case(monitor)
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(2_000_000))
    attach(monitor, case_id, big)
    bundle = export(monitor, tmp_path / "b.intake", "Coordinator")
    before = full_dump(coordinator)
    token = CancelToken()

    def progress(done: int, total: int, what: str) -> None:
        assert total > 0
        if done > 500_000:
            token.cancel()

    vault = coordinator.open()
    try:
        with pytest.raises(Cancelled):
            import_bundle(vault, bundle, progress=progress, cancel=token)
    finally:
        vault.close()
    assert full_dump(coordinator) == before
    assert staging_files(coordinator) == []
    assert import_(coordinator, bundle).new_revisions == 2


def test_cli_export_verify_import_json(world, tmp_path, pfile, capsys):
    monitor, coordinator = world
    case_id = new_case(monitor)
    bundle = tmp_path / "b.intake"
    code, out, err = run_cli(monitor, pfile, "export", "--to", "Coordinator", "--out", bundle,
                             capsys=capsys)  # fmt: skip
    assert code == 0, err
    assert "1 revision(s) of 1 case(s)" in out and "0 case(s) withheld" in out
    code, out, err = run_cli(coordinator, pfile, "verify", bundle, capsys=capsys)
    assert code == 0, err
    assert "Monitor Әлия" in out and card_of(monitor.identity).fingerprint_display in out
    assert "Status: trusted" in out
    code, out, err = run_cli(coordinator, pfile, "import", bundle, "--json", capsys=capsys)
    assert code == 0, err
    data = json.loads(out)
    assert {"bundle_id", "author", "new_revisions", "already_had", "conflicts", "gaps",
            "waiting", "withheld"} <= set(data)  # fmt: skip
    assert (data["new_revisions"], data["already_had"], data["conflicts"]) == (1, 0, [])
    code, again, err = run_cli(coordinator, pfile, "import", bundle, "--json", capsys=capsys)
    assert code == 0 and json.loads(again)["already_imported"] is True
    code, out, err = run_cli(coordinator, pfile, "import", bundle, capsys=capsys)
    assert code == 0 and "Already imported" in out
    code, out, _ = run_cli(coordinator, pfile, "case", "show", case_id, "--json", capsys=capsys)
    assert code == 0 and json.loads(out)["id"] == case_id


def test_import_json_is_deterministic_across_vaults(tmp_path):
    monitor = make_party(tmp_path, "M")
    c1, c2 = make_party(tmp_path, "C1", "coordinator"), make_party(tmp_path, "C2", "coordinator")
    trust(monitor, c1, c2)
    trust(c1, monitor)
    trust(c2, monitor)
    new_case(monitor)
    bundle = export(monitor, tmp_path / "b.intake", "C1", "C2")
    assert import_(c1, bundle).as_json() == import_(c2, bundle).as_json()


def test_coordinator_reexport_keeps_monitor_authorship(tmp_path):
    monitor = make_party(tmp_path, "M")
    c1, c2 = make_party(tmp_path, "C1", "coordinator"), make_party(tmp_path, "C2", "coordinator")
    trust(monitor, c1)
    trust(c1, monitor, c2)
    trust(c2, c1)  # C2 has never met the monitor: its card travels in C1's bundle
    case_id = new_case(monitor)
    import_(c1, export(monitor, tmp_path / "m.intake", "C1"))
    bundle = export(c1, tmp_path / "c1.intake", "C2", cases=[case_id])
    result = import_(c2, bundle)
    assert result.new_revisions == 1 and result.author == c1.fingerprint
    dump = json.loads(case_dump(c2))
    assert dump["cases"][case_id]["history"][0]["author"] == monitor.fingerprint
    assert dump["known"] == [monitor.fingerprint]
    # and C2 can pass it on again, the card coming from its known devices
    trust(c2, make_party(tmp_path, "C3", "coordinator"))
    again = open_bundle(export(c2, tmp_path / "c2.intake", "C3", cases=[case_id]), c2.identity)
    assert f"cards/{monitor.fingerprint}.json" in [n for n, _ in again.members]


def test_import_with_receipt_writes_a_bundle_the_sender_imports(world, tmp_path, pfile, capsys):
    monitor, coordinator = world
    new_case(monitor)
    bundle = export(monitor, tmp_path / "b.intake", "Coordinator")
    receipt = tmp_path / "r.intake"
    code, out, err = run_cli(coordinator, pfile, "import", bundle, "--json", "--receipt",
                             receipt, capsys=capsys)  # fmt: skip
    assert code == 0, err
    assert json.loads(out)["new_revisions"] == 1 and "Receipt written" in err
    code, out, err = run_cli(monitor, pfile, "verify", receipt, capsys=capsys)
    assert code == 0 and "Coordinator" in out
    code, out, err = run_cli(monitor, pfile, "import", receipt, capsys=capsys)
    assert code == 0, err
    # A repeated import with --receipt is still done (exit 0), and says no receipt was made.
    code, out, err = run_cli(coordinator, pfile, "import", bundle, "--receipt",
                             tmp_path / "r2.intake", capsys=capsys)  # fmt: skip
    assert code == 0 and "Already imported" in out and "no receipt" in err
    assert not (tmp_path / "r2.intake").exists()
