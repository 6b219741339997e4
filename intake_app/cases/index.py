"""The case index: one row per case, derived from its head answers.

Lists, filters and statistics read `case_index` and never load revisions. The row holds the
pseudonym, never the full name. Values of yes/no and check questions are stored as the
protocol's expression language sees them (check: 'done' | 'not_done' | 'unknown'; an
explicit {"status": s} answer: s), so a count of `'not_done'` counts "no" only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from intake_app.places import canonical_place

_FULL_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})\Z")
_CHECK_SIMPLE = {"yes": "done", "no": "not_done", "unknown": "unknown"}
_TEXT_TYPES = frozenset({"text", "longtext"})
_PERSON_FIELDS = ("name", "position", "agency", "description")


@dataclass
class IndexRow:
    """The derived columns of `case_index` for one case."""

    pseudonym: str | None = None
    red_flags: list[str] = field(default_factory=list)
    sex: str | None = None
    age: float | None = None
    minor: int | None = None
    citizenship: str | None = None
    foreigner: int | None = None
    city: str | None = None
    status: str | None = None
    complaint_register: str | None = None
    fme_requested: str | None = None
    fme_conducted: str | None = None
    fppe_conducted: str | None = None
    lawyer_type: str | None = None
    lawyer_identified: str | None = None
    legal_rep_present: str | None = None


def question_type(protocol: Any, qid: str) -> str | None:
    if protocol is None:
        return None
    try:
        question = protocol.question(qid)
    except (KeyError, LookupError):
        return None
    return getattr(question, "type", None) if question is not None else None


def expr_value(value: Any, qtype: str | None) -> str | None:
    """A scalar answer as the expression language sees it, or None."""
    if isinstance(value, dict):
        status = value.get("status")
        return status if isinstance(status, str) else None
    if isinstance(value, bool) or not isinstance(value, str):
        return None
    if qtype == "check":
        return _CHECK_SIMPLE.get(value, value)
    return value


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _full_date(value: Any) -> date | None:
    match = _FULL_DATE.match(value) if isinstance(value, str) else None
    if match is None:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def age_at_incident(answers: dict[str, Any]) -> float | None:
    """The stated age, else the age computed from full birth and incident dates."""
    age = _number(answers.get("victim.age_at_incident"))
    if age is not None:
        return age
    born = _full_date(answers.get("victim.birth_date"))
    when = _full_date(answers.get("incident.date"))
    if born is None or when is None or when < born:
        return None
    years = when.year - born.year - ((when.month, when.day) < (born.month, born.day))
    return float(years)


def city_key(value: Any) -> str | None:
    """The gazetteer id of the incident city (any spelling), or the free text as typed."""
    place_id, text = canonical_place(value)
    return place_id or (text or None)


def build_row(answers: dict[str, Any], protocol: Any, red_flags: list[str]) -> IndexRow:
    """Derive the index columns from one set of head answers."""

    def value(qid: str) -> str | None:
        return expr_value(answers.get(qid), question_type(protocol, qid))

    age = age_at_incident(answers)
    citizenship = _text(answers.get("victim.citizenship"))
    return IndexRow(
        pseudonym=_text(answers.get("victim.pseudonym")),
        red_flags=sorted(set(red_flags)),
        sex=value("victim.sex"),
        age=age,
        minor=None if age is None else int(age < 18),
        citizenship=citizenship,
        foreigner=None if citizenship is None else int(citizenship.upper() != "KZ"),
        city=city_key(answers.get("incident.city")),
        status=value("investigation.status"),
        complaint_register=value("complaint.register"),
        fme_requested=value("fme.requested"),
        fme_conducted=value("fme.conducted"),
        fppe_conducted=value("fppe.conducted"),
        lawyer_type=value("lawyer.type"),
        lawyer_identified=value("lawyer.identified"),
        legal_rep_present=value("minor.legal_rep_present"),
    )


_ROW_COLUMNS = (
    "pseudonym", "red_flags", "sex", "age", "minor", "citizenship", "foreigner", "city",
    "status", "complaint_register", "fme_requested", "fme_conducted", "fppe_conducted",
    "lawyer_type", "lawyer_identified", "legal_rep_present",
)  # fmt: skip


def write_row(
    conn: Any,
    case_id: str,
    row: IndexRow,
    *,
    created_at: str,
    updated_at: str,
    conflict: bool,
    waiting: bool,
    protocol_id: str | None,
    protocol_version: int | None,
) -> int:
    """Insert or update the case's index row; returns its stable `seq`."""
    values = [getattr(row, name) for name in _ROW_COLUMNS]
    values[1] = json.dumps(row.red_flags, ensure_ascii=False)
    columns = (*_ROW_COLUMNS, "created_at", "updated_at", "conflict", "waiting",
               "protocol_id", "protocol_version")  # fmt: skip
    params = [*values, created_at, updated_at, int(conflict), int(waiting), protocol_id,
              protocol_version]  # fmt: skip
    assignments = ", ".join(f"{c} = excluded.{c}" for c in columns)
    conn.execute(
        f"INSERT INTO case_index (case_id, {', '.join(columns)})"  # noqa: S608 (fixed names)
        f" VALUES (?, {', '.join('?' for _ in columns)})"
        f" ON CONFLICT (case_id) DO UPDATE SET {assignments}",
        (case_id, *params),
    )
    seq = conn.execute("SELECT seq FROM case_index WHERE case_id = ?", (case_id,)).fetchone()
    return int(seq[0])


