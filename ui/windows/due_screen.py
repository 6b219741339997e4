"""What is due: open follow-up tasks of every case, most urgent first (overdue, today,
later, without a date), with Done / Cancel and a way to the case. Pseudonyms only."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from intake_app.errors import IntakeError
from intake_app.field.followups import FollowUp, overview, set_state
from intake_app.reports.text_safety import visible
from ui.i18n import Translator
from ui.windows.vault_screen import wrapping_label

COLOURS = {"overdue": QColor(200, 30, 30), "today": QColor(190, 110, 0)}


class DueScreen(QWidget):
    closed = Signal()
    openCase = Signal(str)

    def __init__(self, translator: Translator, session: Any,
                 today: Callable[[], dt.date] = dt.date.today,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("dueScreen")
        self._t = translator
        self._session = session
        self._today = today
        self.tasks: list[FollowUp] = []
        self.back_button = QPushButton(self)
        self.back_button.setObjectName("dueBack")
        self.back_button.clicked.connect(self.closed.emit)
        self.title = wrapping_label(self, "screenTitle")
        self.show_closed = QCheckBox(self)
        self.show_closed.setObjectName("dueShowClosed")
        self.show_closed.toggled.connect(lambda _on: self.refresh())
        self.table = QTableWidget(0, 5, self)
        self.table.setObjectName("dueTable")
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.doubleClicked.connect(lambda _i: self._open_selected())
        self.done_button = QPushButton(self)
        self.done_button.setObjectName("dueDone")
        self.done_button.clicked.connect(lambda: self._change("done"))
        self.cancel_button = QPushButton(self)
        self.cancel_button.setObjectName("dueCancel")
        self.cancel_button.clicked.connect(lambda: self._change("cancelled"))
        self.open_button = QPushButton(self)
        self.open_button.setObjectName("dueOpenCase")
        self.open_button.clicked.connect(self._open_selected)
        self.status = wrapping_label(self, "status")
        QShortcut(QKeySequence(Qt.Key.Key_Return), self.table, self._open_selected,
                  context=Qt.ShortcutContext.WidgetShortcut)
        top = QHBoxLayout()
        top.addWidget(self.back_button)
        top.addWidget(self.title, 1)
        top.addWidget(self.show_closed)
        buttons = QHBoxLayout()
        for button in (self.done_button, self.cancel_button, self.open_button):
            buttons.addWidget(button)
        buttons.addWidget(self.status, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        translator.languageChanged.connect(lambda _lang: self.retranslate())
        self.retranslate()

    def refresh(self) -> None:
        if self._session.vault_closed:
            return
        today = self._today()
        self.tasks = overview(self._session.cases, today,
                              include_closed=self.show_closed.isChecked())
        self.table.setRowCount(len(self.tasks))
        task_q = self._session.protocol.question("evidence.followup.task")
        for row, task in enumerate(self.tasks):
            state = task.due_state(today)
            option = task_q.option(task.kind) if task_q is not None else None
            kind = self._t.pick_screen(option.label) if option is not None else task.kind or ""
            cells = [self._t.tr(f"due.{state}"), task.due or "—", kind,
                     task.pseudonym or "—", task.note or ""]
            for column, text in enumerate(cells):
                item = QTableWidgetItem(visible(text, single_line=True))
                if column == 0 and state in COLOURS:
                    item.setForeground(QBrush(COLOURS[state]))
                self.table.setItem(row, column, item)
        self.status.setText(self._t.tr("due.count", n=len(self.tasks)))
        if self.tasks:
            self.table.selectRow(0)

    def clear(self) -> None:
        """Forget every task (on lock)."""
        self.tasks = []
        self.table.setRowCount(0)
        self.status.clear()

    def _selected(self) -> FollowUp | None:
        row = self.table.currentRow()
        return self.tasks[row] if 0 <= row < len(self.tasks) else None

    def _change(self, state: str) -> None:
        task = self._selected()
        if task is None:
            return
        try:
            set_state(self._session.cases, task.case_id, task.task_id, state, self._today())
        except IntakeError as exc:
            self.status.setText(exc.message)
            return
        self.refresh()

    def _open_selected(self) -> None:
        task = self._selected()
        if task is not None:
            self.openCase.emit(task.case_id)

    def retranslate(self) -> None:
        t = self._t
        self.back_button.setText(t.tr("interview.back"))
        self.title.setText(t.tr("due.title"))
        self.show_closed.setText(t.tr("due.show_closed"))
        self.done_button.setText(t.tr("due.mark_done"))
        self.cancel_button.setText(t.tr("due.mark_cancelled"))
        self.open_button.setText(t.tr("due.open_case"))
        self.table.setHorizontalHeaderLabels([t.tr(f"due.col_{c}") for c in
                                              ("state", "due", "task", "case", "note")])
        self.table.setAccessibleName(t.tr("due.title"))
        if self.tasks:
            self.refresh()
