"""Type checks of single answer values against their question (no skip logic here).

Each check returns None when the value fits, else a short English text for a person. The
texts never quote free text the user typed (it may be identifying); they quote only short
codes such as option values and dates.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

from intake_app.errors import ValidationError
from intake_app.protocol.model import DEFAULT_MAX_LENGTH, Question
from intake_app.protocol.values import NON_ANSWERS, is_non_answer, parse_partial_date

MAX_FIELD_LENGTH = 10_000  # by/note of a checklist item, person fields, free-text places
MAX_ITEM_ID_LENGTH = 100
_SHA256_RE = re.compile(r"[0-9a-f]{64}", re.ASCII)
_PLACE_ID_RE = re.compile(r"[a-z0-9]+(?:[._-][a-z0-9]+)*", re.ASCII)
_CHECK_KEYS = frozenset({"status", "date", "by", "note"})
_CHECK_OBJECT_STATUSES = frozenset({"done", "not_done", "unknown", "declined"})
_PERSON_KEYS = frozenset({"name", "position", "agency", "description"})
_BODYMAP_KEYS = frozenset({"_id", "view", "region", "kind", "note", "photo"})


def kind_of(value: Any) -> str:
    """How a value's type is named in messages."""
    t = type(value)
    if t is str:
        return "text"
    if t is bool:
        return "true/false"
    if t is int or t is float:
        return "a number"
    if t is list:
        return "a list"
    if t is dict:
        return "an object"
    if value is None:
        return "null"
    return "an unsupported value"


def short(value: Any, limit: int = 40) -> str:
    """A short quoted form of a code-like value for messages."""
    text = value if type(value) is str else str(value)
    if len(text) > limit:
        text = text[:limit] + "…"
    return repr(text)


def expected(what: str, value: Any) -> str:
    if type(value) is dict and "status" in value and len(value) == 1:
        return f"expected {what}, or a status of 'unknown' or 'declined'"
    return f"expected {what}, got {kind_of(value)}"


def _number_text(v: int | float) -> str:
    return str(int(v)) if type(v) is float and v.is_integer() else str(v)


def _storable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _text_problem(value: Any, limit: int) -> str | None:
    if type(value) is not str:
        return expected("text", value)
    if len(value) > limit:
        return f"text is longer than {limit} characters ({len(value)})"
    if not _storable(value):
        return "text contains characters that cannot be stored (unpaired surrogates)"
    return None


def _date_problem(value: Any) -> str | None:
    # No memoising here: a cache would keep case dates in memory after the vault locks.
    if type(value) is not str:
        return expected("a date (YYYY, YYYY-MM or YYYY-MM-DD)", value)
    try:
        parse_partial_date(value)
    except ValidationError as exc:
        return exc.message.rstrip(".")  # problems are fragments joined after "id: "
    return None


def _check_text(q: Question, value: Any) -> str | None:
    return _text_problem(value, q.max_length or DEFAULT_MAX_LENGTH.get(q.type, 10_000))


def _check_date(q: Question, value: Any) -> str | None:
    return _date_problem(value)


def _check_number(q: Question, value: Any) -> str | None:
    if type(value) is not int and type(value) is not float:
        return expected("a number", value)
    if not math.isfinite(value):
        return "expected a finite number"
    if q.min is not None and value < q.min:
        return f"{_number_text(value)} is below the minimum {_number_text(q.min)}"
    if q.max is not None and value > q.max:
        return f"{_number_text(value)} is above the maximum {_number_text(q.max)}"
    return None


def _options_text(q: Question) -> str:
    values = [o.value for o in q.options]
    shown = ", ".join(values[:12])
    return shown + (", …" if len(values) > 12 else "")


def _check_choice(q: Question, value: Any) -> str | None:
    if type(value) is not str:
        return expected("one of the options", value)
    if q.option(value) is None:
        return f"{short(value)} is not one of the options ({_options_text(q)})"
    return None


def _check_multichoice(q: Question, value: Any) -> str | None:
    if type(value) is not list:
        return expected("a list of options", value)
    seen: set[str] = set()
    for v in value:
        if type(v) is not str:
            return f"expected a list of options, found {kind_of(v)} in it"
        if q.option(v) is None:
            return f"{short(v)} is not one of the options ({_options_text(q)})"
        if v in seen:
            return f"{short(v)} is chosen twice"
        seen.add(v)
    return None


def _check_yesno(q: Question, value: Any) -> str | None:
    if type(value) is not str:
        return expected("'yes', 'no' or 'unknown'", value)
    if value not in ("yes", "no", "unknown"):
        return f"{short(value)} is not 'yes', 'no' or 'unknown'"
    return None


def _check_check(q: Question, value: Any) -> str | None:
    if type(value) is str:
        if value in ("yes", "no", "unknown"):
            return None
        return f"{short(value)} is not 'yes', 'no' or 'unknown'"
    if type(value) is not dict:
        return expected("'yes', 'no', 'unknown' or a checklist object", value)
    extra = sorted(k for k in value if k not in _CHECK_KEYS)
    if extra:
        return f"unknown key {short(extra[0])} in a checklist answer"
    status = value.get("status")
    if type(status) is not str or status not in _CHECK_OBJECT_STATUSES:
        return "a checklist answer needs a status of 'done', 'not_done' or 'unknown'"
    if "date" in value and value["date"] is not None:
        problem = _date_problem(value["date"])
        if problem:
            return f"date: {problem}"
    for key in ("by", "note"):
        if key in value and value[key] is not None:
            problem = _text_problem(value[key], MAX_FIELD_LENGTH)
            if problem:
                return f"{key}: {problem}"
    return None


