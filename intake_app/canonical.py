"""Canonical JSON (RFC 8785) and the hashes built on it."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import rfc8785

# RFC 8785 numbers are IEEE doubles: integers beyond this are refused (by rfc8785).
_SAFE_INT = 2**53 - 1
_MAX_FAST_DEPTH = 200


def canonical_json(obj: Any) -> bytes:
    """RFC 8785 canonical bytes; text is kept byte-exact (no Unicode normalisation).

    Values made only of objects with string keys, arrays, strings, safe integers, booleans
    and null (every revision body and draft without fractional numbers) take the C JSON
    encoder, whose output is then the same bytes: RFC 8785 escapes exactly what
    `json.dumps(ensure_ascii=False)` escapes (quote, backslash, controls, with short forms
    and lower-case \\u00xx), and sorting keys by code point equals RFC 8785's UTF-16 order
    when no key holds a character at or above U+D800. Anything else (floats, such keys,
    large integers, other types, lone surrogates) goes through rfc8785 itself.
    tests/core/test_canonical.py compares both on generated values.
    """
    if _plain(obj, 0):
        try:
            text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
            return text.encode("utf-8")
        except UnicodeEncodeError:
            pass  # a lone surrogate: rfc8785 raises its own error
    return rfc8785.dumps(obj)


def _plain(value: Any, depth: int) -> bool:
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return True
    if kind is int:
        return -_SAFE_INT <= value <= _SAFE_INT
    if depth > _MAX_FAST_DEPTH:
        return False
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str or not (key.isascii() or max(key, default="") < "\ud800"):
                return False
            if not _plain(item, depth + 1):
                return False
        return True
    if kind is list:
        return all(_plain(item, depth + 1) for item in value)
    return False


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def canonical_sha256(obj: Any) -> str:
    return sha256_hex(canonical_json(obj))
