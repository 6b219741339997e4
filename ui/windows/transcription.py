"""Transcription mode: typing in a paper form after the visit, fast, from the keyboard.

It rides on the interview screen (the same protocol-drawn sections, each on one scrollable
page) and adds: the record is marked `session.transcribed = yes`; a banner asks for the date
and place of the visit, kept apart from the entry time the store records; Enter moves to the
next field in protocol order (skipping the unknown/declined selectors), Ctrl+Enter leaves a
long text, and Enter on the last field of a section goes on to the next section.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QAbstractButton, QApplication, QLabel, QPlainTextEdit, QWidget

from intake_app.errors import ValidationError
from intake_app.field.transcription import DATE, TRANSCRIBED, start_answers
from ui.i18n import Translator

SKIPPED = frozenset({"answerStatus", "removeItem", "addItem"})


class TranscriptionMode(QObject):
    """Attached to an InterviewScreen; active only while a paper form is being entered."""

    def __init__(self, translator: Translator, interview: Any) -> None:
        super().__init__(interview)
        self._t = translator
        self.interview = interview
        self.active = False
        self.banner = QLabel(interview)
        self.banner.setObjectName("transcriptionBanner")
        self.banner.setWordWrap(True)
        self.banner.setTextFormat(Qt.TextFormat.PlainText)
        self.banner.setVisible(False)
        interview.layout().insertWidget(1, self.banner)
        translator.languageChanged.connect(lambda _lang: self._update_banner())
        interview.closed.connect(self.stop)

    # -- starting and stopping ---------------------------------------------------------------
    def start_new(self) -> None:
        """A new case from a paper form: marked as transcribed, the visit's date first."""
        self.interview.open_case(None, "session")
        editing = self.interview.editing
        editing.set_answer(TRANSCRIBED, "yes")
        self.interview.evaluation = self.interview._protocol.evaluate(editing.answers)  # noqa: SLF001
        self.interview.show_section("session")
        self.active = True
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)
        self.banner.setVisible(True)
        self._update_banner()
        self.focus_field(DATE)

    def stop(self) -> None:
        if self.active:
            app = QApplication.instance()
            if app is not None:
                app.removeEventFilter(self)
        self.active = False
        self.banner.setVisible(False)

    def focus_field(self, qid: str) -> None:
        page = self.interview.page
        row = page.rows.get(qid) if page is not None else None
        if row is not None:
            row.editor.setFocus(Qt.FocusReason.OtherFocusReason)
            self.interview.section_scroll.ensureWidgetVisible(row)

    # -- the visit date ----------------------------------------------------------------------
    def date_problem(self) -> str | None:
        """Why the visit date is not yet usable (missing, malformed, after today), or None."""
        editing = self.interview.editing
        page = self.interview.page
        row = page.rows.get(DATE) if page is not None else None
        # The row holds what was just typed; the answers catch up after a short delay.
        date = row.value() if row is not None else (
            editing.answers.get(DATE) if editing is not None else None)
        if not isinstance(date, str) or not date:
            return self._t.tr("transcribe.need_date")
        try:
            start_answers(date, today=dt.date.today())
        except ValidationError as exc:
            return exc.message
        return None

    def _update_banner(self) -> None:
        if not self.active:
            return
        text = self._t.tr("transcribe.banner")
        problem = self.date_problem()
        self.banner.setText(text + ("\n" + problem if problem else ""))
        self.banner.setProperty("warning", bool(problem))

    # -- Enter moves on ----------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        if not self.active or event.type() != QEvent.Type.KeyPress:
            return False
        assert isinstance(event, QKeyEvent)
        if event.key() not in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            return False
        page = self.interview.page
        if page is None or not isinstance(watched, QWidget) or not page.isAncestorOf(watched):
            return False
        if isinstance(watched, QAbstractButton) and watched.objectName() in SKIPPED | {
            "bodymapAdd", "bodymapRemove"}:
            return False  # Enter presses the button (add an item, add a mark)
        ctrl = bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier)
        if isinstance(watched, QPlainTextEdit) and not ctrl:
            return False  # a new line in a long answer
        self._update_banner()
        self.next_field(watched)
        return True

    def next_field(self, current: QWidget) -> None:
        page = self.interview.page
        widget = current.nextInFocusChain()
        seen = 0
        # The page's widgets follow each other in the focus chain, in protocol order; the
        # first widget outside the page means this was the section's last field.
        while widget is not None and widget is not current and seen < 5000:
            seen += 1
            if not page.isAncestorOf(widget):
                break
            if self._takes_entry(widget):
                widget.setFocus(Qt.FocusReason.TabFocusReason)
                self.interview.section_scroll.ensureWidgetVisible(widget)
                return
            widget = widget.nextInFocusChain()
        self._next_section()

    @staticmethod
    def _takes_entry(widget: QWidget) -> bool:
        if widget.objectName() in SKIPPED or not widget.isVisibleTo(widget.window()):
            return False
        if not widget.isEnabled() or widget.focusPolicy() & Qt.FocusPolicy.TabFocus == 0:
            return False
        return widget.focusProxy() is None

    def _next_section(self) -> None:
        before = self.interview.section_id
        self.interview.next_button.click()
        if self.interview.section_id != before and self.interview.page is not None:
            first = self.interview.page
            widget = first.nextInFocusChain()
            for _ in range(5000):
                if widget is None or widget is first:
                    break
                if first.isAncestorOf(widget) and self._takes_entry(widget):
                    widget.setFocus(Qt.FocusReason.TabFocusReason)
                    return
                widget = widget.nextInFocusChain()

