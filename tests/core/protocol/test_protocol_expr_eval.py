"""Evaluation semantics: null and mismatched types, names bound to questions, functions."""

from __future__ import annotations

import pytest
from protocol_support import protocol_from

from intake_app.errors import ProtocolError
from intake_app.protocol.expr import compile_expression


def ev(text: str, answers: dict | None = None):
    return compile_expression(text).evaluate(answers or {})


def test_null_compares_false_both_ways():
    assert ev("a == 'yes'") is False
    assert ev("a != 'yes'") is False
    assert ev("a < 18") is False
    assert ev("a >= 18") is False
    assert ev("a in ['x']") is False
    assert ev("a not in ['x']") is False
    assert ev("a == b") is False  # two nulls are not "equal answers"


def test_null_literal_tests_absence_and_presence():
    assert ev("a == null") is True
    assert ev("a != null", {"a": "x"}) is True
    assert ev("null == a", {"a": 0}) is False
    assert ev("a != null") is False


def test_mismatched_types_compare_false():
    assert ev("a == 1", {"a": "1"}) is False
    assert ev("a != 1", {"a": "1"}) is False
    assert ev("a < 'b'", {"a": 1}) is False
    assert ev("a == true", {"a": 1}) is False  # booleans are not numbers
    assert ev("a == 1", {"a": True}) is False
    assert ev("a == 1", {"a": {"x": 1}}) is False
    assert ev("a + 1", {"a": "x"}) is None
    assert ev("-a", {"a": "x"}) is None
    assert ev("a > 1", {"a": [2]}) is False


def test_numbers_int_and_float_compare():
    assert ev("a == 17", {"a": 17.0}) is True
    assert ev("a < 18", {"a": 17.5}) is True
    assert ev("a + 0.5 == 18", {"a": 17.5}) is True


def test_condition_holds_only_when_exactly_true():
    assert ev("not a", {"a": "yes"}) is True  # text is not `true`
    assert ev("a and true", {"a": 1}) is False
    assert ev("a or false", {"a": True}) is True
    assert compile_expression("a").holds({"a": "true"}) is False


def test_status_objects_read_as_their_status():
    assert ev("a == 'unknown'", {"a": {"status": "unknown"}}) is True
    assert ev("a == 'declined'", {"a": {"status": "declined"}}) is True


def test_lists_compare_elementwise():
    assert ev("a == ['x', 'y']", {"a": ["x", "y"]}) is True
    assert ev("a == ['y', 'x']", {"a": ["x", "y"]}) is False
    assert ev("a in [['x']]", {"a": ["x"]}) is True


def test_has():
    assert ev("has(m, 'beating')", {"m": ["beating", "threats"]}) is True
    assert ev("has(m, 'shock')", {"m": ["beating"]}) is False
    assert ev("has(m, 'x')") is False
    assert ev("has(m, 'x')", {"m": "x"}) is False  # not a list


def test_days_needs_full_dates():
    assert ev("days(a, b)", {"a": "2022-01-05", "b": "2022-01-12"}) == 7
    assert ev("days(a, b)", {"a": "2022-01-12", "b": "2022-01-05"}) == -7
    assert ev("days(a, b)", {"a": "2024-02-28", "b": "2024-03-01"}) == 2  # leap year
    assert ev("days(a, b)", {"a": "2022-01", "b": "2022-01-12"}) is None
    assert ev("days(a, b)", {"a": "2022", "b": "2023"}) is None
    assert ev("days(a, b)", {"a": "2023-02-30", "b": "2023-03-01"}) is None
    assert ev("days(a, b)", {"a": 20220101, "b": "2022-01-12"}) is None
    assert ev("days(a, b) > 3", {"a": "2022-01"}) is False


def test_answered_counts_explicit_unknown():
    assert ev("answered(a)", {"a": {"status": "unknown"}}) is True
    assert ev("answered(a)", {"a": {"status": "declined"}}) is True
    assert ev("answered(a)", {"a": ""}) is False
    assert ev("answered(a)", {"a": "   "}) is False
    assert ev("answered(a)", {"a": []}) is False
    assert ev("answered(a)") is False
    assert ev("answered(a)", {"a": 0}) is True
    assert ev("answered(a)", {"a": False}) is True


def test_count_any_all_untyped():
    items = {"g": [{"_id": "1", "m": "x"}, {"_id": "2", "m": "y"}]}
    assert ev("count(g)", items) == 2
    assert ev("count(g)") == 0
    assert ev("count(g)", {"g": {"status": "unknown"}}) == 0
    assert ev("any(g, m == 'y')", items) is True
    assert ev("all(g, m == 'y')", items) is False
    assert ev("any(g, m == 'y')") is False
    assert ev("all(g, m == 'y')") is False  # no items: not evidence of anything
    assert ev("all(g, m == 'y')", {"g": []}) is False
    assert ev("all(g, m != 'z')", items) is True
    assert ev("any(g, m == 'y')", {"g": ["junk", 3, None]}) is False


