"""Hard caps on everything a bundle may claim or contain, and a JSON loader that keeps them.

Every number a hostile bundle could inflate is bounded here, in one place, and checked
before anything is allocated for it.
"""

from __future__ import annotations

import json
from typing import Any

from intake_app.errors import BundleRefused, IntakeError

KIB = 1024
MIB = 1024 * KIB
GIB = 1024 * MIB

# Outer ZIP: 32-bit offsets only (no ZIP64 extra fields), so the whole file stays under 4 GiB.
MAX_BUNDLE_BYTES = 4 * GIB - 64 * MIB
MAX_SIGNATURE_BYTES = 4 * KIB
MAX_TRUSTED_COMMENT_BYTES = 1024  # minisign's own limit

# age header: a real bundle has a few X25519 stanzas and one grease stanza.
MAX_AGE_HEADER_BYTES = 64 * KIB
MAX_AGE_STANZAS = 64

# Inner tar stream.
MAX_MEMBERS = 100_000
MAX_MEMBER_NAME_BYTES = 255
MAX_PAX_HEADER_BYTES = 8 * KIB
MAX_MANIFEST_BYTES = 8 * MIB
MAX_RECORD_BYTES = 16 * MIB
MAX_ATTACHMENT_BYTES = 2 * GIB
MAX_PLAINTEXT_BYTES = MAX_BUNDLE_BYTES

MAX_JSON_DEPTH = 64


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed in JSON")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError("duplicate key")
        out[key] = value
    return out


def _check_tree(value: Any, max_depth: int) -> None:
    """Depth and text checks without recursion (a hostile document must not blow the stack)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            if depth > max_depth:
                raise ValueError("nested too deeply")
            for key, child in item.items():
                key.encode("utf-8")  # lone surrogates from \ud800 escapes fail here
                stack.append((child, depth + 1))
        elif isinstance(item, list):
            if depth > max_depth:
                raise ValueError("nested too deeply")
            stack.extend((child, depth + 1) for child in item)
        elif isinstance(item, str):
            item.encode("utf-8")


def load_json(
    data: bytes,
    *,
    what: str,
    max_bytes: int,
    max_depth: int = MAX_JSON_DEPTH,
    error: type[IntakeError] = BundleRefused,
) -> Any:
    """Parse untrusted JSON strictly, or raise `error` naming `what` ("bundle's manifest").

    Refuses: more than `max_bytes`, invalid UTF-8 (and a BOM), duplicate keys, NaN and
    Infinity, nesting deeper than `max_depth`, lone surrogates, absurdly long numbers.
    """
    if len(data) > max_bytes:
        raise error(f"The {what} is larger than the limit of {max_bytes} bytes.")
    try:
        text = data.decode("utf-8")
        if text.startswith("\ufeff"):
            raise ValueError("byte order mark")
        value = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_reject_constant)
        _check_tree(value, max_depth)
    except RecursionError:
        raise error(f"The {what} is nested deeper than the limit of {max_depth}.") from None
    except UnicodeError:
        raise error(f"The {what} is not valid UTF-8 text.") from None
    except ValueError as exc:
        if str(exc) == "nested too deeply":
            raise error(f"The {what} is nested deeper than the limit of {max_depth}.") from None
        raise error(f"The {what} is not valid JSON ({_reason(exc)}).") from None
    return value


def _reason(exc: ValueError) -> str:
    # json's messages carry positions only, never content, so they are safe to show.
    return str(exc).split(":")[0] if isinstance(exc, json.JSONDecodeError) else str(exc)
