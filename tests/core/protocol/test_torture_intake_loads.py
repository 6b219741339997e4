"""The shipped torture-intake protocol loads with the engine and evaluates real records."""

from __future__ import annotations

import pytest
from protocol_fill import fill

from intake_app.paths import resources_dir
from intake_app.protocol import available_versions, load_protocol

STABLE_IDS = [
    "victim.full_name", "victim.pseudonym", "victim.sex", "victim.birth_date",
    "victim.age_at_incident", "victim.citizenship", "incident.date", "incident.city",
    "incident.narrative", "fme.requested", "fme.conducted", "fppe.conducted", "lawyer.type",
    "lawyer.identified", "minor.legal_rep_present", "complaint.filed", "complaint.register",
    "investigation.status", "consent.interview", "consent.share.coalition",
    "consent.share.lawyer", "consent.share.prosecutor", "consent.share.ombudsman",
    "consent.share.un_sr",
]


@pytest.fixture(scope="module")
def intake():
    assert (resources_dir() / "protocols" / "torture-intake" / "v1.yaml").is_file()
    return load_protocol("torture-intake")


def test_loads_newest_and_every_version(intake):
    versions = available_versions("torture-intake")
    assert versions and intake.version == versions[-1]
    for version in versions:
        assert load_protocol("torture-intake", version).version == version


def test_stable_ids_exist(intake):
    missing = [qid for qid in STABLE_IDS if intake.question(qid) is None]
    assert missing == []


def test_empty_record(intake):
    ev = intake.evaluate({})
    assert ev.problems == []
    assert ev.red_flags == []
    assert "consent.interview" in ev.missing
    assert set(ev.completeness) == {s.id for s in intake.sections}


@pytest.mark.parametrize("seed", range(5))
def test_filled_record(intake, seed):
    answers = fill(intake, seed, consent__interview="yes", victim__age_at_incident=16)
    ev = intake.evaluate(answers)
    assert [p.message for p in ev.problems] == []
    assert "minor" in {intake.section_of(q) for q in ev.visible}
    shown = sum(total for _, total in ev.completeness.values())
    answered = sum(done for done, _ in ev.completeness.values())
    assert shown > 100
    assert answered / shown > 0.9  # only answers that broke a constraint were dropped


def test_protected_ids_include_the_name(intake):
    assert "victim.full_name" in intake.protected_ids()