CHECK_PROTOCOL = """
sections:
  - id: s
    title: {en: S}
    questions:
      - {id: fme.requested, type: check, label: {en: R}}
      - {id: fme.conducted, type: check, label: {en: C}}
      - {id: age, type: number, label: {en: Age}}
      - {id: city, type: place, label: {en: City}}
      - id: episodes
        type: group
        label: {en: E}
        questions:
          - {id: age, type: number, label: {en: Age in the episode}}
          - {id: methods, type: multichoice, label: {en: M},
             options: [{value: beating, label: {en: B}}, {value: shock, label: {en: S}}]}
red_flags:
  - {id: not_requested, when: "fme.requested == 'not_done'", label: {en: x}}
  - {id: requested_late, when: "days(fme.requested.date, fme.conducted.date) > 3",
     label: {en: x}}
  - {id: by_police, when: "fme.conducted.by == 'police'", label: {en: x}}
  - {id: shock, when: "any(episodes, has(methods, 'shock'))", label: {en: x}}
  - {id: child_in_episode, when: "any(episodes, age < 18)", label: {en: x}}
  - {id: adult_all, when: "all(episodes, age >= 18)", label: {en: x}}
  - {id: many, when: "count(episodes) >= 2", label: {en: x}}
  - {id: global_from_item, when: "any(episodes, fme.requested == 'done')", label: {en: x}}
  - {id: full_id_in_item, when: "any(episodes, episodes.age == 30)", label: {en: x}}
  - {id: almaty, when: "city == 'kz.city.almaty' or city == 'a sports complex'", label: {en: x}}
"""


@pytest.fixture(scope="module")
def checks():
    return protocol_from(CHECK_PROTOCOL)


@pytest.mark.parametrize(
    ("value", "status"),
    [("yes", "done"), ("no", "not_done"), ("unknown", "unknown"),
     ({"status": "not_done"}, "not_done"), ({"status": "done", "date": "2022-01-01"}, "done")],
)
def test_check_item_reads_as_status(checks, value, status):
    flags = checks.red_flags({"fme.requested": value})
    assert ("not_requested" in flags) is (status == "not_done")


def test_check_item_date_and_by(checks):
    answers = {"fme.requested": {"status": "done", "date": "2022-01-05"},
               "fme.conducted": {"status": "done", "date": "2022-01-12", "by": "police"}}
    assert checks.red_flags(answers) == ["requested_late", "by_police"]
    answers["fme.conducted"] = {"status": "done", "date": "2022-01"}
    assert checks.red_flags(answers) == []
    assert checks.red_flags({"fme.requested": "yes", "fme.conducted": "yes"}) == []


def test_group_names_resolve_item_relative_first(checks):
    # `age` inside any(episodes, ...) is the episode's age, not the top-level one.
    answers = {"age": 40, "episodes": [{"_id": "e1", "age": 16}]}
    assert "child_in_episode" in checks.red_flags(answers)
    answers = {"age": 16, "episodes": [{"_id": "e1", "age": 40}]}
    flags = checks.red_flags(answers)
    assert "child_in_episode" not in flags and "adult_all" in flags


def test_group_bodies_fall_back_to_global_names(checks):
    answers = {"fme.requested": "yes", "episodes": [{"_id": "e1"}]}
    assert "global_from_item" in checks.red_flags(answers)
    assert "global_from_item" not in checks.red_flags({"fme.requested": "yes"})


def test_group_full_child_id_works_inside_the_group(checks):
    answers = {"episodes": [{"_id": "e1", "age": 30}]}
    assert "full_id_in_item" in checks.red_flags(answers)


def test_group_functions(checks):
    answers = {"episodes": [{"_id": "e1", "methods": ["beating"]},
                            {"_id": "e2", "methods": ["shock", "beating"]}]}
    flags = checks.red_flags(answers)
    assert "shock" in flags and "many" in flags
    assert "shock" not in checks.red_flags({"episodes": [{"_id": "e1", "methods": ["beating"]}]})


def test_place_reads_as_id_or_text(checks):
    assert "almaty" in checks.red_flags({"city": "kz.city.almaty"})
    assert "almaty" in checks.red_flags({"city": {"text": "a sports complex"}})
    assert "almaty" not in checks.red_flags({"city": {"text": "kz.city.uralsk"}})


def test_red_flags_in_protocol_order(checks):
    answers = {"fme.requested": {"status": "not_done", "date": "2022-01-01"},
               "fme.conducted": {"status": "done", "date": "2022-02-01", "by": "police"},
               "episodes": [{"_id": "a", "age": 30, "methods": ["shock"]},
                            {"_id": "b", "age": 31}]}
    assert checks.red_flags(answers) == [
        "not_requested", "requested_late", "by_police", "shock", "adult_all", "many",
        "full_id_in_item",
    ]


def test_evaluation_never_raises_on_garbage(checks):
    garbage = [
        {"fme.requested": 5, "fme.conducted": ["x"], "episodes": "nope", "age": "old"},
        {"episodes": [1, "x", None, {"_id": 3, "age": "x", "methods": "shock"}]},
        {"episodes": {"status": "declined"}, "city": {"text": 5}},
        {"fme.conducted": {"status": 5, "date": 7, "by": ["police"]}},
        {"age": float("nan")},
        {"age": 10**400},
    ]
    for answers in garbage:
        evaluation = checks.evaluate(answers)
        assert isinstance(evaluation.red_flags, list)


@pytest.mark.parametrize(
    "expression",
    ["nosuch == 1", "fme.requested.status == 'x'", "age.date == 'x'",
     "any(age, true)", "count(nosuch)", "methods == 'x'", "episodes.age == 1"],
)
def test_unknown_or_misused_names_refused_at_load(expression):
    body = CHECK_PROTOCOL.split("red_flags:")[0]
    with pytest.raises(ProtocolError) as info:
        protocol_from(body + f'red_flags:\n  - {{id: r, when: "{expression}", label: {{en: x}}}}\n')
    assert "red flag 'r'" in str(info.value)
