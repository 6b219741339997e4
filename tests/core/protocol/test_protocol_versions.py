"""Version compatibility: a record keeps the protocol (id, version, sha256) it was made under
and is evaluated with that protocol, even after a newer version ships."""

from __future__ import annotations

from protocol_support import FIXTURES

from intake_app.protocol import load_protocol, load_protocol_bytes

V1_RECORD = {
    "consent.interview": "yes", "victim.full_name": "Ерлан", "victim.sex": "male",
    "victim.age_at_incident": 16, "minor.legal_rep_present": "no",
    "complaint.filed": "yes", "complaint.isd_referral": "yes", "complaint.register": "kui",
    "episodes": [{"_id": "e1", "place": "kz.ivs.almaty", "methods": ["electric_shock"]}],
}
V1_FLAGS = ["minor_no_legal_rep", "complaint_not_in_erdr", "electric_shock", "isd_referral"]


def test_v2_is_newest_and_differs_as_described(sample_v1, sample_v2):
    assert load_protocol("sample", base=FIXTURES) is sample_v2
    assert sample_v2.label(sample_v2.question("victim.sex")) == "Sex or gender"
    assert sample_v1.label(sample_v1.question("victim.sex")) == "Sex"
    assert sample_v2.question("victim.disability") is not None
    assert sample_v1.question("victim.disability") is None
    assert sample_v2.question("complaint.isd_referral").retired
    assert not sample_v1.question("complaint.isd_referral").retired


def test_v1_record_opens_under_its_own_protocol_when_v2_is_newest(sample_v1):
    record_protocol = {"id": "sample", "version": 1, "sha256": sample_v1.sha256}
    p = load_protocol(record_protocol["id"], record_protocol["version"], base=FIXTURES)
    assert p.sha256 == record_protocol["sha256"]
    ev = p.evaluate(V1_RECORD)
    assert ev.problems == []
    assert ev.red_flags == V1_FLAGS
    assert "complaint.isd_referral" in ev.visible


def test_v1_protocol_from_the_vault_bytes(sample_v1):
    # A vault or bundle keeps the protocol's exact bytes; loading them gives the same result.
    content = (FIXTURES / "sample" / "v1.yaml").read_bytes()
    assert load_protocol_bytes(content).evaluate(V1_RECORD).red_flags == V1_FLAGS


def test_v1_record_also_validates_under_v2(sample_v2):
    ev = sample_v2.evaluate(V1_RECORD)
    assert ev.problems == []  # the retired question's answer stays valid
    assert "complaint.isd_referral" not in ev.visible  # never shown
    assert "complaint.isd_referral" not in ev.missing
    assert ev.red_flags == V1_FLAGS  # retired answers stay readable by rules
    assert "victim.disability" in ev.visible  # the new question appears, unanswered


def test_retired_question_never_required_or_counted(sample_v2):
    ev = sample_v2.evaluate({"complaint.filed": "yes"})
    assert ev.completeness["complaint"] == (1, 2)  # filed + register; not the retired one


def test_v2_record_under_v1_reports_the_unknown_new_question(sample_v1):
    problems = sample_v1.validate({"victim.disability": "yes"})
    assert [p.message for p in problems] == ["Unknown question id 'victim.disability'"]