@dataclass(frozen=True)
class NewCaseRow:
    """The index row of a case created with one revision (bulk creation, demo data)."""

    seq: int
    case_id: str
    row: IndexRow
    created_at: str
    protocol_id: str | None
    protocol_version: int | None


def insert_new_rows(conn: Any, rows: list[NewCaseRow]) -> None:
    """Insert the rows `write_row` would give cases with one head and no history (created =
    updated, no conflict, not waiting), with the caller's seqs, in one statement."""
    columns = (*_ROW_COLUMNS, "created_at", "updated_at", "conflict", "waiting",
               "protocol_id", "protocol_version")  # fmt: skip
    params = []
    for new in rows:
        values = [getattr(new.row, name) for name in _ROW_COLUMNS]
        values[1] = json.dumps(new.row.red_flags, ensure_ascii=False)
        params.append((new.seq, new.case_id, *values, new.created_at, new.created_at, 0, 0,
                       new.protocol_id, new.protocol_version))  # fmt: skip
    conn.executemany(
        f"INSERT INTO case_index (seq, case_id, {', '.join(columns)})"  # noqa: S608 (fixed)
        f" VALUES (?, ?, {', '.join('?' for _ in columns)})",
        params,
    )


def _child_question(question: Any, relative_id: str) -> Any:
    for child in getattr(question, "questions", None) or ():
        if getattr(child, "id", None) == relative_id:
            return child
    return None


def _lookup(protocol: Any, qid: str) -> Any:
    if protocol is None:
        return None
    try:
        return protocol.question(qid)
    except (KeyError, LookupError):
        return None


def text_of_answers(answers: dict[str, Any], protocol: Any) -> tuple[list[str], list[str]]:
    """The searchable text of the answers: (ordinary, protected) lists of strings."""
    body: list[str] = []
    protected: list[str] = []
    for qid in sorted(answers):
        question = _lookup(protocol, qid)
        for text, is_protected in _texts(answers[qid], question, protocol is None):
            (protected if is_protected else body).append(text)
    return body, protected


def _texts(value: Any, question: Any, unknown_protocol: bool) -> Iterator[tuple[str, bool]]:
    if question is None:
        if unknown_protocol:
            # A record under a protocol this vault does not hold: index its plain strings.
            yield from ((s, False) for s in _strings(value))
        return
    qtype = getattr(question, "type", None)
    protected = bool(getattr(question, "protected", False))
    if qtype in _TEXT_TYPES and isinstance(value, str):
        yield value, protected
    elif qtype == "person" and isinstance(value, dict):
        for key in _PERSON_FIELDS:
            if isinstance(value.get(key), str):
                yield value[key], protected
    elif qtype == "place" and isinstance(value, dict) and isinstance(value.get("text"), str):
        yield value["text"], protected
    elif qtype in ("check", "bodymap"):
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, dict) and isinstance(item.get("note"), str):
                yield item["note"], protected
    elif qtype == "group" and isinstance(value, list):
        for item in value:
            if not isinstance(item, dict):
                continue
            for key in sorted(item):
                child = _child_question(question, key)
                if child is not None:
                    for text, child_protected in _texts(item[key], child, False):
                        yield text, child_protected or protected


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            if key not in ("_id", "status"):
                yield from _strings(item)
