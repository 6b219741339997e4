"""The case dossier: a PDF summary of one case for a lawyer, in the order of an Istanbul
Protocol report.

Order: background (the interview and consent, the person, the incident and detention), the
allegations in the person's words, each episode (place, date, methods, injuries,
perpetrators first), the examinations (FME and FPPE checklists with dates, medical care in
custody), legal representation, complaint and investigation, protection, red flags,
follow-up tasks, other evidence, the attachments with SHA-256 and size, and the record
itself (revision id, author device fingerprint, time of generation).

Answers are written in the chosen language (option labels from the protocol, place names from
the gazetteer); only answers the protocol shows for this record appear (skip logic), so a
minors' section left behind after an age correction does not. Text goes to the PDF as
typed: `PdfDocument` shows controls and direction overrides as visible tokens.

The PDF is plaintext outside the vault: callers warn the user (CLI: stderr; GUI: a dialog).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from intake_app.cases import graph
from intake_app.cases.queries import CaseRecord
from intake_app.errors import IntakeError
from intake_app.field.bodymap import body_map
from intake_app.places import Gazetteer, canonical_place
from intake_app.progress import CancelToken, check
from intake_app.protocol.engine import Evaluation
from intake_app.protocol.model import Protocol, Question, pick_label
from intake_app.protocol.values import display_value, is_answered
from intake_app.reports.bodymap_figure import draw_body_map
from intake_app.reports.dossier_text import TEXT, text
from intake_app.reports.pdf import PdfDocument

LANGS = ("ru", "kk", "en")
# Where each protocol section goes, in Istanbul Protocol order.
PARTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("background", ("session", "person", "detention")),
    ("allegations", ()),
    ("episodes", ()),
    ("examinations", ("fme", "fppe", "custody_medical")),
    ("legal", ("lawyer", "minor")),
    ("complaint", ("complaint",)),
    ("protection", ("protection",)),
)
# Shown in their own parts, not in their section's list of answers.
OWN_PART = frozenset({"incident.narrative", "episodes", "evidence.followup", "detention.places"})
# Question labels are whole questions ("Did anyone hit you?"): give them room.
KEY_SHARE = 0.42
EPISODE_FIRST = ("place", "date", "methods", "injuries", "perpetrators")


class CaseRetracted(IntakeError):
    """The person withdrew the case: nothing of it may be printed."""


@dataclass(frozen=True)
class DossierSource:
    """Everything a dossier shows, read from the vault before the PDF is built."""

    record: CaseRecord
    protocol: Protocol
    primary_revision: str
    author: str  # fingerprint of the device that made the revision shown


def load_source(store: Any, case_id: str) -> DossierSource:
    """Read the case for a dossier; CaseRetracted for a withdrawn case, NotFound if absent."""
    record = store.get(case_id)
    if record.retracted:
        raise CaseRetracted(
            "This case was retracted: the person withdrew it, so no dossier can be made."
        )
    heads = [store.revision(h) for h in record.heads]
    primary = graph.primary_head(heads)
    protocol = store.protocol_of(record)
    if protocol is None:
        raise IntakeError(
            "This case was recorded under a protocol version this vault does not hold; "
            "import that protocol before printing a dossier."
        )
    return DossierSource(record, protocol, primary.id, primary.author)


def display_fingerprint(fingerprint: str) -> str:
    return " ".join(fingerprint[i : i + 4] for i in range(0, len(fingerprint), 4))


def grouped_hash(hex_digest: str) -> str:
    """A SHA-256 in groups of 8 (breaks at spaces in a narrow column; easy to compare)."""
    return " ".join(hex_digest[i : i + 8] for i in range(0, len(hex_digest), 8))


def _size(n: int, lang: str) -> str:
    return f"{n:,}".replace(",", "\u202f") + " " + text("bytes", lang)


class _Writer:
    """Builds the dossier into a PdfDocument, block by block."""

    def __init__(self, src: DossierSource, lang: str, g: Gazetteer, doc: PdfDocument,
                 cancel: CancelToken | None) -> None:  # fmt: skip
        self.src = src
        self.p = src.protocol
        self.answers = src.record.answers
        self.lang = lang
        self.g = g
        self.doc = doc
        self.cancel = cancel
        self.ev: Evaluation = self.p.evaluate(self.answers)
        self.names = {
            a["sha256"]: a.get("name") or a["sha256"][:12] for a in src.record.attachments
        }

    # -- values ------------------------------------------------------------------------

    def label(self, q: Question) -> str:
        return pick_label(q.label, self.lang) or q.id

    def places(self, place_id: str, lang: str) -> str | None:
        return self.g.name(place_id, lang)

    def value(self, q: Question, value: Any) -> str:
        if q.type == "attachment" and isinstance(value, list):
            return "\n".join(str(self.names.get(sha, sha)) for sha in value)
        if q.type == "bodymap" and isinstance(value, list):
            marks = [m for m in value if isinstance(m, Mapping)]
            return "\n".join(f"{n}. {self._mark(m)}" for n, m in enumerate(marks, 1))
        if q.type == "group" and isinstance(value, list):
            return "\n".join(self._nested(q, i, item) for i, item in enumerate(value, 1)
                             if isinstance(item, Mapping))  # fmt: skip
        if q.type == "place" and isinstance(value, Mapping) and isinstance(value.get("text"), str):
            # Typed text that names a gazetteer place: its name in the dossier's language,
            # with the words as typed beside it (they are the record).
            place_id, name = canonical_place(value, self.lang, self.g)
            typed = value["text"]
            if place_id is not None and name != typed:
                return f"{name} ({typed})"
        return display_value(q, value, self.lang, self.places)

    def _mark(self, mark: Mapping[str, Any]) -> str:
        # Region, kind and view names from the body diagram data (helper-13); numbered as
        # on the drawn outline (draw_body_map numbers marks in the same order).
        bm = body_map()
        parts = [name for name in (bm.view_name(mark.get("view"), self.lang),
                                   bm.region_name(mark.get("region"), self.lang),
                                   bm.kind_name(mark.get("kind"), self.lang)) if name]
        note = mark.get("note")
        return ", ".join(parts) + (f" ({note})" if isinstance(note, str) and note else "")

    def _nested(self, group: Question, number: int, item: Mapping[str, Any]) -> str:
        name = pick_label(group.item_label, self.lang) if group.item_label else self.label(group)
        lines = [f"{name} {number}:"]
        for child in group.questions:
            child_value = item.get(child.id)
            if is_answered(child_value):
                lines.append(f"  {self.label(child)}: {self.value(child, child_value)}")
        return "\n".join(lines)

    # -- blocks ------------------------------------------------------------------------

    def rows(self, questions: Iterable[Question]) -> list[tuple[str, str]]:
        out = []
        for q in questions:
            value = self.answers.get(q.id)
            if q.full_id in OWN_PART or not is_answered(value):
                continue
            if not q.retired and q.id not in self.ev.visible:
                continue  # hidden by skip logic: an answer left behind, not part of the case
            out.append((self.label(q), self.value(q, value)))
        return out

    def section(self, section_id: str) -> bool:
        """The section's answers under its title; False when it has none to show."""
        section = next((s for s in self.p.sections if s.id == section_id), None)
        rows = self.rows(section.questions) if section is not None else []
        if section is None or not rows:
            return False
        check(self.cancel)
        self.doc.heading(pick_label(section.title, self.lang), 2)
        self.doc.key_values(rows, KEY_SHARE)
        return True

    def group_items(self, group_id: str) -> list[Mapping[str, Any]]:
        value = self.answers.get(group_id)
        if group_id not in self.ev.visible or not isinstance(value, list):
            return []
        return [item for item in value if isinstance(item, Mapping)]

    def item_rows(self, group: Question, item: Mapping[str, Any],
                  first: Sequence[str] = ()) -> list[tuple[str, str]]:  # fmt: skip
        ordered = [group.child(c) for c in first] + list(group.questions)
        seen: set[str] = set()
        rows = []
        item_id = item.get("_id") if isinstance(item.get("_id"), str) else None
        for child in ordered:
            if child is None or child.id in seen:
                continue
            seen.add(child.id)
            value = item.get(child.id)
            if not is_answered(value):
                continue
            if item_id is not None and not self.ev.is_visible(child.full_id, item_id):
                continue
            rows.append((self.label(child), self.value(child, value)))
        return rows


