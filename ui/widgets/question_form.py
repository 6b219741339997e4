"""Question rows and the widget factory: the protocol says what to draw, this draws it.

A `QuestionRow` is one question: its label and help in the interview language, the editor
for its type, an "unknown / declined" choice (a missing answer is not a "no") and the
problem text from the protocol's validation. Groups (episodes, places of detention) are
repeat editors whose items are rows built by the same factory.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ui.widgets.answer_editors import (
    SIMPLE_EDITORS,
    AnswerEditor,
    FormComboBox,
    Pick,
    PlaceEditor,
    Tr,
    qattr,
)

STATUS_VALUES = (None, "unknown", "declined")


@dataclass
class FormContext:
    """What editors need from outside: labels, places, and the attachment service."""

    pick: Pick
    tr: Tr
    gazetteer: Any = None  # intake_app.places.Gazetteer
    lang: str = "en"  # the interview language, for place names
    # attach(paths, done(list of attachment entries)) runs the import in a worker
    attach: Callable[[list[Path], Callable[[list[dict[str, Any]]], None]], None] | None = None
    # thumbnail(sha256, done(QImage or None)) reads the blob in a worker, in memory only
    thumbnail: Callable[[str, Callable[[object], None]], None] | None = None
    attachment_names: Callable[[str], str] | None = None


def build_editor(question: Any, ctx: FormContext, parent: QWidget | None = None) -> AnswerEditor:
    kind = qattr(question, "type")
    if kind == "group":
        return GroupEditor(question, ctx, parent)
    if kind == "bodymap":
        from ui.widgets.body_map import BodyMapEditor as BodyDiagramEditor  # front/back outlines

        return BodyDiagramEditor(question, ctx, parent)
    if kind == "place":
        return PlaceEditor(question, ctx.pick, ctx.tr, parent, gazetteer=ctx.gazetteer,
                           lang=ctx.lang)
    if kind == "attachment":
        from ui.widgets.attachment_editor import AttachmentEditor

        return AttachmentEditor(question, ctx, parent)
    editor_class = SIMPLE_EDITORS.get(kind)
    if editor_class is None:
        raise ValueError(f"no editor for question type {kind!r}")
    return editor_class(question, ctx.pick, ctx.tr, parent)


class QuestionRow(QWidget):
    changed = Signal(str)  # question id

    def __init__(self, question: Any, ctx: FormContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.question = question
        self.qid = str(qattr(question, "id"))
        self._ctx = ctx
        self.setObjectName(f"q:{self.qid}")
        self.label = QLabel(self)
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.setObjectName("questionLabel")
        self.help = QLabel(self)
        self.help.setWordWrap(True)
        self.help.setTextFormat(Qt.TextFormat.PlainText)
        self.help.setObjectName("questionHelp")
        self.editor = build_editor(question, ctx, self)
        self.editor.changed.connect(lambda: self.changed.emit(self.qid))
        self.status = FormComboBox(self)
        self.status.setObjectName("answerStatus")
        self.status.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.status.currentIndexChanged.connect(self._status_changed)
        self.problem = QLabel(self)
        self.problem.setWordWrap(True)
        self.problem.setTextFormat(Qt.TextFormat.PlainText)
        self.problem.setObjectName("problem")
        self.problem.setVisible(False)
        self.label.setBuddy(self.editor)

        head = QHBoxLayout()
        head.addWidget(self.label, 1)
        head.addWidget(self.status, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 6)
        layout.addLayout(head)
        layout.addWidget(self.help)
        layout.addWidget(self.editor)
        layout.addWidget(self.problem)
        self.relabel(ctx)

    def value(self) -> Any:
        status = STATUS_VALUES[max(self.status.currentIndex(), 0)]
        if status is not None:
            return {"status": status}
        return self.editor.value()

    def set_value(self, value: Any) -> None:
        marker = value.get("status") if isinstance(value, dict) and len(value) == 1 else None
        if marker in ("unknown", "declined") and qattr(self.question, "type") != "check":
            self._set_status(marker)
            self.editor.set_value(None)
        else:
            self._set_status(None)
            self.editor.set_value(value)

    def _set_status(self, status: str | None) -> None:
        self.status.blockSignals(True)
        self.status.setCurrentIndex(STATUS_VALUES.index(status))
        self.status.blockSignals(False)
        self.editor.setEnabled(status is None)

    def _status_changed(self, index: int) -> None:
        self.editor.setEnabled(STATUS_VALUES[max(index, 0)] is None)
        self.changed.emit(self.qid)

    def apply_item_visibility(self, ev: Any) -> None:
        """Skip logic inside repeat groups: each item shows its own relevant questions."""
        if not isinstance(self.editor, GroupEditor):
            return
        for item in self.editor.items:
            for row in item.rows:
                full_id = qattr(row.question, "full_id") or row.qid
                row.setVisible(ev.is_visible(full_id, item.item_id))
                row.apply_item_visibility(ev)

    def apply_item_problems(self, problems: Mapping[tuple[str, str | None], str]) -> None:
        """Problems inside repeat groups sit under the item's own field, like top-level ones
        (the engine keys them by the child's full id and the item's `_id`)."""
        if not isinstance(self.editor, GroupEditor):
            return
        for item in self.editor.items:
            for row in item.rows:
                full_id = qattr(row.question, "full_id") or row.qid
                row.set_problem(problems.get((full_id, item.item_id)))
                row.apply_item_problems(problems)

    def set_problem(self, text: str | None) -> None:
        self.problem.setText(text or "")
        self.problem.setVisible(bool(text))

    def relabel(self, ctx: FormContext) -> None:
        self._ctx = ctx
        text = ctx.pick(qattr(self.question, "label"))
        if qattr(self.question, "required", False):
            text += " *"
        self.label.setText(text)
        help_text = ctx.pick(qattr(self.question, "help")) if qattr(self.question, "help") else ""
        self.help.setText(help_text)
        self.help.setVisible(bool(help_text))
        self.editor.relabel(ctx.pick, ctx.tr)
        if isinstance(self.editor, PlaceEditor):
            self.editor.set_language(ctx.lang)
        self.editor.set_accessible(text)
        index = self.status.currentIndex()
        self.status.blockSignals(True)
        self.status.clear()
        self.status.addItems(
            [ctx.tr("answer.given"), ctx.tr("answer.unknown"), ctx.tr("answer.declined")])
        self.status.setToolTip(ctx.tr("interview.answer_status_help"))
        self.status.setCurrentIndex(max(index, 0))
        self.status.blockSignals(False)
        self.status.setAccessibleName(ctx.tr("interview.answer_status") + ": " + text)


class _GroupItem(QGroupBox):
    removeRequested = Signal(object)

    def __init__(self, questions: list[Any], ctx: FormContext, item_id: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.item_id = item_id
        layout = QVBoxLayout(self)
        self.rows = [QuestionRow(q, ctx, self) for q in questions
                     if not qattr(q, "retired", False)]
        for row in self.rows:
            layout.addWidget(row)
        self.remove_button = QPushButton(self)
        self.remove_button.setObjectName("removeItem")
        self.remove_button.clicked.connect(lambda: self.removeRequested.emit(self))
        layout.addWidget(self.remove_button, 0, Qt.AlignmentFlag.AlignRight)
        self._extra: dict[str, Any] = {}

    def value(self) -> dict[str, Any]:
        item: dict[str, Any] = dict(self._extra)  # keep answers this version does not show
        item["_id"] = self.item_id
        for row in self.rows:
            v = row.value()
            if v is None:
                item.pop(row.qid, None)
            else:
                item[row.qid] = v
        return item

    def set_value(self, item: dict[str, Any]) -> None:
        shown = {row.qid for row in self.rows}
        self._extra = {k: v for k, v in item.items() if k not in shown and k != "_id"}
        for row in self.rows:
            row.set_value(item.get(row.qid))


class GroupEditor(AnswerEditor):
    """A repeat group: items with a stable `_id` (merge is by `_id`), added and removed."""

    def __init__(self, question: Any, ctx: FormContext, parent: QWidget | None = None) -> None:
        super().__init__(question, ctx.pick, ctx.tr, parent)
        self._ctx = ctx
        self._questions = list(qattr(question, "questions", []) or [])
        self.items: list[_GroupItem] = []
        self._items_layout = QVBoxLayout()
        self.add_button = QPushButton(self)
        self.add_button.setObjectName("addItem")
        self.add_button.clicked.connect(self._add_clicked)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(self._items_layout)
        layout.addWidget(self.add_button, 0, Qt.AlignmentFlag.AlignLeft)
        self.relabel(ctx.pick, ctx.tr)

    def _add_clicked(self) -> None:
        item = self.add_item(str(uuid.uuid4()))
        if item.rows:
            item.rows[0].editor.setFocus()
        self.changed.emit()

    def add_item(self, item_id: str) -> _GroupItem:
        item = _GroupItem(self._questions, self._ctx, item_id, self)
        item.removeRequested.connect(self._remove)
        for row in item.rows:
            row.changed.connect(lambda _qid: self.changed.emit())
        self.items.append(item)
        self._items_layout.addWidget(item)
        self._title_items()
        return item

    def _remove(self, item: _GroupItem) -> None:
        self.items.remove(item)
        item.setParent(None)
        item.deleteLater()
        self._title_items()
        self.changed.emit()

    def value(self) -> Any:
        return [item.value() for item in self.items] or None

    def set_value(self, value: Any) -> None:
        for item in self.items:
            item.setParent(None)
            item.deleteLater()
        self.items = []
        for entry in value if isinstance(value, list) else []:
            if isinstance(entry, dict):
                item = self.add_item(str(entry.get("_id") or uuid.uuid4()))
                item.set_value(entry)

    def _title_items(self) -> None:
        name = self._pick(qattr(self.question, "item_label")) or self._tr("interview.item")
        for n, item in enumerate(self.items, start=1):
            item.setTitle(f"{name} {n}")
            item.remove_button.setText(self._tr("interview.remove_item"))
            item.remove_button.setAccessibleName(f"{self._tr('interview.remove_item')} {n}")

    def relabel(self, pick: Pick, tr: Tr) -> None:
        super().relabel(pick, tr)
        self._ctx.pick, self._ctx.tr = pick, tr
        name = pick(qattr(self.question, "item_label")) or tr("interview.item")
        self.add_button.setText(tr("interview.add_item", item=name))
        for item in self.items:
            for row in item.rows:
                row.relabel(self._ctx)
        self._title_items()


class BodyMapEditor(GroupEditor):
    """Injuries by body region: a repeat list of view, region, kind and note."""

    def __init__(self, question: Any, ctx: FormContext, parent: QWidget | None = None) -> None:
        super().__init__(question, ctx, parent)
        views = [{"value": "front", "label": {"en": "Front"}},
                 {"value": "back", "label": {"en": "Back"}}]
        self._questions = [
            {"id": "view", "type": "choice", "label": {"en": ""}, "options": views},
            {"id": "region", "type": "text", "label": {"en": ""}},
            {"id": "kind", "type": "text", "label": {"en": ""}},
            {"id": "note", "type": "text", "label": {"en": ""}},
        ]
        self.relabel(ctx.pick, ctx.tr)

    def relabel(self, pick: Pick, tr: Tr) -> None:
        questions = getattr(self, "_questions", [])
        for q in questions:
            if isinstance(q, dict):
                q["label"] = {"en": tr(f"bodymap.{q['id']}")}
                for option in q.get("options", []):
                    option["label"] = {"en": tr(f"bodymap.{option['value']}")}
        super().relabel(pick, tr)
