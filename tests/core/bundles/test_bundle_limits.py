"""The safe JSON loader: every trick a hostile manifest could use is refused clearly."""

from __future__ import annotations

import pytest

from intake_app.bundles.limits import MAX_JSON_DEPTH, load_json
from intake_app.errors import BundleRefused


def _load(data: bytes, **kw):
    return load_json(data, what="manifest", max_bytes=kw.pop("max_bytes", 10**7), **kw)


def test_plain_json_loads_byte_exact():
    assert _load('{"a": ["ә", 1, 2.5, null, true]}'.encode()) == {"a": ["ә", 1, 2.5, None, True]}


def test_depth_at_the_limit_loads_and_one_more_is_refused():
    ok = b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH
    assert _load(ok) is not None
    deep = b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (MAX_JSON_DEPTH + 1)
    with pytest.raises(BundleRefused, match="nested deeper"):
        _load(deep)


def test_deep_objects_are_refused_too():
    deep = b'{"a":' * 70 + b"1" + b"}" * 70
    with pytest.raises(BundleRefused, match="nested deeper"):
        _load(deep)


def test_absurd_nesting_is_refused_without_crashing():
    with pytest.raises(BundleRefused, match="nested deeper"):
        _load(b"[" * 200_000 + b"]" * 200_000)


@pytest.mark.parametrize(
    "data,reason",
    [
        (b'{"a": 1, "a": 2}', "not valid JSON"),
        (b"[NaN]", "not valid JSON"),
        (b"[Infinity]", "not valid JSON"),
        (b"[-Infinity]", "not valid JSON"),
        (b'["\xff"]', "UTF-8"),
        (b'["\xed\xa0\x80"]', "UTF-8"),
        (b'["\\ud800"]', "UTF-8"),
        (b'{"\\udfff": 1}', "UTF-8"),
        ("\ufeff{}".encode(), "not valid JSON"),
        (b"[1]x", "not valid JSON"),
        (b"", "not valid JSON"),
        (b"[" + b"9" * 5000 + b"]", "not valid JSON"),
    ],
    ids=[
        "duplicate-key",
        "nan",
        "infinity",
        "minus-infinity",
        "invalid-utf8",
        "encoded-surrogate",
        "escaped-surrogate",
        "surrogate-key",
        "bom",
        "trailing-data",
        "empty",
        "huge-number",
    ],
)
def test_hostile_json_is_refused(data, reason):
    with pytest.raises(BundleRefused, match=reason):
        _load(data)


def test_size_is_checked_before_parsing():
    with pytest.raises(BundleRefused, match="larger than the limit"):
        _load(b"[1]" + b" " * 100, max_bytes=100)
