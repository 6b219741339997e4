"""A case in conflict: its heads side by side, answer by answer, and the resolution.

Two people edited the same case apart; import kept both versions (no edit is dropped). Here
a person sees every answer of every head, with the answers that differ highlighted and
labelled from the case's own protocol in the interview language, chooses per answer (click,
Enter or Space on a cell) or takes one side whole, and resolving writes one revision whose
parents are all the heads (CaseStore.resolve). Every differing answer must be chosen
explicitly before resolving: nothing is decided silently.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QFont, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from intake_app.canonical import canonical_json
from intake_app.cases import attachments as blobs
from intake_app.errors import IntakeError
from intake_app.protocol.values import display_value
from intake_app.reports.text_safety import visible
from ui import bundle_services as services
from ui import dialogs
from ui.i18n import Translator
from ui.session import Session
from ui.windows.vault_screen import wrapping_label
from ui.workers import Task, TaskRunner

log = logging.getLogger(__name__)

DIFFERS = QColor("#fbeed5")
CHOSEN = QColor("#d7ecdc")
CHOSEN_MARK = "✔ "
MAX_CELL_CHARS = 2000  # a cell shows the start of a very long answer; the answer stays whole
HEAD_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def letter(index: int) -> str:
    return HEAD_LETTERS[index] if index < len(HEAD_LETTERS) else str(index + 1)


def _same(a: Any, b: Any) -> bool:
    """Exact equality of two answers (1 and 1.0, true and 1 differ)."""
    return canonical_json(a) == canonical_json(b)


class ChoiceTable(QTableWidget):
    """Space (as well as Enter and a click) chooses the current cell's version."""

    chooseCurrent = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt API
        if event.key() in (Qt.Key.Key_Space, Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.chooseCurrent.emit()
            return
        super().keyPressEvent(event)


class ConflictView(QWidget):
    closed = Signal()
    resolved = Signal(str, str)  # case id, the resolving revision id

    def __init__(self, translator: Translator, session: Session, runner: TaskRunner,
                 gazetteer: Any = None, parent: QWidget | None = None) -> None:  # fmt: skip
        super().__init__(parent)
        self.setObjectName("conflictView")
        self._t = translator
        self._session = session
        self._runner = runner
        self._gazetteer = gazetteer
        self.case_id: str | None = None
        self.heads: list[Any] = []  # Revision, oldest first
        self.keys: list[str] = []
        self.differing: list[str] = []
        self.choices: dict[str, int] = {}  # answer id -> head index
        self._protocol: Any = None
        self.task: Task | None = None
        self._build()
        translator.languageChanged.connect(self.retranslate)
        translator.interviewLanguageChanged.connect(lambda _l: self._fill())
        self.retranslate()

    def _build(self) -> None:
        self._title = wrapping_label(self, "screenTitle")
        self.back_button = QPushButton(self)
        self.back_button.setObjectName("closeConflict")
        self.back_button.clicked.connect(self._close)
        top = QHBoxLayout()
        top.addWidget(self.back_button)
        top.addWidget(self._title, 1)
        self.explain = wrapping_label(self, "note")
        self.only_differences = QCheckBox(self)
        self.only_differences.setObjectName("onlyDifferences")
        self.only_differences.toggled.connect(lambda _c: self._apply_filter())
        self.table = ChoiceTable(self)
        self.table.setObjectName("conflictTable")
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(True)
        self.table.verticalHeader().setVisible(False)
        self.table.cellClicked.connect(self.choose)
        self.table.chooseCurrent.connect(
            lambda: self.choose(self.table.currentRow(), self.table.currentColumn()))
        self.take_row = QHBoxLayout()
        self.take_buttons: list[QPushButton] = []
        self.status = wrapping_label(self, "status")
        self.resolve_button = QPushButton(self)
        self.resolve_button.setObjectName("resolveConflict")
        self.resolve_button.clicked.connect(self.resolve)
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.resolve_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.explain)
        layout.addWidget(self.only_differences)
        layout.addWidget(self.table, 1)
        layout.addLayout(self.take_row)
        layout.addLayout(bottom)

    # -- loading ----------------------------------------------------------------------------
    def show_case(self, case_id: str) -> bool:
        """Load the case's heads; False (and a message) when it is not in conflict."""
        store = self._session.cases
        record = store.get(case_id)
        if not record.conflict or len(record.heads) < 2:
            dialogs.info(self, self._t.tr("conflict.title"), self._t.tr("conflict.none"))
            return False
        self.case_id = case_id
        self.heads = sorted((store.revision(h) for h in record.heads),
                            key=lambda r: (r.created_at, r.id))
        self._protocol = store.protocol_of(record) or self._session.protocol
        self.keys = self._ordered_keys()
        self.differing = [k for k in self.keys if not all(
            _same(self._answer(0, k), self._answer(i, k)) for i in range(len(self.heads)))]
        self.choices = {}
        self._make_take_buttons()
        self._fill()
        self.table.setFocus()
        return True

    def _answer(self, head: int, key: str) -> Any:
        return self.heads[head].answers.get(key)

    def _ordered_keys(self) -> list[str]:
        present = {k for head in self.heads for k in head.answers}
        ordered = [k for k in self._protocol.top_level() if k in present]
        return ordered + sorted(present - set(ordered))

    def _make_take_buttons(self) -> None:
        for button in self.take_buttons:
            self.take_row.removeWidget(button)
            button.deleteLater()
        self.take_buttons = []
        for index in range(len(self.heads)):
            button = QPushButton(self)
            button.setObjectName(f"takeVersion{letter(index)}")
            button.clicked.connect(lambda _c=False, i=index: self.take_all(i))
            self.take_row.addWidget(button)
            self.take_buttons.append(button)
        self.take_row.addStretch(0)
        self._label_take_buttons()

    def _head_title(self, index: int) -> str:
        t = self._t
        head = self.heads[index]
        if head.author == self._session.vault.identity.fingerprint:
            who = t.tr("history.this_device")
        else:
            name = services.contact_name(self._session, head.author)
            who = visible(name, single_line=True) if name else head.author[:8]
        when = head.created_at[:16].replace("T", " ") + " UTC"
        return t.tr("conflict.version", letter=letter(index), who=who, when=when)

    def _label(self, key: str) -> str:
        question = self._protocol.question(key)
        if question is None:
            return key
        return self._t.pick(question.label) or key

    def _value_text(self, key: str, value: Any) -> str:
        if value is None:
            return self._t.tr("conflict.no_answer")
        lang = self._t.interview_language
        question = self._protocol.question(key)
        if question is None:
            text = canonical_json(value).decode("utf-8")
        elif question.type == "group" and isinstance(value, list):
            text = self._group_text(question, value, lang)
        else:
            text = display_value(question, value, lang, self._place_name)
        text = visible(text)
        if len(text) > MAX_CELL_CHARS:
            text = text[:MAX_CELL_CHARS] + "…"
        return text

    def _group_text(self, question: Any, items: list[Any], lang: str) -> str:
        lines: list[str] = []
        for number, item in enumerate(items, 1):
            lines.append(f"{self._t.pick(question.item_label) or '#'} {number}")
            if not isinstance(item, dict):
                continue
            for child in question.questions:
                if child.id in item:
                    shown = display_value(child, item[child.id], lang, self._place_name)
                    lines.append(f"  {self._t.pick(child.label)}: {shown}")
        return "\n".join(lines)

    def _place_name(self, place_id: str, lang: str) -> str:
        if self._gazetteer is None:
            return place_id
        return str(self._gazetteer.name(place_id, lang))

    # -- showing ----------------------------------------------------------------------------
    def _fill(self) -> None:
        if self.case_id is None:
            return
        t = self._t
        self.table.clear()
        self.table.setColumnCount(1 + len(self.heads))
        self.table.setRowCount(len(self.keys))
        self.table.setHorizontalHeaderLabels(
            [t.tr("conflict.question")] + [self._head_title(i) for i in range(len(self.heads))])
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        self.table.setColumnWidth(0, 260)
        for column in range(1, 1 + len(self.heads)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
        for row, key in enumerate(self.keys):
            differs = key in self.differing
            label = QTableWidgetItem(self._label(key))
            label.setToolTip(key)
            label.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
            if differs:
                label.setBackground(DIFFERS)
                font = label.font()
                font.setBold(True)
                label.setFont(font)
            self.table.setItem(row, 0, label)
            for index in range(len(self.heads)):
                self.table.setItem(row, index + 1, QTableWidgetItem())
            self._paint_row(row)
        self.table.resizeRowsToContents()
        self._apply_filter()
        self._update()

    def _paint_row(self, row: int) -> None:
        key = self.keys[row]
        differs = key in self.differing
        chosen = self.choices.get(key)
        for index in range(len(self.heads)):
            item = self.table.item(row, index + 1)
            if item is None:  # cells are created with the table; none missing, but say so
                continue
            text = self._value_text(key, self._answer(index, key))
            is_chosen = differs and chosen == index
            item.setText((CHOSEN_MARK if is_chosen else "") + text)
            font = QFont(item.font())
            font.setBold(is_chosen)
            item.setFont(font)
            if is_chosen:
                item.setBackground(CHOSEN)
                item.setData(Qt.ItemDataRole.AccessibleDescriptionRole,
                             self._t.tr("conflict.chosen"))
            elif differs:
                item.setBackground(DIFFERS)
                item.setData(Qt.ItemDataRole.AccessibleDescriptionRole,
                             self._t.tr("conflict.differs"))
            else:
                item.setBackground(QColor(Qt.GlobalColor.transparent))
                item.setData(Qt.ItemDataRole.AccessibleDescriptionRole,
                             self._t.tr("conflict.same"))

    def _apply_filter(self) -> None:
        only = self.only_differences.isChecked()
        for row, key in enumerate(self.keys):
            self.table.setRowHidden(row, only and key not in self.differing)

    def _update(self) -> None:
        done = sum(1 for k in self.differing if k in self.choices)
        total = len(self.differing)
        self.status.setText(self._t.tr("conflict.progress", done=done, total=total))
        self.resolve_button.setEnabled(self.case_id is not None and done == total
                                       and self.task is None)

    # -- choosing ---------------------------------------------------------------------------
    def choose(self, row: int, column: int) -> None:
        """Take the answer in (row, column) — column 1 is the first head."""
        if not 0 <= row < len(self.keys) or not 1 <= column <= len(self.heads):
            return
        key = self.keys[row]
        if key not in self.differing:
            return
        self.choices[key] = column - 1
        self._paint_row(row)
        self._update()

    def take_all(self, index: int) -> None:
        for key in self.differing:
            self.choices[key] = index
        for row in range(len(self.keys)):
            self._paint_row(row)
        self._update()

    def resolved_answers(self) -> dict[str, Any]:
        """The answers of the resolving revision: each differing answer as chosen (absent
        when the chosen version has none), the others as every head has them."""
        answers: dict[str, Any] = {}
        for key in self.keys:
            index = self.choices.get(key, 0)
            value = self.heads[index].answers.get(key)
            if key in self.heads[index].answers:
                answers[key] = value
        return answers

    def resolve(self) -> None:
        case_id = self.case_id
        if case_id is None or self.task is not None or \
                any(k not in self.choices for k in self.differing):
            return
        sides = {self.choices[k] for k in self.differing}
        # One side taken whole keeps that version exactly, attachments included; a mix keeps
        # every head's attachments, so no photo or scan drops out of the record.
        take: str | dict[str, Any] = (self.heads[sides.pop()].id if len(sides) == 1
                                      else self.resolved_answers())  # fmt: skip
        store = self._session.cases
        shown = [h.id for h in self.heads]
        heads = list(reversed(self.heads))  # latest first: its entries win on a shared hash

        def work(_progress: Any, _cancel: Any) -> str:
            if isinstance(take, str):
                return str(store.resolve(case_id, take, expected_heads=shown))
            conn = store.vault.conn
            kept: dict[str, dict[str, Any]] = {}
            for head in heads:
                for entry in head.attachments:
                    if entry["sha256"] not in kept and blobs.blob_info(conn, entry["sha256"]):
                        kept[entry["sha256"]] = entry
            return str(store.resolve(case_id, take, attachments=list(kept.values()),
                                     expected_heads=shown))  # fmt: skip

        self.task = self._runner.start(work, on_success=self._resolved, on_failure=self._failed)
        self._update()

    def _resolved(self, rev_id: str) -> None:
        self.task = None
        case_id = self.case_id
        self._update()
        if case_id is not None:
            self.resolved.emit(case_id, rev_id)

    def _failed(self, exc: BaseException) -> None:
        self.task = None
        t = self._t
        if isinstance(exc, IntakeError):
            dialogs.error(self, t.tr("conflict.title"), exc.message)
        else:
            log.error("resolve failed: %s", type(exc).__name__)
            dialogs.error(self, t.tr("conflict.title"), t.tr("error.unexpected"))
        self._update()

    def _close(self) -> None:
        self.clear()
        self.closed.emit()

    def clear(self) -> None:
        self.table.clear()
        self.table.setRowCount(0)
        self.case_id = None
        self.heads = []
        self.keys = []
        self.differing = []
        self.choices = {}
        self.status.clear()

    def _label_take_buttons(self) -> None:
        for index, button in enumerate(self.take_buttons):
            button.setText(self._t.tr("conflict.take_all", letter=letter(index)))

    def retranslate(self) -> None:
        t = self._t
        self._title.setText(t.tr("conflict.title"))
        self.back_button.setText(t.tr("interview.back"))
        self.explain.setText(t.tr("conflict.explain"))
        self.only_differences.setText(t.tr("conflict.only_differences"))
        self.table.setAccessibleName(t.tr("conflict.table"))
        self.resolve_button.setText(t.tr("conflict.resolve"))
        self._label_take_buttons()
        self._fill()