def _check_person(q: Question, value: Any) -> str | None:
    if type(value) is not dict:
        return expected("a person (name, position, agency, description)", value)
    for key, field in value.items():
        if key not in _PERSON_KEYS:
            return f"unknown key {short(key)} in a person"
        if field is not None:
            problem = _text_problem(field, MAX_FIELD_LENGTH)
            if problem:
                return f"{key}: {problem}"
    return None


def _check_attachment(q: Question, value: Any) -> str | None:
    if type(value) is not list:
        return expected("a list of attachment hashes", value)
    seen: set[str] = set()
    for v in value:
        if type(v) is not str or not _SHA256_RE.fullmatch(v):
            return "an attachment must be named by its SHA-256 (64 lower-case hex digits)"
        if v in seen:
            return "the same attachment is listed twice"
        seen.add(v)
    return None


def _check_place(q: Question, value: Any) -> str | None:
    if type(value) is str:
        # A gazetteer id, or a place's name as people write it ("Орал", "Уральск"): statistics
        # resolve names through the gazetteer, and an unknown name stays free text.
        if len(value) <= 200 and _PLACE_ID_RE.fullmatch(value):
            return None
        if not value.strip():
            return 'expected a gazetteer id (like kz.city.uralsk), a place name or {"text": ...}'
        return _text_problem(value, MAX_FIELD_LENGTH)
    if type(value) is dict:
        if set(value) != {"text"}:
            return 'a place not in the gazetteer must be {"text": ...} and nothing else'
        return _text_problem(value["text"], MAX_FIELD_LENGTH)
    return expected('a gazetteer id or {"text": ...}', value)


def _check_bodymap(q: Question, value: Any) -> str | None:
    if type(value) is not list:
        return expected("a list of body-diagram marks", value)
    seen: set[str] = set()
    for n, mark in enumerate(value, 1):
        problem = _bodymap_mark(mark, seen)
        if problem:
            return f"mark {n}: {problem}"
    return None


def _bodymap_mark(mark: Any, seen: set[str]) -> str | None:
    if type(mark) is not dict:
        return expected("an object", mark)
    extra = sorted(k for k in mark if k not in _BODYMAP_KEYS)
    if extra:
        return f"unknown key {short(extra[0])}"
    problem = item_id_problem(mark.get("_id"), seen)
    if problem:
        return problem
    if mark.get("view") not in ("front", "back"):
        return "view must be 'front' or 'back'"
    for key in ("region", "kind"):
        problem = _text_problem(mark.get(key), 200)
        if problem:
            return f"{key}: {problem}"
    if mark.get("note") is not None:
        problem = _text_problem(mark["note"], MAX_FIELD_LENGTH)
        if problem:
            return f"note: {problem}"
    photo = mark.get("photo")
    if photo is not None and (type(photo) is not str or not _SHA256_RE.fullmatch(photo)):
        return "photo must be an attachment's SHA-256"
    return None


def item_id_problem(item_id: Any, seen: set[str]) -> str | None:
    """Items of repeat groups and body maps merge by `_id`: it must be present and unique."""
    if type(item_id) is not str or not item_id:
        return "the item has no '_id' (a text id)"
    if len(item_id) > MAX_ITEM_ID_LENGTH or not item_id.isprintable():
        return "the item's '_id' is not a valid id"
    if item_id in seen:
        return f"two items share the '_id' {short(item_id)}"
    seen.add(item_id)
    return None


CHECKS: dict[str, Callable[[Question, Any], str | None]] = {
    "text": _check_text,
    "longtext": _check_text,
    "date": _check_date,
    "number": _check_number,
    "choice": _check_choice,
    "multichoice": _check_multichoice,
    "yesno": _check_yesno,
    "check": _check_check,
    "person": _check_person,
    "attachment": _check_attachment,
    "place": _check_place,
    "bodymap": _check_bodymap,
}


def value_problem(q: Question, value: Any) -> str | None:
    """Whether `value` fits `q`'s type (groups are checked item by item elsewhere)."""
    if is_non_answer(value):
        return None
    if type(value) is dict and value.get("status") in NON_ANSWERS and q.type != "check":
        return "a status answer must be exactly {\"status\": \"unknown\"} or \"declined\""
    check = CHECKS.get(q.type)
    return check(q, value) if check is not None else None


Checker = Callable[[Any], str | None]


def checker(q: Question) -> Checker:
    """`value_problem` for one question, with a fast path for the common valid answers (the
    GUI re-checks the whole record on every keystroke). The fast path only ever accepts what
    the full check accepts; everything else goes through the full check."""
    kind = q.type

    def full(value: Any) -> str | None:
        return value_problem(q, value)

    if kind in ("choice", "yesno"):
        allowed = (frozenset(o.value for o in q.options) if kind == "choice"
                   else frozenset({"yes", "no", "unknown"}))

        def choice(value: Any) -> str | None:
            return None if type(value) is str and value in allowed else full(value)
        return choice
    if kind in ("text", "longtext"):
        limit = q.max_length or DEFAULT_MAX_LENGTH[kind]

        def text(value: Any) -> str | None:
            if type(value) is str and len(value) <= limit and (
                value.isascii() or _storable(value)
            ):
                return None
            return full(value)
        return text
    if kind == "number":
        low, high = q.min, q.max

        def number(value: Any) -> str | None:
            ok = (type(value) is int and (low is None or value >= low)
                  and (high is None or value <= high))
            return None if ok else full(value)
        return number
    if kind == "date":
        def date(value: Any) -> str | None:
            return _date_problem(value) if type(value) is str else full(value)
        return date
    return full
