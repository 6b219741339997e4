"""The protocol file's schema: checks each mapping key by key and builds the model.

Every message names where the problem is (section, question, key), because the person who
reads it is a translator or protocol author fixing a YAML file.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Iterable, Sequence
from typing import Any

from intake_app.errors import ProtocolError
from intake_app.protocol.expr import KEYWORDS, Expression, Field, Frame, compile_expression
from intake_app.protocol.model import (
    GAZETTEERS,
    QUESTION_TYPES,
    Labels,
    Option,
    Question,
    RedFlagRule,
    Section,
)

_ID_RE = re.compile(r"[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)*", re.ASCII)
_LANG_RE = re.compile(r"[a-z]{2,3}", re.ASCII)
MAX_ID_LENGTH = 100
MAX_LABEL_LENGTH = 20_000
MAX_QUESTIONS = 5_000
MAX_SECTIONS = 200
MAX_OPTIONS = 1_000
MAX_RULES = 1_000
MAX_GROUP_NESTING = 3
MAX_OPTION_LENGTH = 100

_COMMON_KEYS = frozenset({"id", "type", "label", "help", "required", "relevant", "constraint",
                          "constraint_message", "protected", "retired"})
_TYPE_KEYS: dict[str, frozenset[str]] = {
    "choice": frozenset({"options"}),
    "multichoice": frozenset({"options"}),
    "number": frozenset({"min", "max"}),
    "text": frozenset({"max_length"}),
    "longtext": frozenset({"max_length"}),
    "place": frozenset({"gazetteer"}),
    "group": frozenset({"item_label", "questions"}),
}
_SECTION_KEYS = frozenset({"id", "title", "help", "relevant", "questions"})
_RULE_KEYS = frozenset({"id", "when", "label", "explain"})
_CHECK_FIELDS = ("date", "by", "note")


def frame_of(questions: Iterable[Question]) -> Frame:
    """The names one level of questions offers to expressions (groups nest a frame).

    Inside a group both the relative id ("place") and the full id ("episodes.place") name
    the item's answer."""
    fields: dict[str, Field] = {}
    for q in questions:
        item = frame_of(q.questions) if q.type == "group" else None
        f = Field(q.id, q.type, item)
        fields[q.id] = f
        if q.full_id != q.id:
            fields[q.full_id] = f
    for name in fields:
        head, _, tail = name.rpartition(".")
        if tail in _CHECK_FIELDS and head in fields and fields[head].kind == "check":
            raise ProtocolError(
                f"Question id '{name}' is ambiguous: '{head}' is a checklist item, so "
                f"'{name}' already means its {tail}."
            )
    return Frame(fields)


def _text_list(values: Iterable[str]) -> str:
    return ", ".join(sorted(values))


