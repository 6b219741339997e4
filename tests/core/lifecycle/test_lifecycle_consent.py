"""Consent at export: each consent value for each recipient category, the strictest form
across recipients, anonymised views (protected answers and photo EXIF/GPS stripped, signed by
the exporter, the original kept at home), and withheld counts said in the CLI and JSON."""

from __future__ import annotations

import io
import json

import pytest
from bundle_support import export, import_, open_bundle, run_cli
from lifecycle_support import (
    CATEGORIES,
    GPS_SERIAL,
    case_answers,
    case_with_photos,
    consent,
    make_party,
    markers,
    trust_all,
)
from PIL import Image

from intake_app.cases.attachments import open_blob
from intake_app.cases.store import CaseStore
from intake_app.errors import IntakeError
from intake_app.lifecycle import consent as consent_mod
from intake_app.lifecycle import imagemeta

VALUES = {
    "named": "named",
    "anonymous": "anonymous",
    "no": "withheld",
    "unknown": "withheld",
    "declined": "withheld",
    "missing": "withheld",
}


def _value(name):
    if name == "missing":
        return None
    if name == "declined":
        return {"status": "declined"}
    return name


@pytest.mark.parametrize("category", CATEGORIES)
def test_each_consent_value_for_each_category(tmp_path, category):
    monitor = make_party(tmp_path, "Monitor")
    vault = monitor.open()
    try:
        store = CaseStore(vault)
        ids = {}
        for name in VALUES:
            share = consent(**{c: "named" for c in CATEGORIES})
            share.pop(f"consent.share.{category}")
            if _value(name) is not None:
                share[f"consent.share.{category}"] = _value(name)
            ids[name] = store.new_case({**share, "victim.pseudonym": name})
        hidden = store.new_case({**consent("named"), "consent.interview": "no"})
        decision = consent_mod.decide(vault.conn, [*ids.values(), hidden], [category])
    finally:
        vault.close()
    got = {
        name: "named"
        if cid in decision.named
        else "anonymous"
        if cid in decision.anonymous
        else "withheld"
        for name, cid in ids.items()
    }
    assert got == VALUES
    reasons = dict(decision.withheld)
    assert f"consent.share.{category} = no" in reasons[ids["no"]]
    assert "is unknown" in reasons[ids["unknown"]]
    assert "is declined" in reasons[ids["declined"]]
    assert "no answer recorded" in reasons[ids["missing"]]
    # consent to share is asked only after consent to the interview: hidden counts as missing
    assert "no answer recorded" in reasons[hidden]


def test_every_recipient_must_allow_and_the_strictest_form_wins(tmp_path):
    monitor = make_party(tmp_path, "Monitor")
    vault = monitor.open()
    try:
        store = CaseStore(vault)
        mixed = store.new_case(consent("named", lawyer="anonymous"))
        refused = store.new_case(consent("named", prosecutor="no"))
        decide = consent_mod.decide
        assert decide(vault.conn, [mixed], ["coalition"]).named == [mixed]
        assert decide(vault.conn, [mixed], ["coalition", "lawyer"]).anonymous == [mixed]
        both = decide(vault.conn, [refused], ["coalition", "prosecutor"])
        assert both.named == [] and both.anonymous == [] and len(both.withheld) == 1
        assert decide(vault.conn, [mixed], ["martians"]).withheld[0][1].startswith("a recipient")
    finally:
        vault.close()


@pytest.fixture
def lawyer_world(tmp_path):
    monitor = make_party(tmp_path, "Monitor")
    lawyer = make_party(tmp_path, "Lawyer", "lawyer")
    coord = make_party(tmp_path, "Coord", "coordinator")
    trust_all(monitor, lawyer, coord)
    return monitor, lawyer, coord


def _exif_of(data: bytes) -> dict:
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        exif = image.getexif()
        return {**dict(exif), **dict(exif.get_ifd(0x8825))}


def test_anonymous_export_strips_protected_answers_and_photo_gps(lawyer_world, tmp_path):
    monitor, lawyer, _ = lawyer_world
    m = markers("Anon")
    case_id, injury, face = case_with_photos(
        monitor, m, tmp_path, consent("named", lawyer="anonymous")
    )
    bundle = export(monitor, tmp_path / "to-lawyer.intake", lawyer.fingerprint)
    raw = open_bundle(bundle, lawyer.identity)
    payload_text = b"".join(d for _, d in raw.members)
    assert m.name.encode() not in payload_text and GPS_SERIAL.encode() not in payload_text
    import_(lawyer, bundle)
    vault = lawyer.open()
    try:
        record = CaseStore(vault).get(case_id)
        for qid in (
            "victim.full_name",
            "victim.birth_date",
            "victim.contact",
            "evidence.face_photos",
        ):
            assert qid not in record.answers
        assert record.answers["victim.pseudonym"] == m.pseudonym
        assert m.narrative in record.answers["incident.narrative"]
        (photo,) = record.attachments
        assert photo["sha256"] not in (injury, face) and photo["name"] == "photo-1.jpg"
        assert record.answers["evidence.injury_photos"] == [photo["sha256"]]
        data = open_blob(vault.conn, photo["sha256"]).read()
        assert _exif_of(data) == {} and GPS_SERIAL.encode() not in data
        body = CaseStore(vault).revision(record.heads[0]).body
        assert body["derived_from"] == {"view": "anonymised", "attachments_left_out": 1}
        assert body["author"] == monitor.fingerprint
    finally:
        vault.close()
    home = monitor.open()  # the original stays as it was in the sender's vault
    try:
        record = CaseStore(home).get(case_id)
        assert record.answers["victim.full_name"] == m.name
        assert GPS_SERIAL.encode() in open_blob(home.conn, injury).read()
        assert len(record.heads) == 1
    finally:
        home.close()


