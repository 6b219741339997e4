"""The protocol as frozen data: sections, questions, options, red-flag rules.

Objects compare by identity (eq=False): a protocol is loaded once per content hash and shared.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from intake_app.protocol.expr import Expression

if TYPE_CHECKING:
    from intake_app.protocol.engine import Evaluation, Plan, Problem

Labels = Mapping[str, str]

QUESTION_TYPES = frozenset({
    "text", "longtext", "date", "number", "choice", "multichoice", "yesno", "check",
    "person", "attachment", "place", "bodymap", "group",
})
GAZETTEERS = frozenset({"city", "region", "detention_place"})
DEFAULT_MAX_LENGTH = {"text": 10_000, "longtext": 1_000_000}


def pick_label(labels: Labels | None, lang: str) -> str:
    """The text for `lang`, falling back to English, then to any language given."""
    if not labels:
        return ""
    return labels.get(lang) or labels.get("en") or next(iter(labels.values()), "")


@dataclass(frozen=True, eq=False)
class Option:
    value: str
    label: Labels


@dataclass(frozen=True, eq=False)
class Question:
    id: str  # as written in the file: global, or relative inside a group
    type: str
    label: Labels
    help: Labels | None = None
    required: bool = False
    relevant: Expression | None = None
    constraint: Expression | None = None
    constraint_message: Labels | None = None
    options: tuple[Option, ...] = ()
    min: int | float | None = None
    max: int | float | None = None
    max_length: int | None = None
    protected: bool = False
    gazetteer: str | None = None
    item_label: Labels | None = None
    questions: tuple[Question, ...] = ()
    retired: bool = False
    full_id: str = ""  # "group.child" for a question inside a group, else == id

    def option(self, value: Any) -> Option | None:
        for option in self.options:
            if option.value == value:
                return option
        return None

    def child(self, relative_id: str) -> Question | None:
        for question in self.questions:
            if question.id == relative_id:
                return question
        return None


@dataclass(frozen=True, eq=False)
class Section:
    id: str
    title: Labels
    questions: tuple[Question, ...]
    help: Labels | None = None
    relevant: Expression | None = None


@dataclass(frozen=True, eq=False)
class RedFlagRule:
    id: str
    when: Expression
    label: Labels
    explain: Labels | None = None


@dataclass(frozen=True, eq=False)
class Protocol:
    """One version of an interview protocol, with its skip logic, checks and red flags."""

    id: str
    version: int
    title: Labels
    sections: tuple[Section, ...]
    red_flag_rules: tuple[RedFlagRule, ...]
    sha256: str
    format: int = 1
    _index: Mapping[str, Question] = field(default_factory=dict, repr=False)
    _all: Mapping[str, Question] = field(default_factory=dict, repr=False)
    _section_of: Mapping[str, str] = field(default_factory=dict, repr=False)
    _plan: Plan | None = field(default=None, repr=False)

    def question(self, full_id: str) -> Question | None:
        """A question by full id ("victim.sex", or "episodes.place" inside a group)."""
        return self._all.get(full_id)

    def questions(self) -> Iterator[Question]:
        """Every question in protocol order, group children right after their group."""
        return iter(self._all.values())

    def top_level(self) -> Mapping[str, Question]:
        """Questions that are keys of the answers dict, by id."""
        return self._index

    def protected_ids(self) -> frozenset[str]:
        """Full ids of identifying questions (and of every child of a protected group)."""
        out: set[str] = set()
        for q in self._all.values():
            if q.protected:
                out.add(q.full_id)
                out.update(d.full_id for d in _descendants(q))
        return frozenset(out)

    def section_of(self, question_id: str) -> str | None:
        return self._section_of.get(question_id)

    def label(self, obj: Any, lang: str = "en") -> str:
        """{en, ru, kk} (or an object with .label / .title) → text, English as fallback."""
        if isinstance(obj, Mapping):
            return pick_label(obj, lang)
        labels = getattr(obj, "label", None)
        if labels is None:
            labels = getattr(obj, "title", None)
        return pick_label(labels, lang) if isinstance(labels, Mapping) else ""

    def evaluate(self, answers: Any) -> Evaluation:
        """Skip logic, missing answers, problems, red flags and completeness of a record."""
        from intake_app.protocol.engine import evaluate

        return evaluate(self, answers)

    def validate(self, answers: Any) -> list[Problem]:
        """Every problem with the answers: unknown ids, types, dates, ranges, constraints."""
        return self.evaluate(answers).problems

    def red_flags(self, answers: Any) -> list[str]:
        """Ids of the red-flag rules that hold, in protocol order."""
        return self.evaluate(answers).red_flags


def _descendants(q: Question) -> Iterator[Question]:
    for child in q.questions:
        yield child
        yield from _descendants(child)
