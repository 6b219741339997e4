"""validate(): unknown ids, each type's messages, groups, constraints (ADVERSARIAL.md: case
JSON with unknown question ids, wrong types, dates like 2023-02-30, numbers out of range)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from protocol_support import FIXTURES

from intake_app.protocol import Problem, load_protocol
from intake_app.protocol.checks import checker, value_problem

SHA = "ab" * 32


def messages(protocol, answers) -> list[str]:
    return [p.message for p in protocol.validate(answers)]


def one(protocol, answers) -> str:
    found = messages(protocol, answers)
    assert len(found) == 1, found
    return found[0]


def test_unknown_question_id(sample_v1):
    assert messages(sample_v1, {"foo.bar": 1}) == ["Unknown question id 'foo.bar'"]
    problem = sample_v1.validate({"foo.bar": 1})[0]
    assert problem == Problem("foo.bar", "Unknown question id 'foo.bar'")


def test_group_child_id_is_not_a_top_level_key(sample_v1):
    assert one(sample_v1, {"episodes.place": "x"}) == "Unknown question id 'episodes.place'"


def test_answers_must_be_an_object(sample_v1):
    for bad in (None, [], "x", 5):
        assert one(sample_v1, bad) == "Answers must be an object keyed by question id."


def test_valid_record_has_no_problems(sample_v1):
    answers = {
        "consent.interview": "yes", "victim.full_name": "Ерлан Қожахметов ‮ 🙂",
        "victim.sex": "male", "victim.age_at_incident": 17, "victim.birth_date": "2004-02-29",
        "victim.languages": ["kk", "ru"], "incident.date": "2022-01", "incident.city":
        "kz.city.almaty", "incident.narrative": "Ұрды.", "minor.legal_rep_present": "unknown",
        "lawyer.type": "state_appointed", "lawyer.identified": "no",
        "lawyer.person": {"name": "?", "agency": "bar"},
        "fme.requested": {"status": "done", "date": "2022-01-07", "by": "lawyer", "note": ""},
        "fme.conducted": "no",
        "episodes": [{"_id": "e1", "place": {"text": "спорткомплекс"}, "methods": ["beating"],
                      "when": "2022-01-06", "perpetrator": {"description": "in masks"},
                      "injuries": [{"_id": "m1", "view": "back", "region": "lower_back",
                                    "kind": "bruise", "photo": SHA}]}],
        "evidence.photos": [SHA], "complaint.filed": "yes", "complaint.register": "kui",
        "complaint.isd_referral": "yes",
    }
    assert sample_v1.validate(answers) == []


def test_any_answer_may_be_unknown_or_declined(sample_v1):
    answers = {q.full_id: {"status": s} for q in sample_v1.top_level().values()
               for s in ("unknown",)}
    answers["victim.sex"] = {"status": "declined"}
    assert sample_v1.validate(answers) == []


def test_status_object_must_be_exact(sample_v1):
    assert "status" in one(sample_v1, {"victim.sex": {"status": "unknown", "x": 1}})
    assert "expected one of the options, or a status" in one(
        sample_v1, {"victim.sex": {"status": "maybe"}})


@pytest.mark.parametrize(
    ("qid", "value", "message"),
    [
        ("victim.age_at_incident", "seventeen",
         "victim.age_at_incident: expected a number, got text"),
        ("victim.age_at_incident", True,
         "victim.age_at_incident: expected a number, got true/false"),
        ("victim.age_at_incident", 130, "victim.age_at_incident: 130 is above the maximum 120"),
        ("victim.age_at_incident", -1, "victim.age_at_incident: -1 is below the minimum 0"),
        ("victim.age_at_incident", float("nan"),
         "victim.age_at_incident: expected a finite number"),
        ("victim.age_at_incident", float("inf"),
         "victim.age_at_incident: expected a finite number"),
        ("incident.date", "2023-02-30", "incident.date: 2023-02-30 is not a real date"),
        ("incident.date", "2023-13", "incident.date: 2023-13 is not a real date"),
        ("incident.date", "0000", "incident.date: 0000 is not a real date"),
        ("incident.date", "yesterday",
         "incident.date: 'yesterday' is not a date in the form YYYY, YYYY-MM or YYYY-MM-DD"),
        ("incident.date", "2022-1-5",
         "incident.date: '2022-1-5' is not a date in the form YYYY, YYYY-MM or YYYY-MM-DD"),
        ("incident.date", "２０２２", "incident.date: '２０２２' is not a date in the form YYYY, "
         "YYYY-MM or YYYY-MM-DD"),
        ("incident.date", 2022, "incident.date: expected a date (YYYY, YYYY-MM or YYYY-MM-DD), "
         "got a number"),
        ("victim.sex", "m", "victim.sex: 'm' is not one of the options (male, female, other, "
         "unknown)"),
        ("victim.sex", ["male"], "victim.sex: expected one of the options, got a list"),
        ("victim.languages", "kk", "victim.languages: expected a list of options, got text"),
        ("victim.languages", ["kk", "xx"], "victim.languages: 'xx' is not one of the options "
         "(kk, ru, other)"),
        ("victim.languages", ["kk", "kk"], "victim.languages: 'kk' is chosen twice"),
        ("victim.languages", [1], "victim.languages: expected a list of options, found a "
         "number in it"),
        ("minor.legal_rep_present", "yes please", "minor.legal_rep_present: 'yes please' is not "
         "'yes', 'no' or 'unknown'"),
        ("minor.legal_rep_present", True, "minor.legal_rep_present: expected 'yes', 'no' or "
         "'unknown', got true/false"),
        ("victim.full_name", 5, "victim.full_name: expected text, got a number"),
        ("victim.full_name", "x" * 201, "victim.full_name: text is longer than 200 characters "
         "(201)"),
        ("victim.full_name", "bad \ud800 surrogate", "victim.full_name: text contains "
         "characters that cannot be stored (unpaired surrogates)"),
        ("incident.narrative", "y" * 51, "incident.narrative: text is longer than 50 characters "
         "(51)"),
        ("fme.requested", "done", "fme.requested: 'done' is not 'yes', 'no' or 'unknown'"),
        ("fme.requested", {"status": "maybe"}, "fme.requested: a checklist answer needs a "
         "status of 'done', 'not_done' or 'unknown'"),
        ("fme.requested", {"status": "done", "date": "2022-02-30"},
         "fme.requested: date: 2022-02-30 is not a real date"),
        ("fme.requested", {"status": "done", "where": "x"},
         "fme.requested: unknown key 'where' in a checklist answer"),
        ("fme.requested", {"status": "done", "by": 3}, "fme.requested: by: expected text, got "
         "a number"),
        ("lawyer.person", "Иванов", "lawyer.person: expected a person (name, position, agency, "
         "description), got text"),
        ("lawyer.person", {"name": "x", "phone": "1"}, "lawyer.person: unknown key 'phone' in "
         "a person"),
        ("evidence.photos", ["abc"], "evidence.photos: an attachment must be named by its "
         "SHA-256 (64 lower-case hex digits)"),
        ("evidence.photos", [SHA, SHA], "evidence.photos: the same attachment is listed twice"),
        ("evidence.photos", SHA, "evidence.photos: expected a list of attachment hashes, got "
         "text"),
        ("incident.city", "   ", "incident.city: expected a gazetteer id (like "
         'kz.city.uralsk), a place name or {"text": ...}'),
        ("incident.city", {"text": "x", "id": "y"}, "incident.city: a place not in the "
         "gazetteer must be {\"text\": ...} and nothing else"),
        ("incident.city", {"text": 5}, "incident.city: expected text, got a number"),
    ],
)
def test_type_messages(sample_v1, qid, value, message):
    assert one(sample_v1, {qid: value}) == message


def test_a_1mb_text_is_refused_with_a_message(sample_v1):
    found = messages(sample_v1, {"incident.narrative": "ж" * 1_000_000})
    assert found == ["incident.narrative: text is longer than 50 characters (1000000)"]


def test_bodymap_messages(sample_v1):
    def marks(*items):
        return {"episodes": [{"_id": "e1", "injuries": list(items)}]}

    good = {"_id": "m1", "view": "front", "region": "head", "kind": "bruise"}
    assert messages(sample_v1, marks(good)) == []
    cases = [
        ({**good, "view": "side"}, "view must be 'front' or 'back'"),
        ({**good, "_id": ""}, "the item has no '_id' (a text id)"),
        ({**good, "colour": "red"}, "unknown key 'colour'"),
        ({**good, "photo": "nope"}, "photo must be an attachment's SHA-256"),
        ({k: v for k, v in good.items() if k != "region"}, "region: expected text, got null"),
    ]
    for mark, text in cases:
        assert one(sample_v1, marks(mark)) == f"episodes.injuries (item 1): mark 1: {text}"
    assert one(sample_v1, marks(good, good)) == (
        "episodes.injuries (item 1): mark 2: two items share the '_id' 'm1'")


def test_group_item_problems(sample_v1):
    found = sample_v1.validate({"episodes": [
        {"place": "kz.ivs.almaty"},
        {"_id": 5},
        {"_id": "a", "colour": "red"},
        {"_id": "a"},
        "junk",
        {"_id": "b", "when": "2022-02-30"},
    ]})
    assert [p.message for p in found] == [
        "episodes (item 1): the item has no '_id' (a text id)",
        "episodes (item 2): the item has no '_id' (a text id)",
        "episodes (item 3): unknown key 'colour'",
        "episodes (item 4): two items share the '_id' 'a'",
        "episodes (item 5): expected an object, got text",
        "episodes.when (item 6): 2022-02-30 is not a real date",
    ]
    assert found[-1].question_id == "episodes.when"
    assert found[-1].item_id == "b"


def test_group_must_be_a_list(sample_v1):
    assert one(sample_v1, {"episodes": {"_id": "x"}}) == (
        "episodes: expected a list of items, got an object")
    assert messages(sample_v1, {"episodes": {"status": "declined"}}) == []


def test_constraint_with_translated_message(sample_v1):
    answers = {"consent.interview": "yes", "victim.birth_date": "2000-05-01",
               "incident.date": "1999-01-01"}
    [problem] = sample_v1.validate(answers)
    assert problem.question_id == "incident.date"
    assert problem.message == "incident.date: The incident cannot be before the date of birth."
    assert problem.text("ru") == "Событие не может быть раньше даты рождения."
    assert problem.text("kk") == "Оқиға туған күннен бұрын болуы мүмкін емес."
    answers["incident.date"] = "2000-05-01"
    assert sample_v1.validate(answers) == []
    answers["incident.date"] = "1999"  # partial: days() is null, the constraint holds
    assert sample_v1.validate(answers) == []


def test_constraint_inside_a_group_reads_item_then_global(sample_v1):
    answers = {"incident.date": "2022-01-05",
               "episodes": [{"_id": "e1", "when": "2022-01-04"},
                            {"_id": "e2", "when": "2022-01-06"}]}
    [problem] = sample_v1.validate(answers)
    assert problem.message == ("episodes.when (item 1): An episode cannot be before the "
                               "incident date.")
    assert problem.item_id == "e1"
    assert problem.text("kk") == "An episode cannot be before the incident date."


def test_constraint_of_a_check_item_reads_its_dates(sample_v1):
    answers = {"fme.requested": {"status": "done", "date": "2022-01-10"},
               "fme.conducted": {"status": "done", "date": "2022-01-02"}}
    [problem] = sample_v1.validate(answers)
    assert problem.message == (
        "fme.conducted: the answer does not meet the protocol's condition")


def test_constraint_skipped_when_the_type_is_wrong(sample_v1):
    answers = {"consent.interview": "yes", "victim.birth_date": "2000-05-01",
               "incident.date": "1999-02-30"}
    assert messages(sample_v1, answers) == ["incident.date: 1999-02-30 is not a real date"]


def test_constraint_not_checked_on_hidden_questions(sample_v1):
    answers = {"incident.date": "2022-01-05", "minor.legal_rep_present": "no",
               "episodes": [{"_id": "e1", "when": "2022-01-04"}]}
    assert len(sample_v1.validate(answers)) == 1  # the shown episode's constraint only
    hidden = {"consent.interview": "no", "victim.birth_date": "2000-05-01",
              "incident.date": "1999-01-01"}
    # the birth date is hidden (consent no), so it reads null and the constraint holds
    assert sample_v1.validate(hidden) == []


def test_null_answers_are_absent(sample_v1):
    assert sample_v1.validate({"victim.sex": None, "episodes": [{"_id": "e", "when": None}]}) \
        == []


def test_hostile_keys_are_reported_short(sample_v1):
    [problem] = sample_v1.validate({"k" * 10_000: 1})
    assert len(problem.message) < 200


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-200, 200) | st.floats(allow_nan=True)
    | st.text(max_size=12) | st.sampled_from(["yes", "no", "unknown", "male", "kk", "2022-02-30",
                                             "2022-01-05", "2022", "kz.city.almaty", SHA]),
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.sampled_from(["status", "date", "by", "text", "name", "_id"]), inner,
                      max_size=3),
    max_leaves=6,
)


_QUESTIONS = [q for q in load_protocol("sample", 1, base=FIXTURES).questions()
              if q.type != "group"]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(_QUESTIONS).map(lambda q: (q.full_id, q)), st.data())
def test_fast_checks_agree_with_full_checks(named, data):
    # The per-question fast path must never accept what the full check refuses, and no
    # value makes either raise.
    _, q = named
    value = data.draw(_JSON)
    assert checker(q)(value) == value_problem(q, value)


_SAMPLE = load_protocol("sample", 1, base=FIXTURES)
_KEYS = st.sampled_from([*_SAMPLE.top_level(), "nosuch", "episodes.place"])
_ITEM = st.dictionaries(st.sampled_from(["_id", "place", "methods", "when", "injuries", "x"]),
                        _JSON, max_size=4)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(_KEYS, _JSON | st.lists(_ITEM, max_size=3), max_size=12))
def test_evaluate_is_total_on_arbitrary_answers(answers):
    evaluation = _SAMPLE.evaluate(answers)
    assert all(isinstance(p.message, str) and p.message for p in evaluation.problems)
    assert set(evaluation.red_flags) <= {r.id for r in _SAMPLE.red_flag_rules}


def test_a_place_name_as_people_write_it_is_valid(sample_v1) -> None:
    """Free text is allowed for places; statistics resolve known names via the gazetteer."""
    for name in ("Орал", "Уральск", "Uralsk", "село Бесагаш"):
        assert messages(sample_v1, {"incident.city": name}) == []