def _header(w: _Writer) -> None:
    lang, rec, doc = w.lang, w.src.record, w.doc
    doc.heading(text("title", lang), 1)
    doc.note(text("confidential", lang))
    pseudonym = rec.answers.get("victim.pseudonym")
    doc.key_values([
        (text("pseudonym", lang), pseudonym if isinstance(pseudonym, str) else "—"),
        (text("case_id", lang), rec.id),
    ], KEY_SHARE)  # fmt: skip
    if rec.conflict:
        doc.note(text("conflict", lang).format(n=len(rec.heads), rev=w.src.primary_revision))


def _background(w: _Writer, sections: Sequence[str]) -> None:
    for section_id in sections:
        w.section(section_id)
        if section_id == "detention" and w.group_items("detention.places"):
            group = w.p.question("detention.places")
            for number, item in enumerate(w.group_items("detention.places"), 1):
                assert group is not None
                w.doc.heading(f"{pick_label(group.item_label, w.lang)} {number}", 3)
                w.doc.key_values(w.item_rows(group, item), KEY_SHARE)


def _allegations(w: _Writer) -> None:
    narrative = w.answers.get("incident.narrative")
    if isinstance(narrative, str) and narrative.strip():
        w.doc.paragraph(narrative)
    else:
        w.doc.note(text("none_recorded", w.lang))


