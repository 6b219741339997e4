"""Two monitors, two coordinators, bundles delivered in different orders: the vaults end the
same (merge is idempotent and commutative), concurrent edits become a conflict that a
coordinator resolves, and a revoked device's later bundle is refused while its earlier one
is accepted."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from bundle_support import (
    PASSPHRASE,
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
    trust,
)

from intake_app.errors import BundleRefused
from intake_app.identity.trust import TrustRegistry


@pytest.fixture
def scene(tmp_path: Path):
    m1, m2 = make_party(tmp_path, "M1"), make_party(tmp_path, "M2")
    c1, c2 = make_party(tmp_path, "C1", "coordinator"), make_party(tmp_path, "C2", "coordinator")
    trust(m1, c1, c2, m2)
    trust(m2, c1, c2, m1)
    trust(c1, m1, m2, c2)
    trust(c2, m1, m2, c1)
    b = tmp_path / "bundles"
    b.mkdir()
    # M1 opens a case and sends it to everyone; M2 picks it up and edits it while M1 edits
    # it too (a conflict); M2 also has a case of its own with a photo.
    x = new_case(m1, {"victim.pseudonym": "Х-1", "victim.sex": "female"})
    a1 = export(m1, b / "a1.intake", "C1", "C2", "M2")
    import_(m2, a1)
    save(
        m2,
        x,
        {"victim.pseudonym": "Х-1", "victim.sex": "female", "incident.city": "kz.city.uralsk"},
    )
    save(m1, x, {"victim.pseudonym": "Х-1", "victim.sex": "female", "victim.age_at_incident": 17})
    a2 = export(m1, b / "a2.intake", "C1", "C2")
    y = new_case(m2, {"victim.pseudonym": "Ү-2"})
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(b"\xff\xd8\xff" + bytes(range(256)) * 5000)
    attach(m2, y, photo)
    b1 = export(m2, b / "b1.intake", "C1", "C2")
    save(m2, y, {"victim.pseudonym": "Ү-2 (edited)"})
    b2 = export(m2, b / "b2.intake", "C1", "C2")
    pfile = tmp_path / "pass.txt"
    pfile.write_text(PASSPHRASE + "\n")
    return {"m1": m1, "m2": m2, "c1": c1, "c2": c2, "x": x, "y": y, "pfile": pfile,
            "bundles": [a1, a2, b1, b2], "tmp": tmp_path}  # fmt: skip


def test_import_order_never_matters_and_reimport_changes_nothing(scene):
    c1, c2, x = scene["c1"], scene["c2"], scene["x"]
    bundles = scene["bundles"]
    results1 = [import_(c1, b) for b in bundles]
    results2 = [import_(c2, b) for b in reversed(bundles)]
    assert case_dump(c1) == case_dump(c2)
    assert x in results1[2].conflicts or x in results1[1].conflicts
    # the reverse order saw revisions waiting for their parents, then none
    assert any(r.waiting for r in results2) and not results2[-1].waiting
    dump = json.loads(case_dump(c1))
    assert dump["cases"][x]["conflict"] is True and len(dump["cases"][x]["heads"]) == 2
    assert all(not c["waiting"] for c in dump["cases"].values())
    before = full_dump(c1)
    for b in bundles:
        assert import_(c1, b).already_imported
    assert full_dump(c1) == before


@pytest.mark.parametrize("order", list(itertools.permutations(range(4)))[1::5])
def test_every_delivery_order_gives_the_same_vault(scene, order):
    c1, c2 = scene["c1"], scene["c2"]
    bundles = scene["bundles"]
    for b in bundles:
        import_(c1, b)
    for i in order:
        import_(c2, bundles[i])
    assert case_dump(c1) == case_dump(c2)


def test_conflict_resolved_by_coordinator_travels_to_the_other(scene, capsys):
    c1, c2, x, pfile = scene["c1"], scene["c2"], scene["x"], scene["pfile"]
    for b in scene["bundles"]:
        import_(c1, b)
        import_(c2, b)
    code, out, err = run_cli(c1, pfile, "case", "show", x, "--json", capsys=capsys)
    shown = json.loads(out)
    heads = shown["heads"]
    assert shown["conflict"] and len(heads) == 2
    take = heads[0]
    code, out, err = run_cli(c1, pfile, "case", "resolve", x, "--take", take, capsys=capsys)
    assert code == 0, err
    resolution = out.strip()
    code, out, _ = run_cli(c1, pfile, "case", "show", x, "--json", capsys=capsys)
    after = json.loads(out)
    assert after["heads"] == [resolution] and not after["conflict"]
    entry = next(h for h in after["history"] if h["id"] == resolution)
    assert sorted(entry["parents"]) == sorted(heads)
    bundle = export(c1, scene["tmp"] / "bundles" / "c1.intake", "C2")
    result = import_(c2, bundle)
    assert result.new_revisions == 1 and result.conflicts == []
    assert case_dump(c1) == case_dump(c2)


def test_revoked_device_later_bundle_refused_earlier_accepted(scene):
    c2, m2 = scene["c2"], scene["m2"]
    a1, a2, b1, b2 = scene["bundles"]
    seq_b1 = open_bundle(b1, m2.identity).manifest["seq"]
    vault = c2.open()
    try:
        TrustRegistry(vault).revoke(m2.fingerprint, seq_b1)
    finally:
        vault.close()
    before = full_dump(c2)
    with pytest.raises(BundleRefused, match="revoked after sequence"):
        import_(c2, b2)
    assert full_dump(c2) == before
    carried = [n for n, _ in open_bundle(b1, m2.identity).members if n.startswith("revisions/")]
    result = import_(c2, b1)
    assert result.signer_revoked and result.new_revisions == len(carried) == 4
    for b in (a1, a2):
        assert not import_(c2, b).signer_revoked
    vault = c2.open()
    try:
        rows = vault.conn.execute(
            "SELECT author, signer_revoked FROM revisions ORDER BY author, signer_revoked"
        ).fetchall()
    finally:
        vault.close()
    by_author: dict[str, set[int]] = {}
    for author, flag in rows:
        by_author.setdefault(author, set()).add(flag)
    assert by_author[m2.fingerprint] == {1}  # signed by a key revoked since
    assert by_author[scene["m1"].fingerprint] == {0}
