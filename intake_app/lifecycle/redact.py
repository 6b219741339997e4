"""Removing identifying answers: the protocol's `protected: true` questions (full name, birth
date, contacts, witnesses, face photographs...), at any depth of repeat groups.

Pure functions over answer dicts; used by anonymised views (export) and by identifying-only
tombstones (retraction). Answers to questions the protocol does not know are dropped too: what
is not known cannot be shown to be harmless.
"""

from __future__ import annotations

import re
from typing import Any

_SHA256 = re.compile(r"[0-9a-f]{64}\Z")


def _question(protocol: Any, qid: str) -> Any:
    try:
        return protocol.question(qid)
    except (KeyError, LookupError):
        return None


def _strip_item(item: Any, group: Any) -> Any:
    if not isinstance(item, dict):
        return None
    kept: dict[str, Any] = {}
    for key, value in item.items():
        if key == "_id":
            kept[key] = value
            continue
        child = group.child(key) if hasattr(group, "child") else None
        if child is None or child.protected:
            continue
        kept[key] = _strip_value(value, child)
    return kept


def _strip_value(value: Any, question: Any) -> Any:
    if getattr(question, "type", None) == "group" and isinstance(value, list):
        items = [_strip_item(item, question) for item in value]
        return [item for item in items if item is not None]
    return value


def strip_protected(answers: dict[str, Any], protocol: Any) -> dict[str, Any]:
    """The answers without protected questions (nor unknown ones). `protocol` None: nothing
    can be told apart, so nothing is kept."""
    if protocol is None:
        return {}
    kept: dict[str, Any] = {}
    for qid, value in answers.items():
        question = _question(protocol, qid)
        if question is None or question.protected:
            continue
        kept[qid] = _strip_value(value, question)
    return kept


def hashes_in(value: Any) -> set[str]:
    """Every SHA-256 hex string in an answer value (attachment lists, body-map photos)."""
    found: set[str] = set()
    if isinstance(value, str):
        if _SHA256.match(value):
            found.add(value)
    elif isinstance(value, list):
        for item in value:
            found |= hashes_in(item)
    elif isinstance(value, dict):
        for item in value.values():
            found |= hashes_in(item)
    return found


def remap_hashes(value: Any, mapping: dict[str, str | None]) -> Any:
    """Replace attachment hashes per `mapping`; a hash mapped to None is removed (from a
    list, or its key from an object). Strings not in `mapping` are left as they are."""
    if isinstance(value, list):
        out = []
        for item in value:
            if isinstance(item, str) and item in mapping:
                if mapping[item] is not None:
                    out.append(mapping[item])
            else:
                out.append(remap_hashes(item, mapping))
        return out
    if isinstance(value, dict):
        result: dict[str, Any] = {}
        for key, item in value.items():
            if isinstance(item, str) and item in mapping:
                if mapping[item] is not None:
                    result[key] = mapping[item]
            else:
                result[key] = remap_hashes(item, mapping)
        return result
    return value


def protected_hashes(answers: dict[str, Any], protocol: Any) -> set[str]:
    """Attachment hashes named by protected answers (face photographs, audio...): these
    files identify the person. Without the protocol every named hash counts."""
    named = hashes_in(answers)
    return named - hashes_in(strip_protected(answers, protocol)) if protocol else named
