"""Answer values: what counts as answered, checklist items, partial dates, display text.

Answers are stored exactly as given (DESIGN.md: "case show returns every answer in the form it
was given"); these helpers read them without rewriting them.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from intake_app.errors import ValidationError

if TYPE_CHECKING:
    from intake_app.protocol.model import Question

NON_ANSWERS = ("unknown", "declined")
CHECK_STATUSES = ("done", "not_done", "unknown")
_CHECK_SHORT = {"yes": "done", "no": "not_done", "unknown": "unknown"}
_PARTIAL_DATE_RE = re.compile(r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?", re.ASCII)

# Words the protocol file does not carry: yes/no answers, checklist states, non-answers.
WORDS: dict[str, dict[str, str]] = {
    "yes": {"en": "Yes", "ru": "Да", "kk": "Иә"},
    "no": {"en": "No", "ru": "Нет", "kk": "Жоқ"},
    "unknown": {"en": "Unknown", "ru": "Неизвестно", "kk": "Белгісіз"},
    "declined": {"en": "Declined to answer", "ru": "Отказ от ответа",
                 "kk": "Жауап беруден бас тартты"},
    "done": {"en": "Done", "ru": "Проведено", "kk": "Жүргізілді"},
    "not_done": {"en": "Not done", "ru": "Не проведено", "kk": "Жүргізілмеді"},
    "by": {"en": "by", "ru": "кем:", "kk": "кім:"},
    "items": {"en": "items", "ru": "записей", "kk": "жазба"},
    "attachments": {"en": "attachments", "ru": "вложений", "kk": "тіркеме"},
    "marks": {"en": "marks on the body diagram", "ru": "отметок на схеме тела",
              "kk": "дене сызбасындағы белгі"},
    "front": {"en": "front", "ru": "спереди", "kk": "алдынан"},
    "back": {"en": "back", "ru": "сзади", "kk": "артынан"},
}


def word(key: str, lang: str) -> str:
    entry = WORDS[key]
    return entry.get(lang) or entry["en"]


def check_status(value: Any) -> str | None:
    """The status of a checklist answer: 'done' | 'not_done' | 'unknown' | 'declined' | None.

    Accepts the short forms yes/no/unknown and the object form {"status": ...}."""
    if type(value) is str:
        return _CHECK_SHORT.get(value)
    if type(value) is dict:
        status = value.get("status")
        if type(status) is str:
            return _CHECK_SHORT.get(status, status) if status in ("yes", "no") else status
    return None


def normalize_check(value: Any) -> dict[str, Any]:
    """A checklist answer in its full form {"status", "date", "by", "note"} (missing → None).

    yes → done, no → not_done; anything unreadable has status None."""
    out: dict[str, Any] = {"status": check_status(value), "date": None, "by": None,
                           "note": None}
    if type(value) is dict:
        for key in ("date", "by", "note"):
            field = value.get(key)
            if type(field) is str:
                out[key] = field
    return out


def status_of(value: Any) -> str | None:
    """The "status" of an object answer ({"status": "unknown"} → "unknown", a checklist item
    → its status word as stored), or None for any other value."""
    if type(value) is dict:
        status = value.get("status")
        if type(status) is str:
            return status
    return None


def is_non_answer(value: Any) -> bool:
    """True for the explicit {"status": "unknown"} / {"status": "declined"} forms."""
    return type(value) is dict and len(value) == 1 and value.get("status") in NON_ANSWERS


def is_answered(value: Any) -> bool:
    """Whether a question counts as answered. An explicit unknown or declined counts; a
    missing value, blank text, an empty list or an empty object does not."""
    t = type(value)
    if value is None:
        return False
    if t is str:
        return value.strip() != ""
    if t is list:
        return len(value) > 0
    if t is dict:
        status = value.get("status")
        if type(status) is str and status != "":
            return True
        return any(is_answered(v) for k, v in value.items() if k != "_id")
    return True


def parse_partial_date(text: Any) -> tuple[int, int | None, int | None]:
    """`YYYY`, `YYYY-MM` or `YYYY-MM-DD` → (year, month or None, day or None).

    Raises ValidationError for anything else, including dates that do not exist."""
    if type(text) is not str:
        raise ValidationError("A date must be text in the form YYYY, YYYY-MM or YYYY-MM-DD.")
    m = _PARTIAL_DATE_RE.fullmatch(text)
    if not m:
        shown = text if len(text) <= 20 else text[:20] + "…"
        raise ValidationError(
            f"{shown!r} is not a date in the form YYYY, YYYY-MM or YYYY-MM-DD."
        )
    year = int(m.group(1))
    month = int(m.group(2)) if m.group(2) else None
    day = int(m.group(3)) if m.group(3) else None
    try:
        _dt.date(year, 1 if month is None else month, 1 if day is None else day)
    except ValueError:
        raise ValidationError(f"{text} is not a real date.") from None
    return year, month, day


PlaceName = Callable[[str, str], str | None]


def display_value(
    question: Question, value: Any, lang: str = "en", places: PlaceName | None = None
) -> str:
    """A human text for an answer, for PDFs and the GUI: option labels in `lang`, status
    words, dates as given. `places(id, lang)` names gazetteer ids when given."""
    if value is None:
        return ""
    if is_non_answer(value):
        return word(value["status"], lang)
    kind = question.type
    if kind == "choice":
        return _option_text(question, value, lang)
    if kind == "multichoice" and type(value) is list:
        return ", ".join(_option_text(question, v, lang) for v in value)
    if kind == "yesno" and value in ("yes", "no", "unknown"):
        return word(value, lang)
    if kind == "check":
        return _check_text(value, lang)
    if kind == "person" and type(value) is dict:
        parts = [value.get(k) for k in ("name", "position", "agency", "description")]
        return ", ".join(p for p in parts if type(p) is str and p)
    if kind == "place":
        return _place_text(value, lang, places)
    if kind == "number" and type(value) is float and value.is_integer():
        return str(int(value))
    if kind in ("group", "attachment", "bodymap") and type(value) is list:
        noun = {"group": "items", "attachment": "attachments", "bodymap": "marks"}[kind]
        if kind == "group" and question.item_label:
            return f"{len(value)} × {_label(question.item_label, lang)}"
        return f"{len(value)} {word(noun, lang)}"
    if type(value) in (str, int, float):
        return str(value)
    return ""


def _label(labels: Mapping[str, str], lang: str) -> str:
    return labels.get(lang) or labels.get("en") or next(iter(labels.values()), "")


def _option_text(question: Question, value: Any, lang: str) -> str:
    for option in question.options:
        if option.value == value:
            return _label(option.label, lang)
    return str(value) if type(value) is str else ""


def _check_text(value: Any, lang: str) -> str:
    item = normalize_check(value)
    status = item["status"]
    parts = [word(status, lang) if status in WORDS else ""]
    if item["date"]:
        parts.append(item["date"])
    if item["by"]:
        parts.append(f"{word('by', lang)} {item['by']}")
    text = ", ".join(p for p in parts if p)
    if item["note"]:
        text = f"{text} ({item['note']})" if text else item["note"]
    return text


def _place_text(value: Any, lang: str, places: PlaceName | None) -> str:
    if type(value) is dict:
        text = value.get("text")
        return text if type(text) is str else ""
    if type(value) is str:
        if places is not None:
            name = places(value, lang)
            if name:
                return name
        return value
    return ""
