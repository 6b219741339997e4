"""A case and its revision history: who, when, which answers changed (never the answers of
other people's names in a list: history shows question labels, not values)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ui.i18n import Translator
from ui.session import Session
from ui.windows.lifecycle_panels import CaseLifecyclePanel
from ui.windows.vault_screen import wrapping_label


def display_fingerprint(fingerprint: str) -> str:
    return " ".join(fingerprint[i:i + 4] for i in range(0, len(fingerprint), 4))


class CaseViewScreen(QWidget):
    closed = Signal()
    editRequested = Signal(str)
    dossierRequested = Signal(str)  # helper-11: a PDF for a lawyer
    resolveRequested = Signal(str)  # helper-15: the case has several heads (a conflict)

    def __init__(self, translator: Translator, session: Session,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("caseViewScreen")
        self._t = translator
        self._session = session
        self.case_id: str | None = None
        self._entries: list[Any] = []
        self._title = wrapping_label(self, "screenTitle")
        self._summary = wrapping_label(self)
        self.back_button = QPushButton(self)
        self.back_button.setObjectName("backToList")
        self.back_button.clicked.connect(self._close)
        self.edit_button = QPushButton(self)
        self.edit_button.setObjectName("editCase")
        self.edit_button.clicked.connect(lambda: self.case_id and self.editRequested.emit(
            self.case_id))
        self.history = QTreeWidget(self)
        self.history.setObjectName("history")
        self.history.setColumnCount(3)
        self.history.setRootIsDecorated(False)
        self.history.setWordWrap(True)
        self.history.header().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.history.header().setStretchLastSection(True)
        top = QHBoxLayout()
        top.addWidget(self.back_button)
        top.addWidget(self._title, 1)
        self.dossier_button = QPushButton(self)
        self.dossier_button.setObjectName("dossierPdf")
        self.dossier_button.clicked.connect(lambda: self.case_id and self.dossierRequested.emit(
            self.case_id))
        top.addWidget(self.dossier_button)
        # Conflict (helper-15): shown only while the case has several heads.
        self.conflict_note = wrapping_label(self, "warning")
        self.conflict_note.hide()
        self.resolve_button = QPushButton(self)
        self.resolve_button.setObjectName("openConflict")
        self.resolve_button.hide()
        self.resolve_button.clicked.connect(lambda: self.case_id and self.resolveRequested.emit(
            self.case_id))
        top.addWidget(self.resolve_button)
        top.addWidget(self.edit_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self._summary)
        layout.addWidget(self.conflict_note)
        layout.addWidget(self.history, 1)
        # Retraction and delivered attachments (helper-15, lifecycle).
        self.lifecycle = CaseLifecyclePanel(translator, session, self)
        self.lifecycle.retracted.connect(self.show_case)
        layout.addWidget(self.lifecycle)
        translator.languageChanged.connect(self.retranslate)
        translator.interviewLanguageChanged.connect(lambda _l: self._fill())
        self.retranslate()

    def show_case(self, case_id: str) -> None:
        self.case_id = case_id
        self._entries = self._session.cases.history(case_id)
        self._fill()
        self.lifecycle.show_case(case_id)
        conflict = bool(self._session.cases.get(case_id).conflict)
        self.conflict_note.setVisible(conflict)
        self.resolve_button.setVisible(conflict)

    def _label(self, qid: str) -> str:
        question = self._session.protocol.question(qid)
        return self._t.pick_screen(question.label) if question is not None else qid

    def _fill(self) -> None:
        self.history.clear()
        me = self._session.vault.identity.fingerprint
        for entry in reversed(self._entries):  # newest first
            who = self._t.tr("history.this_device") if entry.author == me else \
                display_fingerprint(entry.author)
            changed = ", ".join(self._label(q) for q in entry.changed)
            when = entry.created_at[:19].replace("T", " ") + " UTC"
            item = QTreeWidgetItem([when, who, changed or "—"])
            item.setToolTip(0, entry.id)
            item.setToolTip(2, "\n".join(self._label(q) for q in entry.changed))
            self.history.addTopLevelItem(item)
        self._summary.setText(self._t.tr("history.count", n=len(self._entries)))

    def _close(self) -> None:
        self.clear()
        self.closed.emit()

    def clear(self) -> None:
        self.history.clear()
        self._entries = []
        self.case_id = None
        self._summary.clear()
        self.lifecycle.show_case(None)
        self.conflict_note.hide()
        self.resolve_button.hide()

    def retranslate(self) -> None:
        t = self._t
        self._title.setText(t.tr("history.title"))
        self.back_button.setText(t.tr("interview.back"))
        self.edit_button.setText(t.tr("history.edit"))
        self.dossier_button.setText(t.tr("dossier.action"))
        self.conflict_note.setText(t.tr("conflict.note"))
        self.resolve_button.setText(t.tr("conflict.open"))
        self.history.setHeaderLabels([t.tr("history.when"), t.tr("history.who"),
                                      t.tr("history.changed")])
        self.history.setAccessibleName(t.tr("history.title"))
        if self._entries:
            self._fill()
