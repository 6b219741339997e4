"""Each skip-logic path of the sample protocol, missing answers and completeness."""

from __future__ import annotations

import pytest

BASE = {"consent.interview": "yes", "victim.full_name": "Айгүл", "victim.age_at_incident": 30}


def visible(protocol, answers):
    return protocol.evaluate(answers).visible


def test_empty_record(sample_v1):
    ev = sample_v1.evaluate({})
    assert ev.problems == []
    assert ev.red_flags == []
    assert "victim" not in ev.visible_sections
    assert "minor" not in ev.visible_sections
    assert ev.missing == ["consent.interview", "episodes"]
    assert ev.completeness["consent"] == (0, 1)
    assert ev.completeness["victim"] == (0, 0)


@pytest.mark.parametrize(("consent", "shown"), [("yes", True), ("no", False), (None, False)])
def test_section_relevant_consent_opens_the_person_section(sample_v1, consent, shown):
    answers = {"consent.interview": consent} if consent else {}
    ev = sample_v1.evaluate(answers)
    assert ("victim" in ev.visible_sections) is shown
    assert ("victim.full_name" in ev.visible) is shown
    assert ("victim.full_name" in ev.missing) is shown


@pytest.mark.parametrize(("age", "shown"), [(17, True), (17.9, True), (18, False),
                                            (0, True), (None, False),
                                            ({"status": "unknown"}, False)])
def test_minor_section_shown_under_18(sample_v1, age, shown):
    answers = dict(BASE)
    if age is None:
        del answers["victim.age_at_incident"]
    else:
        answers["victim.age_at_incident"] = age
    ev = sample_v1.evaluate(answers)
    assert ("minor" in ev.visible_sections) is shown
    assert ("minor.legal_rep_present" in ev.missing) is shown


def test_minor_section_hidden_when_age_is_itself_hidden(sample_v1):
    # consent withdrawn: the person section (with the age) is hidden, so the age reads null
    answers = {**BASE, "consent.interview": "no", "victim.age_at_incident": 15}
    ev = sample_v1.evaluate(answers)
    assert "minor" not in ev.visible_sections
    assert ev.problems == []  # the hidden answer is kept and valid


def test_question_relevant_chain(sample_v1):
    minor = {**BASE, "victim.age_at_incident": 15}
    assert "minor.rep_name" not in visible(sample_v1, minor)
    assert "minor.rep_name" in visible(sample_v1, {**minor, "minor.legal_rep_present": "yes"})
    assert "minor.rep_name" not in visible(sample_v1, {**minor, "minor.legal_rep_present": "no"})


def test_lawyer_chain_hides_downstream_when_upstream_changes(sample_v1):
    answers = {"lawyer.type": "state_appointed", "lawyer.identified": "yes",
               "lawyer.person": {"name": "Иванов"}}
    shown = visible(sample_v1, answers)
    assert {"lawyer.identified", "lawyer.person"} <= shown
    answers["lawyer.type"] = "private"
    shown = visible(sample_v1, answers)
    # lawyer.identified is hidden, so it reads null, so lawyer.person hides too
    assert "lawyer.identified" not in shown and "lawyer.person" not in shown
    assert sample_v1.validate(answers) == []


def test_multichoice_has_opens_other(sample_v1):
    answers = {**BASE, "victim.languages": ["kk", "other"]}
    ev = sample_v1.evaluate(answers)
    assert "victim.languages_other" in ev.visible and "victim.languages_other" in ev.missing
    answers["victim.languages"] = ["kk"]
    assert "victim.languages_other" not in sample_v1.evaluate(answers).visible


@pytest.mark.parametrize(("conducted", "shown"), [
    ("yes", True), ({"status": "done"}, True), ("no", False), ("unknown", False),
    ({"status": "unknown"}, False), (None, False)])
