"""Hostile expression text (protocols arrive inside bundles): refused fast, never executed."""

from __future__ import annotations

import contextlib
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from intake_app.errors import ProtocolError
from intake_app.protocol.expr import MAX_LENGTH, MAX_TOKENS, compile_expression, parse


def refused_quickly(text: str) -> ProtocolError:
    start = time.perf_counter()
    with pytest.raises(ProtocolError) as info:
        compile_expression(text)
    # A hang guard, not a speed goal (speed lives in bench/): hostile input is refused, not run.
    assert time.perf_counter() - start < 10
    return info.value


def test_deep_nesting_10000_parens():
    refused_quickly("(" * 10_000 + "1" + ")" * 10_000)


def test_deep_nesting_within_length_limit():
    err = refused_quickly("(" * 400 + "1" + ")" * 400)
    assert "deeper" in str(err)


def test_deep_not_and_minus_chains():
    assert "deeper" in str(refused_quickly("not " * 400 + "true"))
    assert "deeper" in str(refused_quickly("-" * 900 + "1"))
    assert "deeper" in str(refused_quickly("[" * 500 + "]" * 500))
    assert "deeper" in str(refused_quickly("has(" * 100 + "1" + ", 1)" * 100))


def test_huge_string_literal():
    err = refused_quickly("'" + "a" * 1_000_000 + "'")
    assert "longer than" in str(err)


def test_length_limit_is_exact():
    ok = "'" + "a" * (MAX_LENGTH - 2) + "'"
    assert compile_expression(ok).evaluate({}) == "a" * (MAX_LENGTH - 2)
    refused_quickly("'" + "a" * (MAX_LENGTH - 1) + "'")


def test_token_cap():
    text = ",".join(["1"] * (MAX_TOKENS // 2 + 10))
    assert len(text) < MAX_LENGTH
    assert "tokens" in str(refused_quickly("[" + text + "]"))


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os')",
        "__import__('os').system('id')",
        "().__class__",
        "().__class__.__bases__[0].__subclasses__()",
        "a.__class__",
        "lambda: 1",
        "lambda x: x",
        "open('/etc/passwd')",
        "eval('1')",
        "exec('x=1')",
        "getattr(a, 'b')",
        "a[0]",
        "a.b()",
        "x if y else z",
        "f'{x}'",
        "a; b",
        "a * 2",
        "a ** 2",
        "a / 0",
        "a | b",
        "`id`",
        "{'a': 1}",
        "a @ b",
        "import os",
    ],
)
def test_attribute_access_and_python_syntax_refused(text: str):
    refused_quickly(text)


@pytest.mark.parametrize(
    "text",
    [
        "a\x00 == 1",
        "'a\x00'",
        "a == 1\x1b",
        "a == 'x\u202e'",  # right-to-left override inside a string
        "a\u2066 == 1",  # isolate
        "ａ == 1",  # fullwidth letter
        "аge == 1",  # Cyrillic а looking like Latin a
        "a == 1\u00a0",  # no-break space
        "a\u200b == 1",  # zero-width space
        "a == 1\x85",  # C1 next-line control
        "Ⅰ == 1",  # roman numeral letter
        "a == ١",  # Arabic-Indic digit
    ],
)
def test_unicode_tricks_and_control_characters_refused(text: str):
    refused_quickly(text)


def test_cyrillic_allowed_only_inside_strings():
    assert compile_expression("a == 'аge'").evaluate({"a": "аge"}) is True


def test_not_text_refused():
    with pytest.raises(ProtocolError):
        compile_expression(b"a == 1")  # type: ignore[arg-type]
    with pytest.raises(ProtocolError):
        compile_expression(None)  # type: ignore[arg-type]


_ALPHABET = st.sampled_from(
    list("()[],'\" \\=!<>+-._aAzZ019")
    + ["and", "or", "not", "in", "null", "true", "any(", "all(", "count(", "days(", "has(",
       "answered(", "ж", "\x00", "\u202e", "__", "lambda"]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_ALPHABET, max_size=60).map("".join))
def test_fuzz_parser_only_succeeds_or_raises_protocol_error(text: str):
    try:
        expression = compile_expression(text)
    except ProtocolError:
        return
    # Whatever parsed must evaluate without raising, on empty and on odd data.
    expression.evaluate({})
    expression.evaluate({"a": [1, {"x": 2}], "z": {"status": "unknown"}, "A": "ж"})


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_fuzz_arbitrary_unicode_text(text: str):
    with contextlib.suppress(ProtocolError):
        compile_expression(text).evaluate({"a": 1})


def test_protocol_package_never_calls_eval_exec_or_compile():
    import ast
    from pathlib import Path

    import intake_app.protocol as package

    forbidden = {"eval", "exec", "compile", "__import__", "literal_eval"}
    for path in Path(package.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
                is_regex = (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)
                            and func.value.id == "re")
                if is_regex:
                    continue  # re.compile builds regular expressions, not Python code
                assert name not in forbidden, f"{path.name}:{node.lineno} calls {name}"


def test_parse_returns_tree_for_valid_text():
    assert parse("a == 1") is not None