def test_anonymised_views_chain_so_the_recipient_sees_no_conflict(lawyer_world, tmp_path):
    monitor, lawyer, _ = lawyer_world
    vault = monitor.open()
    try:
        store = CaseStore(vault)
        answers = case_answers(markers("Chn"), consent("named", lawyer="anonymous"))
        case_id = store.new_case(answers)
    finally:
        vault.close()
    import_(lawyer, export(monitor, tmp_path / "1.intake", lawyer.fingerprint))
    with pytest.raises(IntakeError, match="Nothing to send"):
        export(monitor, tmp_path / "none.intake", lawyer.fingerprint)  # same heads: same view
    vault = monitor.open()
    try:
        CaseStore(vault).save(case_id, {**answers, "victim.sex": "male"})
    finally:
        vault.close()
    import_(lawyer, export(monitor, tmp_path / "2.intake", lawyer.fingerprint))
    vault = lawyer.open()
    try:
        record = CaseStore(vault).get(case_id)
        assert not record.conflict and len(record.revisions) == 2
        assert record.answers["victim.sex"] == "male" and "victim.full_name" not in record.answers
    finally:
        vault.close()


def test_mixed_bundle_sends_anonymised_to_a_named_recipient_too(lawyer_world, tmp_path):
    monitor, lawyer, coord = lawyer_world
    m = markers("Mix")
    case_id, _, _ = case_with_photos(monitor, m, tmp_path, consent("named", lawyer="anonymous"))
    import_(coord, export(monitor, tmp_path / "b.intake", coord.fingerprint, lawyer.fingerprint))
    vault = coord.open()
    try:
        record = CaseStore(vault).get(case_id)
        assert "victim.full_name" not in record.answers
    finally:
        vault.close()


def test_damaged_photo_withholds_the_case_with_a_reason(lawyer_world, tmp_path):
    monitor, lawyer, _ = lawyer_world
    vault = monitor.open()
    try:
        store = CaseStore(vault)
        answers = case_answers(markers("Dmg"), consent("named", lawyer="anonymous"))
        case_id = store.new_case(answers)
        bad = tmp_path / "bad.jpg"
        bad.write_bytes(b"\xff\xd8\xff\xe1\x00\x10Exif\x00\x00" + b"\x00" * 8)  # ends early
        _, entry = store.attach(case_id, bad)
        store.save(case_id, {**answers, "evidence.injury_photos": [entry["sha256"]]})
    finally:
        vault.close()
    with pytest.raises(IntakeError, match="cannot be cleaned"):
        export(monitor, tmp_path / "x.intake", lawyer.fingerprint)
    assert not (tmp_path / "x.intake").exists()


def test_withheld_counts_in_cli_output_and_import_json(
    lawyer_world, tmp_path, passphrase_file, capsys
):
    monitor, _, coord = lawyer_world
    vault = monitor.open()
    try:
        store = CaseStore(vault)
        sent = store.new_case(consent("named"))
        no = store.new_case(consent("named", coalition="no"))
        missing = store.new_case(consent("named", coalition=None))
    finally:
        vault.close()
    out_file = tmp_path / "c.intake"
    code, out, err = run_cli(
        monitor,
        passphrase_file,
        "export",
        "--to",
        coord.fingerprint,
        "--out",
        out_file,
        capsys=capsys,
    )
    assert code == 0, err
    assert "2 case(s) withheld" in out
    assert f"withheld {no}: the person did not agree" in out
    assert f"withheld {missing}: no answer recorded" in out
    code, out, err = run_cli(coord, passphrase_file, "import", out_file, "--json", capsys=capsys)
    assert code == 0, err
    data = json.loads(out)
    assert data["withheld"] == 2 and data["new_revisions"] == 1
    assert sent


def test_jpeg_stripping_keeps_the_picture_and_drops_trailing_data(tmp_path):
    from lifecycle_support import gps_jpeg

    original = gps_jpeg(tmp_path / "p.jpg").read_bytes()
    clean = b"".join(imagemeta.strip_jpeg(io.BytesIO(original + b"MPF-SECOND-IMAGE")))
    assert _exif_of(original) and _exif_of(clean) == {}
    assert b"MPF-SECOND-IMAGE" not in clean and clean.endswith(b"\xff\xd9")
    with Image.open(io.BytesIO(original)) as a, Image.open(io.BytesIO(clean)) as b:
        assert a.tobytes() == b.tobytes()
    png = gps_jpeg(tmp_path / "p.png", fmt="PNG").read_bytes()
    assert GPS_SERIAL.encode() in png
    clean_png = b"".join(imagemeta.strip_png(io.BytesIO(png)))
    assert GPS_SERIAL.encode() not in clean_png and _exif_of(clean_png) == {}
    for damaged in (original[:40], b"\xff\xd8" + b"\x00" * 20, png[:30], b"not an image"):
        with pytest.raises(imagemeta.ImageNotClean):
            b"".join(
                imagemeta.strip_metadata(
                    "image/png" if damaged.startswith(b"\x89") else "image/jpeg",
                    io.BytesIO(damaged),
                )
            )
