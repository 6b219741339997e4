"""Receipts round trip (delivered_to, erasing delivered attachments), backup and restore
equality, and destroy leaving nothing that opens."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest
from bundle_support import PASSPHRASE, case_dump, export, full_dump, import_, run_cli
from lifecycle_support import case_with_photos, make_party, markers, trust_all

from intake_app.cases.attachments import open_blob
from intake_app.cases.store import CaseStore
from intake_app.cli.commands.case_cmds import show_json
from intake_app.errors import BundleRefused, IntakeError, NoVault, VaultDamaged, WrongPassphrase
from intake_app.lifecycle import backup as bk
from intake_app.lifecycle import destroy as ds
from intake_app.lifecycle import receipts
from intake_app.vault import Vault, keyring_slot


@pytest.fixture
def world(tmp_path):
    monitor = make_party(tmp_path, "Monitor")
    coord = make_party(tmp_path, "Coord", "coordinator")
    other = make_party(tmp_path, "Other", "coordinator")
    trust_all(monitor, coord, other)
    return monitor, coord, other


def _receipt_for(party, bundle, out):
    vault = party.open()
    try:
        from intake_app.bundles.importer import import_bundle

        result = import_bundle(vault, bundle)
        return result, receipts.write_receipt(vault, result, out)
    finally:
        vault.close()


def test_receipt_round_trip_shows_who_holds_the_case(world, tmp_path, passphrase_file, capsys):
    monitor, coord, _ = world
    case_id, injury, face = case_with_photos(monitor, markers("Rcp"), tmp_path)
    bundle = export(monitor, tmp_path / "a.intake", coord.fingerprint)
    result, written = _receipt_for(coord, bundle, tmp_path / "receipt.intake")
    assert written.addressee == monitor.fingerprint and written.items >= 6
    vault = monitor.open()
    try:
        assert receipts.delivered_to(vault.conn, case_id) == []
    finally:
        vault.close()
    back = import_(monitor, written.path)
    assert back.receipts and back.new_revisions == 0
    code, out, err = run_cli(
        monitor, passphrase_file, "case", "delivered", case_id, "--json", capsys=capsys
    )
    assert code == 0, err
    assert json.loads(out)["delivered_to"] == [coord.fingerprint]
    code, out, err = run_cli(
        monitor, passphrase_file, "case", "show", case_id, "--json", capsys=capsys
    )
    assert code == 0, err
    assert json.loads(out)["delivered_to"] == [coord.fingerprint]
    with pytest.raises(IntakeError, match="already imported|imported before"):
        receipts.write_receipt(
            coord.open(),
            result.__class__(**{**result.__dict__, "already_imported": True}),
            tmp_path / "r2.intake",
        )
    # erasing delivered attachments: only on request, and only confirmed ones
    code, _, err = run_cli(
        monitor, passphrase_file, "case", "erase-attachments", case_id, "--delivered", capsys=capsys
    )
    assert code == 2  # no terminal, no --yes: nothing erased
    code, out, err = run_cli(
        monitor,
        passphrase_file,
        "case",
        "erase-attachments",
        case_id,
        "--delivered",
        "--yes",
        capsys=capsys,
    )
    assert code == 0, err
    assert injury in out and face in out
    vault = monitor.open()
    try:
        with pytest.raises(IntakeError, match="not in the vault"):
            open_blob(vault.conn, injury)
        assert sorted(receipts.erased_attachments(vault.conn, case_id)) == sorted([injury, face])
        with pytest.raises(IntakeError, match="nothing was erased"):
            receipts.erase_delivered_attachments(vault, case_id)
    finally:
        vault.close()
    vault = coord.open()
    try:
        assert open_blob(vault.conn, injury).read()  # the coordinator still holds it
    finally:
        vault.close()


def test_without_a_receipt_nothing_is_erased(world, tmp_path):
    monitor, coord, _ = world
    case_id, _, _ = case_with_photos(monitor, markers("Nrc"), tmp_path)
    import_(coord, export(monitor, tmp_path / "a.intake", coord.fingerprint))
    before = full_dump(monitor)
    vault = monitor.open()
    try:
        with pytest.raises(IntakeError, match="nothing was erased"):
            receipts.erase_delivered_attachments(vault, case_id)
    finally:
        vault.close()
    assert full_dump(monitor) == before


def test_receipt_addressed_to_another_device_is_refused(world, tmp_path):
    monitor, coord, other = world
    case_with_photos(monitor, markers("Adr"), tmp_path)
    bundle = export(monitor, tmp_path / "a.intake", coord.fingerprint)
    _, written = _receipt_for(coord, bundle, tmp_path / "r.intake")
    with pytest.raises(BundleRefused, match="not addressed"):
        import_(other, written.path)  # encrypted to the monitor only


def test_backup_and_restore_give_back_every_case(world, tmp_path, passphrase_file, capsys):
    monitor, coord, _ = world
    ids = [case_with_photos(monitor, markers(f"Bk{i}"), tmp_path)[0] for i in range(3)]
    import_(coord, export(monitor, tmp_path / "a.intake", coord.fingerprint))
    out = tmp_path / "usb" / "coord.backup"
    out.parent.mkdir()
    code, text, err = run_cli(coord, passphrase_file, "backup", "--out", out, capsys=capsys)
    assert code == 0, err
    assert "3 case(s)" in text
    with tarfile.open(out) as tar:
        names = tar.getnames()
        contents = {n: tar.extractfile(n).read() for n in names}  # type: ignore[union-attr]
    assert names[:3] == ["intake-backup.json", "header.json", "vault.db"]
    held = coord.open()
    try:  # one member per attachment file, under its own (random) name
        files = {r[0] for r in held.conn.execute("SELECT file_id FROM blobs")}
    finally:
        held.close()
    assert files and {f"blobs/{f}" for f in files} == set(names[3:])
    assert not contents["vault.db"].startswith(b"SQLite format 3")
    # Whole markers: a 3-byte one turns up in ciphertext by chance (about 1 run in 20).
    for i in range(3):
        mark = markers(f"Bk{i}")
        for text in (mark.name, mark.narrative, mark.pseudonym):
            assert all(text.encode() not in data for data in contents.values())
    restored = tmp_path / "elsewhere" / "vault"
    code, _, err = run_cli(
        coord, passphrase_file, "restore", out, "--vault", restored, capsys=capsys
    )
    assert code == 0, err
    original = case_dump(coord)
    copy = case_dump(type(coord)(coord.name, restored, coord.role, coord.identity))
    assert copy == original
    a, b = Vault.open(coord.path, PASSPHRASE), Vault.open(restored, PASSPHRASE)
    try:
        sa, sb = CaseStore(a), CaseStore(b)
        for case_id in ids:
            assert show_json(sa, sa.get(case_id)) == show_json(sb, sb.get(case_id))
        seq = "SELECT next_sequence FROM device_identity"
        assert b.conn.execute(seq).fetchone()[0] >= a.conn.execute(seq).fetchone()[0] + 2**32
        assert not b.remembered_in_keyring
    finally:
        a.close()
        b.close()


def test_restore_refuses_wrong_passphrase_damage_and_an_occupied_folder(world, tmp_path):
    monitor, _, _ = world
    case_with_photos(monitor, markers("Rf"), tmp_path)
    out = tmp_path / "m.backup"
    vault = monitor.open()
    try:
        bk.backup(vault, out)
        with pytest.raises(IntakeError, match="outside the vault folder"):
            bk.backup(vault, monitor.path / "inside.backup")
    finally:
        vault.close()
    target = tmp_path / "r"
    with pytest.raises(WrongPassphrase):
        bk.restore(out, target, "not the passphrase at all")
    assert not target.exists() and not list(tmp_path.glob(".r.creating-*"))
    junk = tmp_path / "junk.backup"
    junk.write_bytes(b"not a tar" * 100)
    with pytest.raises(IntakeError, match="not a Field Intake backup"):
        bk.restore(junk, target, PASSPHRASE)
    truncated = tmp_path / "short.backup"
    truncated.write_bytes(out.read_bytes()[:5000])
    with pytest.raises(IntakeError):
        bk.restore(truncated, target, PASSPHRASE)
    assert not target.exists()
    with pytest.raises(IntakeError, match="already a vault"):
        bk.restore(out, monitor.path, PASSPHRASE)


def _rewrite_backup(source: Path, target: Path, change) -> None:
    """A copy of a backup tar with `change(name, data)` applied to each member (None drops it)."""
    with tarfile.open(source) as tar, tarfile.open(target, "w", format=tarfile.USTAR_FORMAT) as out:
        for member in tar.getmembers():
            data = change(member.name, tar.extractfile(member).read())  # type: ignore[union-attr]
            if data is not None:
                member.size = len(data)
                out.addfile(member, io.BytesIO(data))


def test_restore_refuses_a_backup_whose_attachment_is_damaged_or_missing(world, tmp_path):
    monitor, _, _ = world
    case_with_photos(monitor, markers("Ad"), tmp_path)
    out = tmp_path / "m.backup"
    vault = monitor.open()
    try:
        bk.backup(vault, out)
    finally:
        vault.close()

    def flip(name: str, data: bytes) -> bytes:
        return data[:-1] + bytes([data[-1] ^ 1]) if name.startswith("blobs/") else data

    def drop(name: str, data: bytes) -> bytes | None:
        return None if name.startswith("blobs/") else data

    for damage in (flip, drop):
        bad = tmp_path / f"{damage.__name__}.backup"
        _rewrite_backup(out, bad, damage)
        target = tmp_path / f"r-{damage.__name__}"
        with pytest.raises(VaultDamaged, match="attachments are damaged or missing"):
            bk.restore(bad, target, PASSPHRASE)
        assert not target.exists() and not list(tmp_path.glob(f".{target.name}.creating-*"))


def test_restore_refuses_foreign_members_and_reads_the_earlier_format(world, tmp_path):
    monitor, _, _ = world
    out = tmp_path / "plain.backup"
    vault = monitor.open()
    try:
        bk.backup(vault, out)  # a vault without attachments: what a v1 backup held
    finally:
        vault.close()
    for name, data in (("blobs/../../evil", b"x"), ("notes.txt", b"x"), ("blobs/ABC", b"x")):
        bad = tmp_path / "extra.backup"
        with tarfile.open(out) as tar, tarfile.open(bad, "w", format=tarfile.USTAR_FORMAT) as o:
            for member in tar.getmembers():
                o.addfile(member, tar.extractfile(member))
            extra = tarfile.TarInfo(name)
            extra.size = len(data)
            o.addfile(extra, io.BytesIO(data))
        with pytest.raises(IntakeError, match="not a Field Intake backup"):
            bk.restore(bad, tmp_path / "x", PASSPHRASE)
        assert not (tmp_path / "x").exists()
    v1 = tmp_path / "v1.backup"

    def as_v1(name: str, data: bytes) -> bytes:
        if name == "intake-backup.json":
            return data.replace(b"intake-backup-v2", b"intake-backup-v1")
        return data

    _rewrite_backup(out, v1, as_v1)
    assert bk.restore(v1, tmp_path / "from-v1", PASSPHRASE) == 0


def test_destroy_leaves_nothing_that_opens(world, tmp_path, memory_keyring):
    monitor, _, _ = world
    case_with_photos(monitor, markers("Ds"), tmp_path)
    vault = monitor.open()
    vault.remember_in_keyring()
    vault_id = vault.vault_id
    with pytest.raises(IntakeError, match="not this vault's name"):
        ds.destroy(vault, "Someone else")
    assert vault.is_open and (monitor.path / "vault.db").exists()
    done = ds.destroy(vault, "Monitor")
    assert done.keyring_cleared and done.files_removed >= 3
    assert not monitor.path.exists()
    assert keyring_slot.load_secret(vault_id) is None
    with pytest.raises(NoVault):
        Vault.open(monitor.path, PASSPHRASE)


def test_crypto_erased_header_no_longer_unwraps_the_key(world, tmp_path):
    monitor, _, _ = world
    copy = tmp_path / "copy"
    import shutil

    shutil.copytree(monitor.path, copy)
    ds.crypto_erase_header(copy)
    with pytest.raises((WrongPassphrase, IntakeError)):
        Vault.open(copy, PASSPHRASE)


def test_destroy_cli_needs_the_name(world, tmp_path, passphrase_file, capsys):
    monitor, _, _ = world
    code, _, err = run_cli(monitor, passphrase_file, "destroy", "--yes", capsys=capsys)
    assert code == 2 and "--confirm-name" in err
    code, _, err = run_cli(monitor, passphrase_file, "destroy", capsys=capsys)
    assert code == 2
    code, _, err = run_cli(
        monitor, passphrase_file, "destroy", "--yes", "--confirm-name", "Wrong", capsys=capsys
    )
    assert code == 1 and monitor.path.exists()
    code, out, err = run_cli(
        monitor, passphrase_file, "destroy", "--yes", "--confirm-name", "Monitor", capsys=capsys
    )
    assert code == 0, err
    assert "wear levelling" in out and "full-disk encryption" in out
    assert not monitor.path.exists()
