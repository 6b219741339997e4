"""Fuzzing protocol expressions as they arrive inside a bundle: a protocol file carrying a
generated red-flag rule and skip condition loads or is refused with a ProtocolError, and a
loaded one evaluates any answers without raising."""

from __future__ import annotations

import json

from fuzz_support import JSON, budget, only_typed_errors
from hypothesis import given
from hypothesis import strategies as st

from intake_app.errors import ProtocolError
from intake_app.protocol import load_protocol_bytes

# A small protocol with one question of each kind the expression language reads.
TEMPLATE = """format: 1
id: fuzz
version: 1
title: {en: Fuzz}
sections:
  - id: s
    title: {en: S}
    questions:
      - {id: victim.age, type: number, min: 0, max: 120, label: {en: Age}}
      - id: victim.sex
        type: choice
        label: {en: Sex}
        options: [{value: male, label: {en: M}}, {value: female, label: {en: F}}]
      - {id: incident.date, type: date, label: {en: Date}}
      - {id: fme.requested, type: check, label: {en: FME}}
      - {id: lawyer.identified, type: yesno, label: {en: Lawyer}}
      - id: victim.langs
        type: multichoice
        label: {en: L}
        options: [{value: kk, label: {en: K}}, {value: ru, label: {en: R}}]
      - {id: incident.city, type: place, gazetteer: city, label: {en: City}}
      - id: episodes
        type: group
        label: {en: Episodes}
        questions:
          - {id: when, type: date, label: {en: When}}
          - {id: methods, type: multichoice, label: {en: M},
             options: [{value: beating, label: {en: B}}]}
      - id: victim.note
        type: text
        label: {en: Note}
        relevant: %(relevant)s
red_flags:
  - {id: fuzzed_rule, when: %(when)s, label: {en: Fuzzed}}
"""
NAMES = ["victim.age", "victim.sex", "incident.date", "fme.requested", "fme.requested.date",
         "fme.requested.by", "lawyer.identified", "victim.langs", "incident.city", "episodes",
         "episodes.when", "when", "methods", "victim.note", "nope", "a.b.c"]
GROUPS = ["episodes", "victim.sex", "nope"]
PROTOCOL = load_protocol_bytes((TEMPLATE % {"relevant": '"true"', "when": '"false"'}).encode())

STRING = st.text(max_size=8).map(lambda s: "'" + s.replace("\\", "\\\\").replace("'", "\\'")
                                 + "'")  # fmt: skip
ATOM = st.one_of(
    st.sampled_from(NAMES), STRING,
    st.integers(min_value=-(10**12), max_value=10**12).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.sampled_from(["true", "false", "null", "[]", "1e400", "0x10", "''", '"\\u0000"']),
)  # fmt: skip
BINARY = ["or", "and", "==", "!=", "<", "<=", ">", ">=", "in", "not in", "+", "-"]


def _grow(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.tuples(inner, st.sampled_from(BINARY), inner).map(" ".join),
        inner.map(lambda e: f"not {e}"), inner.map(lambda e: f"-{e}"),
        inner.map(lambda e: f"({e})"),
        st.lists(inner, max_size=3).map(lambda items: "[" + ", ".join(items) + "]"),
        st.sampled_from(NAMES).map(lambda n: f"answered({n})"),
        st.tuples(st.sampled_from(GROUPS), inner).map(lambda t: f"any({t[0]}, {t[1]})"),
        st.tuples(st.sampled_from(GROUPS), inner).map(lambda t: f"all({t[0]}, {t[1]})"),
        st.sampled_from(GROUPS).map(lambda g: f"count({g})"),
        st.tuples(inner, inner).map(lambda t: f"days({t[0]}, {t[1]})"),
        st.tuples(inner, STRING).map(lambda t: f"has({t[0]}, {t[1]})"),
        st.tuples(inner, st.sampled_from(["(", ")", ",", "[", "]", "==", "not", "'"])).map(
            lambda t: t[0] + " " + t[1]),  # broken syntax too
    )  # fmt: skip


EXPRESSION = st.recursive(ATOM, _grow, max_leaves=12)


def protocol_with(when: str, relevant: str) -> bytes:
    # A JSON string is a valid YAML double-quoted scalar: the expression arrives verbatim.
    return (TEMPLATE % {"relevant": json.dumps(relevant), "when": json.dumps(when)}).encode()


@budget(300)
@given(when=EXPRESSION, relevant=EXPRESSION, answers=st.lists(
    st.dictionaries(st.sampled_from(sorted(PROTOCOL.top_level())), JSON, max_size=6),
    min_size=1, max_size=3))  # fmt: skip
def test_generated_rules_load_or_refuse_and_evaluate_without_raising(when, relevant,
                                                                     answers) -> None:
    protocol, refusal = only_typed_errors(load_protocol_bytes, protocol_with(when, relevant))
    if refusal is not None:
        assert isinstance(refusal, ProtocolError)
        return
    for record in answers:
        evaluation = protocol.evaluate(record)
        assert set(evaluation.red_flags) <= {r.id for r in protocol.red_flag_rules}
        protocol.validate(record)
