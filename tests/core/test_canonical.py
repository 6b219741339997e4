"""canonical_json: the fast path gives exactly rfc8785's bytes, or the same refusal."""

from __future__ import annotations

import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from intake_app.canonical import canonical_json

# Keys and strings over the whole code space: astral characters (UTF-16 surrogate pairs sort
# before U+E000..U+FFFF in RFC 8785 but after them by code point), lone surrogates, controls.
_chars = st.characters(codec=None, categories=None)
_texts = st.text(_chars, max_size=8) | st.sampled_from(
    ["", "a", "\ufb01", "\U0001f600", "\ue000", "\x7f", "\x00", "\ud800", "\u2028", "Қайрат"]
)
_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**60), max_value=2**60)
    | st.sampled_from([2**53 - 1, -(2**53) + 1, 2**53, -(2**53)])
    | st.floats(allow_nan=True, allow_infinity=True)
    | _texts
)
_values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_texts, inner, max_size=4),
    max_leaves=20,
)


def _outcome(encode, value):  # noqa: ANN001, ANN202
    try:
        return ("bytes", encode(value))
    except Exception as exc:  # noqa: BLE001 - the kind of refusal is what we compare
        return ("refused", isinstance(exc, ValueError))


@settings(max_examples=600, derandomize=True, deadline=None)
@given(_values)
def test_same_bytes_or_same_refusal_as_rfc8785(value):
    assert _outcome(canonical_json, value) == _outcome(rfc8785.dumps, value)


def test_key_order_is_utf16_not_code_point():
    value = {"\ue000": 1, "\U0001f600": 2, "a": 3}
    assert canonical_json(value) == rfc8785.dumps(value)
    assert canonical_json(value).index("\U0001f600".encode()) < canonical_json(value).index(
        "\ue000".encode()
    )


def test_escapes_and_text_are_byte_exact():
    value = {"t": '\x00\x1f\x7f"\\\b\f\n\r\t\u2028e\u0301é\u202e'}
    assert canonical_json(value) == rfc8785.dumps(value)
    assert canonical_json(value) == (
        b'{"t":"\\u0000\\u001f\x7f\\"\\\\\\b\\f\\n\\r\\t' + "\u2028e\u0301é\u202e".encode() + b'"}'
    )


def test_numbers_follow_rfc8785():
    for value in ([1.0, 1e21, 1e-7, -0.0, 0.1], [2**53 - 1], {"n": 10**6}):
        assert canonical_json(value) == rfc8785.dumps(value)
    assert canonical_json([1.0]) == b"[1]"
    for bad in ([2**53], [float("nan")], ["\ud800"], {1: "x"}):
        assert _outcome(canonical_json, bad)[0] == "refused"