def test_check_status_opens_examiner(sample_v1, conducted, shown):
    answers = {"fme.conducted": conducted} if conducted is not None else {}
    assert ("fme.examiner" in visible(sample_v1, answers)) is shown


def test_complaint_path(sample_v1):
    assert "complaint.register" not in visible(sample_v1, {"complaint.filed": "no"})
    shown = visible(sample_v1, {"complaint.filed": "yes"})
    assert {"complaint.register", "complaint.isd_referral"} <= shown


def test_group_children_visibility_per_item(sample_v1):
    answers = {"episodes": [
        {"_id": "e1", "place": "kz.ivs.almaty", "methods": ["beating"]},
        {"_id": "e2", "methods": ["other"]},
    ]}
    ev = sample_v1.evaluate(answers)
    assert ev.is_visible("episodes.methods_other", "e2")
    assert not ev.is_visible("episodes.methods_other", "e1")
    assert ev.is_visible("episodes.place", "e1")
    assert "episodes.methods_other" in ev.visible  # shown in at least one item
    assert ev.visible_items[("episodes", "e1")] >= {"episodes.place", "episodes.methods"}
    # e2 lacks its place and its other method; e1 is complete
    assert ("episodes.place", "e2") in ev.missing_items
    assert ("episodes.methods_other", "e2") in ev.missing_items
    assert ("episodes.place", "e1") not in ev.missing_items
    assert "episodes" not in ev.missing  # the group has items


def test_completeness_counts_explicit_unknown_as_answered(sample_v1):
    answers = {"consent.interview": "yes", "victim.full_name": {"status": "declined"},
               "victim.sex": {"status": "unknown"}, "victim.age_at_incident": 40}
    ev = sample_v1.evaluate(answers)
    assert ev.completeness["victim"] == (3, 5)  # full name, sex, age of 5 shown
    assert ev.missing == ["episodes"]
    answers["victim.sex"] = ""
    assert sample_v1.evaluate(answers).completeness["victim"] == (2, 5)


def test_completeness_counts_group_items(sample_v1):
    answers = {"episodes": [{"_id": "e1", "place": {"text": "a sports complex"},
                             "methods": ["beating"]}]}
    ev = sample_v1.evaluate(answers)
    # the group itself + photos, plus 5 shown children of the one item (methods_other hidden)
    assert ev.completeness["episodes"] == (3, 7)


def test_stale_answer_behind_skip_logic_raises_no_flag(sample_v1):
    answers = {**BASE, "victim.age_at_incident": 16, "minor.legal_rep_present": "no"}
    assert sample_v1.evaluate(answers).red_flags == ["minor_no_legal_rep"]
    answers["victim.age_at_incident"] = 20  # the age was mistyped
    ev = sample_v1.evaluate(answers)
    assert ev.red_flags == []
    assert ev.problems == []
    assert answers["minor.legal_rep_present"] == "no"  # kept, never deleted


def test_missing_is_in_protocol_order(sample_v1):
    answers = {"consent.interview": "yes", "victim.age_at_incident": 10,
               "victim.languages": ["other"]}
    assert sample_v1.evaluate(answers).missing == [
        "victim.full_name", "victim.languages_other", "minor.legal_rep_present", "episodes",
    ]


def test_forward_reference_in_relevant_is_evaluated_in_dependency_order():
    from protocol_support import protocol_from

    p = protocol_from("""
        sections:
          - id: s
            title: {en: S}
            questions:
              - {id: later_detail, type: text, label: {en: D}, relevant: "later == 'yes'"}
              - {id: later, type: yesno, label: {en: L}, relevant: "first == 'yes'"}
              - {id: first, type: yesno, label: {en: F}}
        """)
    shown = p.evaluate({"first": "yes", "later": "yes"}).visible
    assert {"later_detail", "later", "first"} <= shown
    shown = p.evaluate({"first": "no", "later": "yes"}).visible
    assert "later" not in shown and "later_detail" not in shown