class Shaper:
    """Builds model objects from parsed YAML, remembering expression sources to bind once
    every question is known (conditions may refer to questions further down)."""

    def __init__(self) -> None:
        self.sources: dict[tuple[str, str], str] = {}
        self.full_ids: set[str] = set()

    # -- small pieces --

    def keys(self, data: dict[Any, Any], allowed: Iterable[str], required: Iterable[str],
             where: str) -> None:
        allowed = frozenset(allowed)
        for key in data:
            if key not in allowed:
                raise ProtocolError(
                    f"{where}: unknown key {str(key)[:60]!r} (allowed: {_text_list(allowed)})."
                )
        for key in required:
            if key not in data:
                raise ProtocolError(f"{where}: '{key}' is missing.")

    def labels(self, value: Any, where: str) -> dict[str, str]:
        if not isinstance(value, dict) or not value:
            raise ProtocolError(f"{where}: expected texts by language, like {{en: ..., ru: ...}}.")
        out: dict[str, str] = {}
        for lang, text in value.items():
            if type(lang) is not str or not _LANG_RE.fullmatch(lang):
                raise ProtocolError(f"{where}: {str(lang)[:20]!r} is not a language code.")
            if type(text) is not str or not text.strip():
                raise ProtocolError(f"{where}: the {lang} text must be non-empty text.")
            if len(text) > MAX_LABEL_LENGTH:
                raise ProtocolError(f"{where}: the {lang} text is too long.")
            out[lang] = text
        if "en" not in out:
            raise ProtocolError(f"{where}: an English ('en') text is required.")
        return out

    def optional_labels(self, data: dict[str, Any], key: str, where: str) -> dict[str, str] | None:
        if key not in data or data[key] is None:
            return None
        return self.labels(data[key], f"{where} {key}")

    def flag(self, data: dict[str, Any], key: str, where: str) -> bool:
        value = data.get(key, False)
        if type(value) is not bool:
            raise ProtocolError(f"{where}: '{key}' must be true or false.")
        return value

    def ident(self, value: Any, where: str, what: str = "id") -> str:
        if type(value) is not str or len(value) > MAX_ID_LENGTH or not _ID_RE.fullmatch(value):
            raise ProtocolError(
                f"{where}: {what} {str(value)[:60]!r} must be lower-case words of letters, "
                "digits and '_' joined by dots (like victim.age_at_incident)."
            )
        if value in KEYWORDS:
            raise ProtocolError(f"{where}: {what} {value!r} is a reserved word.")
        return value

    def source(self, key: str, attr: str, data: dict[str, Any], where: str) -> None:
        value = data.get(attr)
        if value is None:
            return
        if type(value) is not str:
            raise ProtocolError(f"{where}: '{attr}' must be an expression written as text.")
        self.sources[(key, attr)] = value

    # -- sections and questions --

    def sections(self, value: Any) -> tuple[Section, ...]:
        if not isinstance(value, list) or not value:
            raise ProtocolError("protocol: 'sections' must be a non-empty list.")
        if len(value) > MAX_SECTIONS:
            raise ProtocolError(f"protocol: more than {MAX_SECTIONS} sections.")
        out: list[Section] = []
        seen: set[str] = set()
        for n, raw in enumerate(value, 1):
            if not isinstance(raw, dict):
                raise ProtocolError(f"section {n}: expected a mapping.")
            where = f"section {n}"
            self.keys(raw, _SECTION_KEYS, {"id", "title", "questions"}, where)
            sid = self.ident(raw["id"], where)
            where = f"section '{sid}'"
            if sid in seen:
                raise ProtocolError(f"{where}: the section id is used twice.")
            seen.add(sid)
            self.source(f"§{sid}", "relevant", raw, where)
            questions = self.question_list(raw["questions"], None, where, 0)
            out.append(Section(id=sid, title=self.labels(raw["title"], f"{where} title"),
                               questions=questions,
                               help=self.optional_labels(raw, "help", where)))
        return tuple(out)

    def question_list(self, value: Any, parent: str | None, where: str,
                      depth: int) -> tuple[Question, ...]:
        if not isinstance(value, list) or not value:
            raise ProtocolError(f"{where}: 'questions' must be a non-empty list.")
        out: list[Question] = []
        local: set[str] = set()
        for n, raw in enumerate(value, 1):
            q = self.question(raw, parent, f"{where}, question {n}", depth)
            if q.id in local:
                raise ProtocolError(f"question '{q.full_id}': the id is used twice.")
            local.add(q.id)
            out.append(q)
        return tuple(out)

    def question(self, raw: Any, parent: str | None, where: str, depth: int) -> Question:
        if not isinstance(raw, dict):
            raise ProtocolError(f"{where}: expected a mapping.")
        if "id" not in raw:
            raise ProtocolError(f"{where}: 'id' is missing.")
        qid = self.ident(raw["id"], where)
        full_id = f"{parent}.{qid}" if parent else qid
        where = f"question '{full_id}'"
        if full_id in self.full_ids:
            raise ProtocolError(f"{where}: the id is used twice.")
        self.full_ids.add(full_id)
        if len(self.full_ids) > MAX_QUESTIONS:
            raise ProtocolError(f"protocol: more than {MAX_QUESTIONS} questions.")
        kind = raw.get("type")
        if kind not in QUESTION_TYPES:
            raise ProtocolError(f"{where}: 'type' must be one of {_text_list(QUESTION_TYPES)}.")
        self.keys(raw, _COMMON_KEYS | _TYPE_KEYS.get(kind, frozenset()), {"label"}, where)
        self.source(full_id, "relevant", raw, where)
        self.source(full_id, "constraint", raw, where)
        if "constraint_message" in raw and "constraint" not in raw:
            raise ProtocolError(f"{where}: 'constraint_message' without a 'constraint'.")
        minimum, maximum = self.bound(raw, "min", where), self.bound(raw, "max", where)
        if minimum is not None and maximum is not None and minimum > maximum:
            raise ProtocolError(f"{where}: 'min' is greater than 'max'.")
        children: tuple[Question, ...] = ()
        if kind == "group":
            if depth >= MAX_GROUP_NESTING:
                raise ProtocolError(f"{where}: groups nested more than {MAX_GROUP_NESTING} deep.")
            if "questions" not in raw:
                raise ProtocolError(f"{where}: a group needs 'questions'.")
            children = self.question_list(raw["questions"], full_id, where, depth + 1)
        return Question(
            id=qid, type=kind, label=self.labels(raw["label"], f"{where} label"),
            help=self.optional_labels(raw, "help", where),
            required=self.flag(raw, "required", where),
            constraint_message=self.optional_labels(raw, "constraint_message", where),
            options=self.options(raw, kind, where), min=minimum, max=maximum,
            max_length=self.max_length(raw, where),
            protected=self.flag(raw, "protected", where), gazetteer=self.gazetteer(raw, where),
            item_label=self.optional_labels(raw, "item_label", where), questions=children,
            retired=self.flag(raw, "retired", where), full_id=full_id,
        )

    def bound(self, raw: dict[str, Any], key: str, where: str) -> int | float | None:
        value = raw.get(key)
        if value is None:
            return None
        if type(value) not in (int, float) or not math.isfinite(value):
            raise ProtocolError(f"{where}: '{key}' must be a number.")
        return value

    def max_length(self, raw: dict[str, Any], where: str) -> int | None:
        value = raw.get("max_length")
        if value is None:
            return None
        if type(value) is not int or not 1 <= value <= 1_000_000:
            raise ProtocolError(f"{where}: 'max_length' must be a whole number from 1 to "
                                "1000000.")
        return value

    def gazetteer(self, raw: dict[str, Any], where: str) -> str | None:
        value = raw.get("gazetteer")
        if value is None:
            return None
        if value not in GAZETTEERS:
            raise ProtocolError(f"{where}: 'gazetteer' must be one of {_text_list(GAZETTEERS)}.")
        return str(value)

    def options(self, raw: dict[str, Any], kind: str, where: str) -> tuple[Option, ...]:
        if kind not in ("choice", "multichoice"):
            return ()
        value = raw.get("options")
        if not isinstance(value, list) or not value:
            raise ProtocolError(f"{where}: a {kind} question needs a non-empty 'options' list.")
        if len(value) > MAX_OPTIONS:
            raise ProtocolError(f"{where}: more than {MAX_OPTIONS} options.")
        out: list[Option] = []
        seen: set[str] = set()
        for n, item in enumerate(value, 1):
            at = f"{where}, option {n}"
            if not isinstance(item, dict):
                raise ProtocolError(f"{at}: expected a mapping with 'value' and 'label'.")
            self.keys(item, {"value", "label"}, {"value", "label"}, at)
            v = item["value"]
            if type(v) is bool:
                raise ProtocolError(f"{at}: 'value' is read as true/false; put it in quotes "
                                    "(value: 'yes').")
            if (type(v) is not str or not v or len(v) > MAX_OPTION_LENGTH
                    or not v.isprintable()):
                raise ProtocolError(f"{at}: 'value' must be short text.")
            if v in seen:
                raise ProtocolError(f"{at}: the value {v!r} is used twice.")
            seen.add(v)
            out.append(Option(v, self.labels(item["label"], f"{at} label")))
        return tuple(out)

    # -- binding expressions, once every question is known --

    def expression(self, key: str, attr: str, chain: Sequence[Frame],
                   where: str) -> Expression | None:
        text = self.sources.get((key, attr))
        if text is None:
            return None
        try:
            return compile_expression(text, chain)
        except ProtocolError as exc:
            raise ProtocolError(f"{where} {attr}: {exc.message}") from None

    def finish(self, q: Question, chain: Sequence[Frame]) -> Question:
        where = f"question '{q.full_id}'"
        relevant = self.expression(q.full_id, "relevant", chain, where)
        constraint = self.expression(q.full_id, "constraint", chain, where)
        children = q.questions
        if q.type == "group":
            item = chain[-1].fields[q.id].item
            assert item is not None
            children = tuple(self.finish(c, [*chain, item]) for c in q.questions)
        return dataclasses.replace(q, relevant=relevant, constraint=constraint,
                                   questions=children)

    def red_flags(self, value: Any, frame: Frame) -> tuple[RedFlagRule, ...]:
        if value is None:
            return ()
        if not isinstance(value, list):
            raise ProtocolError("protocol: 'red_flags' must be a list.")
        if len(value) > MAX_RULES:
            raise ProtocolError(f"protocol: more than {MAX_RULES} red-flag rules.")
        out: list[RedFlagRule] = []
        seen: set[str] = set()
        for n, raw in enumerate(value, 1):
            where = f"red flag {n}"
            if not isinstance(raw, dict):
                raise ProtocolError(f"{where}: expected a mapping.")
            self.keys(raw, _RULE_KEYS, {"id", "when", "label"}, where)
            rid = self.ident(raw["id"], where)
            where = f"red flag '{rid}'"
            if rid in seen:
                raise ProtocolError(f"{where}: the id is used twice.")
            seen.add(rid)
            self.source(f"!{rid}", "when", raw, where)
            when = self.expression(f"!{rid}", "when", [frame], where)
            if when is None:
                raise ProtocolError(f"{where}: 'when' is missing.")
            labels: Labels = self.labels(raw["label"], f"{where} label")
            out.append(RedFlagRule(rid, when, labels, self.optional_labels(raw, "explain",
                                                                            where)))
        return tuple(out)
