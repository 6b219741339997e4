"""Retraction: local erasure leaves nothing readable (plaintext export and raw pages, WAL
included), tombstones win in both import orders and against a replayed old bundle, travel
only where the case went, and forged ones are refused."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest
from bundle_support import (
    case_dump,
    export,
    full_dump,
    import_,
    open_bundle,
    rebuild,
    run_cli,
)
from lifecycle_support import (
    GPS_SERIAL,
    case_with_photos,
    leftovers,
    leftovers_in,
    make_party,
    markers,
    trust_all,
)

from intake_app.bundles import manifest as mf
from intake_app.canonical import canonical_json
from intake_app.cases.queries import CaseFilter
from intake_app.cases.search import search_cases
from intake_app.cases.store import CaseStore
from intake_app.errors import BundleRefused, IntakeError
from intake_app.identity.card import card_of
from intake_app.lifecycle import tombstone
from intake_app.reports.stats import compute_stats


@pytest.fixture
def world(tmp_path):
    monitor = make_party(tmp_path, "Monitor")
    c1 = make_party(tmp_path, "Coord One", "coordinator")
    c2 = make_party(tmp_path, "Coord Two", "coordinator")
    trust_all(monitor, c1, c2)
    return monitor, c1, c2


def _show(party, case_id):
    vault = party.open()
    try:
        store = CaseStore(vault)
        return store.get(case_id), store.count(), store.count(CaseFilter(include_retracted=True))
    finally:
        vault.close()


def test_retraction_leaves_no_content_in_the_database_or_wal(world, tmp_path):
    monitor, _, _ = world
    m = markers("Loc1")
    case_id, injury, face = case_with_photos(monitor, m, tmp_path)
    vault = monitor.open()
    try:
        words = [*m.all(), GPS_SERIAL]
        assert leftovers_in(vault, words, tmp_path) == words  # the scan does find them
        done = tombstone.retract(vault, case_id)
        assert done.erasure.blobs >= 2 and done.recipients == []
        assert leftovers_in(vault, words, tmp_path) == []  # -wal of the open vault too
        store = CaseStore(vault)
        record = store.get(case_id)
        assert record.retracted and record.answers == {} and record.attachments == []
        assert store.count() == 0 and search_cases(vault.conn, m.narrative) == []
        assert compute_stats(vault.conn)["cases"] == 0
        held = {r[0] for r in vault.conn.execute("SELECT sha256 FROM blobs")}
        assert not held & {injury, face}
        # ids and hashes stay
        assert len(record.revisions) == 4 and record.heads
    finally:
        vault.close()
    assert leftovers(monitor, words, tmp_path) == []


def test_retracted_case_cannot_be_edited_or_retracted_again(world, tmp_path):
    monitor, _, _ = world
    case_id, _, _ = case_with_photos(monitor, markers("Ed"), tmp_path)
    vault = monitor.open()
    try:
        tombstone.retract(vault, case_id)
        with pytest.raises(IntakeError, match="retracted"):
            CaseStore(vault).save(case_id, {"victim.pseudonym": "back"})
        with pytest.raises(IntakeError, match="already retracted"):
            tombstone.retract(vault, case_id)
    finally:
        vault.close()


def test_identifying_only_erases_protected_answers_and_face_photos(world, tmp_path):
    monitor, _, _ = world
    m = markers("Idf")
    case_id, injury, face = case_with_photos(monitor, m, tmp_path)
    vault = monitor.open()
    try:
        tombstone.retract(vault, case_id, identifying_only=True)
        record = CaseStore(vault).get(case_id)
        assert not record.retracted
        assert "victim.full_name" not in record.answers and "victim.contact" not in record.answers
        assert "victim.birth_date" not in record.answers
        assert "evidence.face_photos" not in record.answers
        assert record.answers["victim.pseudonym"] == m.pseudonym
        assert record.answers["evidence.injury_photos"] == [injury]
        assert [a["sha256"] for a in record.attachments] == [injury]
        held = {r[0] for r in vault.conn.execute("SELECT sha256 FROM blobs")}
        assert injury in held and face not in held
        assert CaseStore(vault).count() == 1
    finally:
        vault.close()
    assert leftovers(monitor, m.identifying(), tmp_path) == []
    assert leftovers(monitor, [m.narrative, m.pseudonym], tmp_path) == [m.narrative, m.pseudonym]


def _two_bundles(world, tmp_path, *, identifying=False):
    """(old bundle with the case, bundle with its tombstone), both for C1 and C2."""
    monitor, c1, c2 = world
    m = markers("Ord")
    case_id, _, _ = case_with_photos(monitor, m, tmp_path)
    old = export(monitor, tmp_path / "old.intake", c1.fingerprint, c2.fingerprint)
    vault = monitor.open()
    try:
        tombstone.retract(vault, case_id, identifying_only=identifying)
    finally:
        vault.close()
    tomb = export(monitor, tmp_path / "tomb.intake", c1.fingerprint, c2.fingerprint)
    return case_id, m, old, tomb


@pytest.mark.parametrize("identifying", [False, True], ids=["case", "identifying"])
def test_tombstone_wins_in_both_import_orders(world, tmp_path, identifying):
    _, c1, c2 = world
    case_id, m, old, tomb = _two_bundles(world, tmp_path, identifying=identifying)
    names = [n for n, _ in open_bundle(tomb, c1.identity).members]
    assert any(n.startswith("tombstones/") for n in names)
    assert not any(n.startswith(("revisions/", "blobs/")) for n in names)
    import_(c1, old)
    import_(c1, tomb)
    import_(c2, tomb)
    import_(c2, old)
    assert case_dump(c1) == case_dump(c2)
    for party in (c1, c2):
        record, _, _ = _show(party, case_id)
        assert record.retracted is (not identifying)
        assert "victim.full_name" not in record.answers
        # (the injury photo, serial included, stays after an identifying-only retraction)
        gone = m.identifying() if identifying else [*m.all(), GPS_SERIAL]
        assert leftovers(party, gone, tmp_path) == []


def test_replayed_old_bundle_never_brings_content_back(world, tmp_path):
    monitor, c1, _ = world
    m = markers("Rpl")
    case_id, _, _ = case_with_photos(monitor, m, tmp_path)
    early = export(monitor, tmp_path / "early.intake", c1.fingerprint)
    replay = export(monitor, tmp_path / "replay.intake", c1.fingerprint, cases=[case_id])
    import_(c1, early)
    vault = monitor.open()
    try:
        tombstone.retract(vault, case_id)
    finally:
        vault.close()
    import_(c1, export(monitor, tmp_path / "tomb.intake", c1.fingerprint))
    assert import_(c1, early).already_imported
    result = import_(c1, replay)  # an old bundle never imported here: content discarded
    assert not result.already_imported
    record, listed, _ = _show(c1, case_id)
    assert record.retracted and record.answers == {} and listed == 0
    assert leftovers(c1, [*m.all(), GPS_SERIAL], tmp_path) == []


def test_tombstone_travels_only_to_recipients_the_case_went_to(world, tmp_path):
    monitor, c1, c2 = world
    m = markers("Trv")
    case_id, _, _ = case_with_photos(monitor, m, tmp_path)
    export(monitor, tmp_path / "to-c1.intake", c1.fingerprint)
    other, _, _ = case_with_photos(monitor, markers("Oth"), tmp_path)
    vault = monitor.open()
    try:
        tombstone.retract(vault, case_id)
    finally:
        vault.close()
    to_c2 = export(monitor, tmp_path / "to-c2.intake", c2.fingerprint)
    assert not any(n.startswith("tombstones/") for n, _ in open_bundle(to_c2, c2.identity).members)
    to_c1 = export(monitor, tmp_path / "to-c1b.intake", c1.fingerprint)
    assert any(n.startswith("tombstones/") for n, _ in open_bundle(to_c1, c1.identity).members)
    with pytest.raises(IntakeError, match="Nothing to send"):
        export(monitor, tmp_path / "again.intake", c1.fingerprint)  # sent once
    assert other


def test_coordinator_forwards_a_tombstone_it_received(world, tmp_path):
    monitor, c1, c2 = world
    case_id, _, _ = case_with_photos(monitor, markers("Fwd"), tmp_path)
    import_(c1, export(monitor, tmp_path / "a.intake", c1.fingerprint))
    import_(c2, export(c1, tmp_path / "b.intake", c2.fingerprint))
    vault = monitor.open()
    try:
        tombstone.retract(vault, case_id)
    finally:
        vault.close()
    import_(c1, export(monitor, tmp_path / "t.intake", c1.fingerprint))
    import_(c2, export(c1, tmp_path / "t2.intake", c2.fingerprint))
    record, _, _ = _show(c2, case_id)
    assert record.retracted and record.answers == {}


def _forged_tombstone_bundle(world, tmp_path, *, signer, body_change=None, bad_sig=False):
    monitor, c1, _ = world
    case_id, _, _ = case_with_photos(monitor, markers("Frg"), tmp_path)
    import_(c1, export(monitor, tmp_path / "a.intake", c1.fingerprint))
    t = tombstone.make_tombstone(signer.identity, case_id, "case")
    record = json.loads(t.record.to_member())
    if body_change:
        record["body"].update(body_change)
        record["id"] = hashlib.sha256(canonical_json(record["body"])).hexdigest()
    if bad_sig:
        record["signature"] = base64.b64encode(bytes(64)).decode()
    data = canonical_json(record)
    name = mf.path_for(mf.KIND_TOMBSTONE, record["id"])
    card_bytes = card_of(monitor.identity).to_bytes()
    members = [(mf.path_for(mf.KIND_CARD, monitor.fingerprint), card_bytes), (name, data)]
    manifest = {
        "format": mf.FORMAT,
        "major": 1,
        "minor": 0,
        "bundle_id": mf.new_bundle_id(),
        "author": monitor.fingerprint,
        "recipients": sorted([monitor.fingerprint, c1.fingerprint]),
        "seq": 7,
        "created_at": "2024-01-01T00:00:00.000Z",
        "withheld": 0,
        "members": [
            {"kind": kind, "path": n, "sha256": hashlib.sha256(d).hexdigest(), "size": len(d)}
            for kind, (n, d) in zip((mf.KIND_CARD, mf.KIND_TOMBSTONE), members, strict=True)
        ],
    }
    path = rebuild(
        tmp_path / "forged.intake",
        monitor.identity,
        [monitor.identity.age_recipient, c1.identity.age_recipient],
        manifest,
        members,
    )
    return case_id, path


@pytest.mark.parametrize(
    "attack",
    ["other_author_key", "altered_body", "zero_signature"],
)
def test_forged_tombstone_is_refused_and_changes_nothing(world, tmp_path, attack):
    monitor, c1, c2 = world
    kwargs = {
        "other_author_key": {"signer": c2, "body_change": {"author": monitor.fingerprint}},
        "altered_body": {"signer": monitor, "body_change": {"scope": "identifying"}},
        "zero_signature": {"signer": monitor, "bad_sig": True},
    }[attack]
    case_id, path = _forged_tombstone_bundle(world, tmp_path, **kwargs)
    before = full_dump(c1)
    with pytest.raises(BundleRefused, match="tombstone's signature"):
        import_(c1, path)
    assert full_dump(c1) == before
    record, _, _ = _show(c1, case_id)
    assert not record.retracted and record.answers


def test_retract_cli_confirms_and_says_what_happens(world, tmp_path, passphrase_file, capsys):
    monitor, c1, _ = world
    case_id, _, _ = case_with_photos(monitor, markers("Cli"), tmp_path)
    export(monitor, tmp_path / "a.intake", c1.fingerprint)
    code, _, err = run_cli(monitor, passphrase_file, "case", "retract", case_id, capsys=capsys)
    assert code == 2 and "--yes" in err  # no terminal, no --yes: nothing happens
    assert not _show(monitor, case_id)[0].retracted
    code, out, err = run_cli(
        monitor, passphrase_file, "case", "retract", case_id, "--yes", capsys=capsys
    )
    assert code == 0, err
    assert "tombstone goes to" in out and c1.identity.fingerprint_display in out
    code, out, _ = run_cli(
        monitor, passphrase_file, "case", "show", case_id, "--json", capsys=capsys
    )
    shown = json.loads(out)
    assert shown["retracted"] is True and shown["answers"] == {}
    code, out, _ = run_cli(monitor, passphrase_file, "case", "list", "--json", capsys=capsys)
    assert case_id not in out


def test_retract_question_names_the_consequences():
    from intake_app.cli.commands.lifecycle_cmds import retract_question

    text = retract_question("c-1", False, 2)
    assert "every answer" in text and "2 recipient(s)" in text and "cannot be undone" in text
    text = retract_question("c-1", True, 0)
    assert "identifying answers" in text and "face" in text and "not sent" in text
