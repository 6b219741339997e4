"""The expression language: tokens, precedence, literals, functions, and syntax errors."""

from __future__ import annotations

import pytest

from intake_app.errors import ProtocolError
from intake_app.protocol.expr import (
    MAX_DEPTH,
    Binary,
    Call,
    ListLit,
    Lit,
    Name,
    Unary,
    compile_expression,
    parse,
    tokenize,
)


def ev(text: str, answers: dict | None = None):
    return compile_expression(text).evaluate(answers or {})


def test_literals():
    assert ev("12") == 12
    assert ev("1.5") == 1.5
    assert ev("true") is True
    assert ev("false") is False
    assert ev("null") is None
    with pytest.raises(ProtocolError):  # no SQL-style quote doubling: two strings in a row
        parse("'it''s'")
    assert ev("[1, 'a', true]") == [1, "a", True]
    assert ev("[]") == []


def test_strings_with_quotes_and_escapes():
    assert ev("'say \"hi\"'") == 'say "hi"'
    assert ev('"it\'s"') == "it's"
    assert ev(r"'it\'s'") == "it's"
    assert ev(r"'back\\slash'") == "back\\slash"
    assert ev(r"'a\nb'") == "a\nb"
    with pytest.raises(ProtocolError, match="Unknown escape"):
        parse(r"'\x41'")


def test_cyrillic_and_kazakh_strings_are_byte_exact():
    assert ev("x == 'Уральск'", {"x": "Уральск"}) is True
    assert ev("x == 'Орал'", {"x": "Уральск"}) is False
    assert ev("'әғқңөұүһі'") == "әғқңөұүһі"


def test_precedence_and_binds_tighter_than_or():
    tree = parse("a or b and c")
    assert isinstance(tree, Binary) and tree.op == "or"
    assert isinstance(tree.right, Binary) and tree.right.op == "and"
    assert ev("true or true and false") is True
    assert ev("(true or true) and false") is False


def test_precedence_not_over_comparison():
    tree = parse("not a == 1")
    assert isinstance(tree, Unary) and tree.op == "not"
    assert isinstance(tree.operand, Binary) and tree.operand.op == "=="
    assert ev("not a == 1", {"a": 2}) is True
    assert ev("not a == 1", {"a": 1}) is False


def test_precedence_arithmetic_over_comparison():
    assert ev("1 + 2 == 3") is True
    assert ev("10 - 2 - 3") == 5  # left-associative
    assert ev("-2 + 5") == 3
    assert ev("- -2") == 2
    assert ev("a + 1 > 17", {"a": 17}) is True


def test_in_and_not_in():
    assert ev("x in ['kui', 'erdr']", {"x": "kui"}) is True
    assert ev("x in ['kui', 'erdr']", {"x": "none"}) is False
    assert ev("x not in ['kui', 'erdr']", {"x": "none"}) is True
    assert ev("x not in ['kui', 'erdr']", {"x": "erdr"}) is False
    assert ev("3 in [1, 2, 3]") is True
    assert ev("x in [a, 'b']", {"x": "q", "a": "q"}) is True
    tree = parse("a not in [1]")
    assert isinstance(tree, Binary) and tree.op == "not in"


def test_functions_parse_to_calls():
    tree = parse("any(episodes, has(methods, 'beating'))")
    assert isinstance(tree, Call) and tree.func == "any"
    assert isinstance(tree.args[0], Name) and tree.args[0].name == "episodes"
    assert isinstance(tree.args[1], Call) and tree.args[1].func == "has"
    assert isinstance(parse("[1, 2]"), ListLit)
    assert isinstance(parse("'x'"), Lit)


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("a ==", "character 5"),
        ("a == 'x", "character 6"),
        ("(a == 1", "character 8"),
        ("a = 1", "character 3"),
        ("a == 1)", "character 7"),
        ("a < b < c", "character 7"),
        ("a $ b", "character 3"),
        ("foo(a)", "character 1"),
        ("count('x')", "character 1"),
        ("days(a)", "character 1"),
        ("a..b", "character 1"),
        ("1abc", "character 1"),
        ("()", "character 1"),
        ("[1, 2", "character 6"),
        ("a not b", "character 3"),
        ("", "character 1"),
    ],
)
def test_malformed_input_names_the_position(text: str, where: str):
    with pytest.raises(ProtocolError) as info:
        parse(text)
    assert where in str(info.value)


def test_depth_limit_is_exact():
    ok = "(" * (MAX_DEPTH - 1) + "1" + ")" * (MAX_DEPTH - 1)
    assert ev(ok) == 1
    too_deep = "(" * (MAX_DEPTH + 1) + "1" + ")" * (MAX_DEPTH + 1)
    with pytest.raises(ProtocolError, match="deeper"):
        parse(too_deep)


def test_tokens_carry_positions():
    tokens = tokenize("a == 'b'")
    assert [(t.kind, t.pos) for t in tokens] == [("name", 0), ("op", 2), ("str", 5), ("end", 8)]


def test_keywords_inside_dotted_names_are_names():
    # "victim.in" is one name, not the keyword `in`.
    assert ev("victim.in == 1", {"victim.in": 1}) is True