def _episodes(w: _Writer) -> None:
    group = w.p.question("episodes")
    items = w.group_items("episodes")
    if group is None or not items:
        w.doc.note(text("none_recorded", w.lang))
        return
    for number, item in enumerate(items, 1):
        check(w.cancel)
        w.doc.heading(f"{pick_label(group.item_label, w.lang)} {number}", 3)
        w.doc.key_values(w.item_rows(group, item, EPISODE_FIRST), KEY_SHARE)
        marks = item.get("injury_map")
        if isinstance(marks, list) and any(isinstance(m, Mapping) for m in marks):
            draw_body_map(w.doc, w.lang, marks)  # the numbered marks on the outlines


def _red_flags(w: _Writer) -> None:
    rules = {r.id: r for r in w.p.red_flag_rules}
    flags = w.src.record.red_flags
    if not flags:
        w.doc.note(text("no_red_flags", w.lang))
        return
    for flag in flags:
        rule = rules.get(flag)
        if rule is None:
            w.doc.paragraph(f"• {flag}")
            continue
        w.doc.paragraph(f"• {pick_label(rule.label, w.lang)}", bold=True)
        if rule.explain:
            w.doc.note(pick_label(rule.explain, w.lang))


def _followup(w: _Writer) -> None:
    group = w.p.question("evidence.followup")
    items = w.group_items("evidence.followup")
    if group is None or not items:
        return
    w.doc.heading(text("followup", w.lang), 1)
    columns = [group.child(c) for c in ("task", "due", "state", "closed_on", "note")]
    header = [w.label(c) if c is not None else "" for c in columns]
    rows = []
    for item in items:
        rows.append([w.value(c, item.get(c.id)) if c is not None else "" for c in columns])
    w.doc.table(header, rows, col_widths=(30, 18, 20, 26, 36))


def _attachments(w: _Writer) -> None:
    lang = w.lang
    w.doc.heading(text("attachments", lang), 1)
    items = w.src.record.attachments
    if not items:
        w.doc.note(text("no_attachments", lang))
        return
    header = ["#", text("att_name", lang), text("att_type", lang), text("att_size", lang),
              "SHA-256"]  # fmt: skip
    rows = [
        [str(i), str(a.get("name") or ""), str(a.get("media_type") or ""),
         _size(int(a.get("size") or 0), lang), grouped_hash(str(a["sha256"]))]
        for i, a in enumerate(items, 1)
    ]  # fmt: skip
    w.doc.table(header, rows, col_widths=(5, 38, 22, 22, 60))


def _record(w: _Writer, generated_at: datetime) -> None:
    lang, src = w.lang, w.src
    w.doc.heading(text("record", lang), 1)
    w.doc.key_values([
        (text("revision", lang), grouped_hash(src.primary_revision)),
        (text("author", lang), display_fingerprint(src.author)),
        (text("protocol", lang), f"{src.protocol.id} v{src.protocol.version}"),
        (text("revisions", lang), str(len(src.record.revisions))),
        (text("generated", lang), generated_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")),
    ], KEY_SHARE)  # fmt: skip


def build_dossier(
    src: DossierSource,
    lang: str = "ru",
    *,
    gazetteer: Gazetteer | None = None,
    generated_at: datetime | None = None,
    cancel: CancelToken | None = None,
) -> PdfDocument:
    """The dossier of one case as a PdfDocument (call `.save(path)` to write it)."""
    if lang not in LANGS:
        raise IntakeError(f"No dossier language {lang!r}; choose ru, kk or en.")
    g = gazetteer or Gazetteer.load()
    doc = PdfDocument(text("title", lang), footer_text=text("footer", lang), cancel=cancel)
    w = _Writer(src, lang, g, doc, cancel)
    _header(w)
    parts: dict[str, Callable[[], None]] = {
        "allegations": lambda: _allegations(w),
        "episodes": lambda: _episodes(w),
    }
    for part, sections in PARTS:
        check(cancel)
        doc.heading(text(part, lang), 1)
        if part in parts:
            parts[part]()
        elif part == "background":
            _background(w, sections)
        elif not [shown for shown in map(w.section, sections) if shown]:
            doc.note(text("none_recorded", lang))
    doc.heading(text("red_flags", lang), 1)
    _red_flags(w)
    _followup(w)
    evidence = w.rows(next((s.questions for s in w.p.sections if s.id == "evidence"), ()))
    if evidence:
        doc.heading(text("evidence", lang), 1)
        doc.key_values(evidence, KEY_SHARE)
    _attachments(w)
    _record(w, generated_at or datetime.now(UTC))
    return doc


def write_dossier(
    store: Any,
    case_id: str,
    out: Path,
    lang: str = "ru",
    *,
    generated_at: datetime | None = None,
    cancel: CancelToken | None = None,
) -> int:
    """Write the case's dossier to exactly `out` (atomic, 0600); returns the page count."""
    doc = build_dossier(load_source(store, case_id), lang, generated_at=generated_at,
                        cancel=cancel)  # fmt: skip
    doc.save(out)
    return doc.page_count


__all__ = ["TEXT", "CaseRetracted", "DossierSource", "build_dossier", "load_source",
           "write_dossier"]  # fmt: skip
