"""Red flags of the sample protocol: each fires on its evidence, and stays silent when the
answer is unknown, declined or missing (a missing answer is not a "no")."""

from __future__ import annotations

import pytest

SHOWN = {"consent.interview": "yes", "victim.age_at_incident": 15}

CASES = [
    ("minor_no_legal_rep", {**SHOWN, "minor.legal_rep_present": "no"},
     "minor.legal_rep_present"),
    ("fme_not_requested", {"fme.requested": "no"}, "fme.requested"),
    ("fme_not_requested", {"fme.requested": {"status": "not_done", "note": "refused"}},
     "fme.requested"),
    ("lawyer_not_identified", {"lawyer.type": "state_appointed", "lawyer.identified": "no"},
     "lawyer.identified"),
    ("complaint_not_in_erdr", {"complaint.filed": "yes", "complaint.register": "kui"},
     "complaint.register"),
    ("isd_referral", {"complaint.filed": "yes", "complaint.isd_referral": "yes"},
     "complaint.isd_referral"),
]


@pytest.mark.parametrize(("rule", "answers", "key"), CASES)
def test_fires_on_evidence(sample_v1, rule, answers, key):
    assert sample_v1.red_flags(answers) == [rule]


@pytest.mark.parametrize(("rule", "answers", "key"), CASES)
@pytest.mark.parametrize("instead", [{"status": "unknown"}, {"status": "declined"}, None,
                                     "unknown"])
def test_silent_when_unknown_or_missing(sample_v1, rule, answers, key, instead):
    answers = dict(answers)
    if instead is None:
        del answers[key]
    else:
        answers[key] = instead
    assert rule not in sample_v1.red_flags(answers)


def test_group_rule_fires_per_item(sample_v1):
    answers = {"episodes": [{"_id": "a", "methods": ["beating"]},
                            {"_id": "b", "methods": ["electric_shock"]}]}
    assert sample_v1.red_flags(answers) == ["electric_shock"]
    answers["episodes"][1]["methods"] = {"status": "declined"}
    assert sample_v1.red_flags(answers) == []


def test_several_flags_in_protocol_order(sample_v1):
    answers = {**SHOWN, "minor.legal_rep_present": "no", "fme.requested": "no",
               "lawyer.type": "state_appointed", "lawyer.identified": "no",
               "complaint.filed": "yes", "complaint.register": "kui",
               "complaint.isd_referral": "yes",
               "episodes": [{"_id": "a", "methods": ["electric_shock"]}]}
    assert sample_v1.red_flags(answers) == [r.id for r in sample_v1.red_flag_rules]
    assert sample_v1.evaluate(answers).problems == []


def test_hidden_evidence_raises_nothing(sample_v1):
    # complaint not filed: the register question is hidden, its stale "kui" reads null
    answers = {"complaint.filed": "no", "complaint.register": "kui"}
    assert sample_v1.red_flags(answers) == []
