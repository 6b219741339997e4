"""Printable blank forms, generated from the protocol so paper never drifts from the app.

`write_forms` makes one PDF: the informed-consent form (what is recorded, who may see it per
recipient category, how it is kept, how to withdraw, the consent questions, signatures), then
the blank interview: every section lettered, every question numbered, tick boxes for choices
and checklists, ruled lines sized for the answer, dates as __ . __ . ____, skip logic in words
taken from the `relevant` expressions, repeat groups as blank item blocks, the body diagram to
mark by hand, and signature lines. Field monitors transcribe it later (transcription mode).
"""

from __future__ import annotations

import functools
import json
import string
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from intake_app.errors import UsageError
from intake_app.paths import resources_dir
from intake_app.places.gazetteer import Gazetteer
from intake_app.progress import CancelToken, Progress
from intake_app.protocol.expr import Node
from intake_app.protocol.model import Protocol, Question, Section, pick_label
from intake_app.reports.bodymap_figure import draw_body_map
from intake_app.reports.pdf import PdfDocument
from intake_app.reports.skip_words import SkipWords, conjuncts, names_in, word

LANGS = ("en", "ru", "kk")
PARTS = ("consent", "interview")
SHARE_PREFIX = "consent.share."
TOP_GROUP_ITEMS = 3  # episodes, places of detention, witnesses, tasks
NESTED_GROUP_ITEMS = 2  # perpetrators inside an episode
INLINE_CHARS = 80  # options that fit on one line are printed side by side


@dataclass(frozen=True)
class FormsResult:
    pages: int
    sections: int
    questions: int


@functools.cache
def consent_text() -> Mapping[str, Any]:
    """The consent form's prose in en/ru/kk (resources/forms/consent.json)."""
    path = resources_dir() / "forms" / "consent.json"
    data: Mapping[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def section_letters(protocol: Protocol) -> dict[str, str]:
    """A, B, C … in protocol order (AA, AB … past Z)."""
    letters = string.ascii_uppercase
    out = {}
    for n, section in enumerate(protocol.sections):
        out[section.id] = letters[n] if n < 26 else letters[n // 26 - 1] + letters[n % 26]
    return out


def question_numbers(protocol: Protocol) -> dict[str, str]:
    """Full question id → its number on the form: "B.5", and "D.3.2" inside a group."""
    out: dict[str, str] = {}
    letters = section_letters(protocol)

    def number(questions: tuple[Question, ...], prefix: str) -> None:
        n = 0
        for q in questions:
            if q.retired:
                continue
            n += 1
            out[q.full_id] = f"{prefix}.{n}"
            if q.type == "group":
                number(q.questions, f"{prefix}.{n}")

    for section in protocol.sections:
        number(section.questions, letters[section.id])
    return out


def write_forms(
    protocol: Protocol,
    lang: str,
    out: Path,
    *,
    parts: tuple[str, ...] = PARTS,
    gazetteer: Gazetteer | None = None,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> FormsResult:
    """Write the blank consent and interview forms in `lang` to `out` (atomic, 0600)."""
    if lang not in LANGS:
        raise UsageError(f"Forms exist in {', '.join(LANGS)}; not in {lang!r}.")
    unknown = [p for p in parts if p not in PARTS]
    if unknown or not parts:
        raise UsageError(f"Form parts are {' and '.join(PARTS)}.")
    doc = PdfDocument(word("doc_title", lang), footer_text=word("case_code_footer", lang),
                      cancel=cancel)
    builder = _FormBuilder(protocol, lang, doc, gazetteer or Gazetteer.load())
    if "consent" in parts:
        builder.consent_form()
    if "interview" in parts:
        if "consent" in parts:
            doc.page_break()
        builder.interview_form(progress)
    doc.save(out)
    return FormsResult(doc.page_count, len(protocol.sections), len(builder.printed))


class _FormBuilder:
    def __init__(self, protocol: Protocol, lang: str, doc: PdfDocument,
                 gazetteer: Gazetteer) -> None:
        self.p = protocol
        self.lang = lang
        self.doc = doc
        self.gazetteer = gazetteer
        self.letters = section_letters(protocol)
        self.numbers = question_numbers(protocol)
        self.words = SkipWords(protocol, lang, self.numbers)
        self.goes_to = self._section_deciders()
        self.printed: set[str] = set()

    def pick(self, labels: Any) -> str:
        return pick_label(labels, self.lang)

    # -- consent -----------------------------------------------------------------------------
    def consent_form(self) -> None:
        text, doc = consent_text(), self.doc
        doc.heading(self.pick(text["title"]), 1)
        doc.paragraph(self.pick(text["intro"]))
        doc.heading(self.pick(text["recorded_title"]), 2)
        doc.paragraph(self.pick(text["recorded"]))
        doc.heading(self.pick(text["who_title"]), 2)
        doc.paragraph(self.pick(text["who_intro"]))
        for category, labels in text["categories"].items():
            doc.paragraph(f"• {self.pick(labels)}")
            q = self.p.question(SHARE_PREFIX + category)
            if q is not None:
                self._choice_boxes(q)
        doc.heading(self.pick(text["kept_title"]), 2)
        doc.paragraph(self.pick(text["kept"]))
        doc.heading(self.pick(text["withdraw_title"]), 2)
        doc.paragraph(self.pick(text["withdraw"]))
        doc.answer_lines(1, self.pick(text["contact_label"]))
        doc.heading(self.pick(text["choices_title"]), 2)
        for q in self.p.questions():
            if q.full_id.startswith("consent.") and not q.full_id.startswith(SHARE_PREFIX) \
                    and not q.retired:
                self.question(q, depth=0)
        date = word("date_label", self.lang)
        for key in ("sign_person", "sign_interviewer", "sign_interpreter"):
            doc.signature_line(self.pick(text[key]), date)
        doc.note(self.pick(text["oral_note"]))

    # -- interview ---------------------------------------------------------------------------
    def interview_form(self, progress: Progress | None) -> None:
        doc = self.doc
        doc.heading(self.pick(self.p.title), 1)
        doc.paragraph(word("form_title", self.lang), bold=True)
        doc.note(word("instructions", self.lang))
        total = len(self.p.sections)
        for n, section in enumerate(self.p.sections):
            if progress is not None:
                progress(n, total, section.id)
            self.section(section)
        doc.space(6)
        doc.signature_line(word("interviewer_sign", self.lang), word("date_label", self.lang))
        if progress is not None:
            progress(total, total, "")

    def section(self, section: Section) -> None:
        doc = self.doc
        doc.heading(f"{self.letters[section.id]}. {self.pick(section.title)}", 2)
        if section.relevant is not None:
            cond = self.words.render(section.relevant.tree)
            doc.paragraph(word("section_only_if", self.lang, cond=cond), bold=True)
        if section.help:
            doc.note(self.pick(section.help))
        for q in section.questions:
            if not q.retired:
                self.question(q, depth=0)

    def question(self, q: Question, depth: int, scope: str | None = None) -> None:
        self.printed.add(q.full_id)
        doc = self.doc
        number = self.numbers.get(q.full_id, "")
        label = f"{number} {self.pick(q.label)}".strip() + (" *" if q.required else "")
        kind = q.type
        if kind == "multichoice":
            label += f" ({word('tick_all', self.lang)})"
        doc.paragraph(label, bold=True)
        if q.relevant is not None:
            doc.note(word("question_only_if", self.lang,
                          cond=self.words.render(q.relevant.tree, scope)))
        if kind in ("choice", "multichoice", "yesno", "check"):
            self._choice_boxes(q)
        elif kind == "group":
            self.group(q, depth)
        else:
            self._written(q)
        for sentence in self.goes_to.get(q.full_id, ()):
            doc.note(sentence)

    def _choice_boxes(self, q: Question) -> None:
        doc = self.doc
        if q.type == "yesno":
            options = [word(v, self.lang) for v in ("yes", "no", "unknown")]
        elif q.type == "check":
            options = [word(v, self.lang) for v in ("done", "not_done", "unknown")]
        else:
            options = [self.pick(o.label) for o in q.options]
        if sum(len(t) + 6 for t in options) <= INLINE_CHARS:
            doc.paragraph("    ".join(f"☐ {t}" for t in options))
        else:
            doc.tick_boxes([(text, False) for text in options])
        if q.type == "check":
            doc.paragraph(word("check_when", self.lang))

    def _written(self, q: Question) -> None:
        doc, lang = self.doc, self.lang
        kind = q.type
        if kind == "date":
            doc.paragraph(f"__ . __ . ______    ({word('date_hint', lang)})")
        elif kind == "number":
            doc.paragraph(f"________  ({word('number_hint', lang)})")
        elif kind == "longtext":
            limit = q.max_length or 1_000_000
            doc.answer_lines(6 if limit <= 2000 else 8 if limit <= 4000 else 10)
        elif kind == "person":
            for field in word("person_fields", lang).split("|"):
                doc.paragraph(f"{field}: ______________________________________________")
        elif kind == "place":
            self._place(q)
        elif kind == "attachment":
            doc.note(word("attachment_hint", lang))
            doc.answer_lines(2)
        elif kind == "bodymap":
            doc.note(word("bodymap_hint", lang))
            draw_body_map(doc, lang)
            header = tuple(word("bodymap_columns", lang).split("|"))
            doc.table(header, [[str(n), "", "", "", ""] for n in range(1, 7)],
                      col_widths=(8, 18, 40, 34, 60))
        else:  # text, and any type a later version adds: a line to write on
            doc.answer_lines(1)

    def _place(self, q: Question) -> None:
        doc, lang = self.doc, self.lang
        if q.gazetteer == "detention_place":
            # Detention places by type: the gazetteer's types as boxes, the name written in.
            doc.note(word("detention_hint", lang))
            boxes = [(place.name(lang), False) for place in self.gazetteer.detention_types()]
            doc.tick_boxes(boxes + [(word("other", lang) + ": ____________________", False)])
            doc.answer_lines(1)
        else:
            doc.note(word("place_hint", lang))
            doc.answer_lines(1)

    def group(self, q: Question, depth: int) -> None:
        doc = self.doc
        items = TOP_GROUP_ITEMS if depth == 0 else NESTED_GROUP_ITEMS
        doc.note(word("items_note", self.lang, n=items))
        item_name = self.pick(q.item_label) or word("item", self.lang)
        for n in range(1, items + 1):
            doc.heading(f"{item_name} {n}", 3)
            for child in q.questions:
                if not child.retired:
                    self.question(child, depth + 1, scope=q.full_id)

    # -- skip instructions at the deciding question ------------------------------------------
    def _section_deciders(self) -> dict[str, list[str]]:
        """At each question a section's condition reads: "→ section F: only if …"."""
        by_question: dict[str, dict[str, list[str]]] = {}
        for section in self.p.sections:
            if section.relevant is None:
                continue
            for part in conjuncts(section.relevant.tree):
                cond = self.words.render(part)
                for name in dict.fromkeys(names_in(part)):
                    q = self.words.question_for(name, None)
                    if q is None:
                        continue
                    targets = by_question.setdefault(q.full_id, {}).setdefault(cond, [])
                    targets.append(self._section_ref(section, part))
        out: dict[str, list[str]] = {}
        for qid, conds in by_question.items():
            for cond, targets in conds.items():
                key = "section_word" if len(targets) == 1 else "sections_word"
                sections = f"{word(key, self.lang)} " + ", ".join(targets)
                out.setdefault(qid, []).append(
                    word("goes_to", self.lang, sections=sections, cond=cond))
        return out

    def _section_ref(self, section: Section, _part: Node) -> str:
        title = self.pick(section.title)
        return f"{self.letters[section.id]} «{title}»"
