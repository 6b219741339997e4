"""The guided interview: sections down the side, one section at a time, drawn from the
protocol; skip logic, constraints and red flags live; autosave on every change.

Protocol labels appear in the INTERVIEW language, the screen's own buttons in the SCREEN
language (an interpreter may read Kazakh questions while the monitor works in Russian).
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from intake_app.errors import IntakeError
from ui.case_editing import CaseEditing
from ui.case_services import attach_files, make_thumbnail
from ui.i18n import LANGUAGE_NAMES, LANGUAGES, Translator
from ui.session import Session
from ui.widgets.question_form import FormContext, QuestionRow
from ui.widgets.red_flag_panel import RedFlagPanel
from ui.windows.vault_screen import wrapping_label
from ui.workers import TaskRunner

log = logging.getLogger(__name__)

EVALUATE_DELAY_MS = 150


class SectionPage(QWidget):
    """The questions of one section; rebuilt whenever the section changes."""

    def __init__(self, section: Any, ctx: FormContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.section = section
        self.setObjectName(f"section:{section.id}")
        self.title = wrapping_label(self, "sectionTitle")
        self.help = wrapping_label(self, "sectionHelp")
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.help)
        self.rows: dict[str, QuestionRow] = {}
        for question in section.questions:
            if question.retired:
                continue
            row = QuestionRow(question, ctx, self)
            self.rows[question.id] = row
            layout.addWidget(row)
        layout.addStretch(1)
        self.relabel(ctx)

    def relabel(self, ctx: FormContext) -> None:
        self.title.setText(ctx.pick(self.section.title))
        help_text = ctx.pick(self.section.help) if self.section.help else ""
        self.help.setText(help_text)
        self.help.setVisible(bool(help_text))
        for row in self.rows.values():
            row.relabel(ctx)


class InterviewScreen(QWidget):
    closed = Signal()

    def __init__(self, translator: Translator, session: Session, runner: TaskRunner,
                 gazetteer: Any = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("interviewScreen")
        self._t = translator
        self._session = session
        self._runner = runner
        self._protocol = session.protocol
        self._gazetteer = gazetteer
        self.editing: CaseEditing | None = None
        self.page: SectionPage | None = None
        self.section_id: str | None = None
        self.evaluation: Any = None
        self._dirty: set[str] = set()
        self._eval_timer = QTimer(self)
        self._eval_timer.setSingleShot(True)
        self._eval_timer.setInterval(EVALUATE_DELAY_MS)
        self._eval_timer.timeout.connect(self._apply_changes)
        self._build()
        translator.languageChanged.connect(self.retranslate)
        translator.interviewLanguageChanged.connect(self._interview_language_changed)
        self.retranslate()

    # -- layout ------------------------------------------------------------------------------
    def _build(self) -> None:
        self.back_button = QPushButton(self)
        self.back_button.setObjectName("backToList")
        self.back_button.clicked.connect(self.close_case)
        self._title = wrapping_label(self, "screenTitle")
        self._language_label = QLabel(self)
        self.language_box = QComboBox(self)
        self.language_box.setObjectName("interviewLanguage")
        self.language_box.addItems([LANGUAGE_NAMES[lang] for lang in LANGUAGES])
        self.language_box.setCurrentIndex(LANGUAGES.index(self._t.interview_language))
        self.language_box.currentIndexChanged.connect(
            lambda i: self._t.set_interview_language(LANGUAGES[i]))
        self._language_label.setBuddy(self.language_box)
        self.save_button = QPushButton(self)
        self.save_button.setObjectName("save")
        self.save_button.clicked.connect(self.save)
        top = QHBoxLayout()
        top.addWidget(self.back_button)
        top.addWidget(self._title, 1)
        top.addWidget(self._language_label)
        top.addWidget(self.language_box)
        top.addWidget(self.save_button)

        self.sections = QListWidget(self)
        self.sections.setObjectName("sectionList")
        self.sections.setWordWrap(True)
        self.sections.currentRowChanged.connect(self._section_chosen)
        self.section_scroll = QScrollArea(self)
        self.section_scroll.setWidgetResizable(True)
        self.section_scroll.setObjectName("sectionScroll")
        self.red_flags = RedFlagPanel(self._t, self._protocol.red_flag_rules, self)
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(self.sections)
        splitter.addWidget(self.section_scroll)
        splitter.addWidget(self.red_flags)
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 1)
        splitter.setStretchFactor(2, 0)
        splitter.setSizes([240, 640, 220])

        self.previous_button = QPushButton(self)
        self.previous_button.setObjectName("previousSection")
        self.previous_button.clicked.connect(lambda: self._step(-1))
        self.next_button = QPushButton(self)
        self.next_button.setObjectName("nextSection")
        self.next_button.clicked.connect(lambda: self._step(1))
        self.status = wrapping_label(self, "status")
        bottom = QHBoxLayout()
        bottom.addWidget(self.previous_button)
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.next_button)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(splitter, 1)
        layout.addLayout(bottom)
        QShortcut(QKeySequence.StandardKey.Save, self, self.save)
        QShortcut(QKeySequence("Ctrl+PgDown"), self, lambda: self._step(1))
        QShortcut(QKeySequence("Ctrl+PgUp"), self, lambda: self._step(-1))

    def _context(self) -> FormContext:
        t = self._t
        return FormContext(
            pick=t.pick, tr=t.tr_interview, gazetteer=self._gazetteer,
            lang=t.interview_language, attach=self._attach, thumbnail=self._thumbnail,
            attachment_names=self.editing.attachment_name if self.editing else None,
        )  # fmt: skip

    # -- opening and closing a case ----------------------------------------------------------
    def open_case(self, case_id: str | None, section_id: str | None = None) -> None:
        self.editing = CaseEditing(self._session, self._runner, case_id)
        self.editing.draftSaved.connect(self._draft_saved)
        self.editing.draftFailed.connect(self._draft_failed)
        self.evaluation = self._protocol.evaluate(self.editing.answers)
        self._fill_sections()
        ids = [s.id for s in self._protocol.sections]
        target = section_id if section_id in ids else ids[0]
        self.show_section(target)
        self.red_flags.show_flags(self.evaluation.red_flags)

    def position(self) -> tuple[str, str | None] | None:
        if self.editing is None:
            return None
        return self.editing.case_id, self.section_id

    def commit(self) -> bool:
        """Commit the draft as a revision; on refusal keep the draft and say why."""
        if self.editing is None:
            return True
        self._apply_changes()
        try:
            self.editing.commit()
        except IntakeError as exc:
            self.status.setText(self._t.tr("interview.not_committed", reason=exc.message))
            return False
        return True

    def save(self) -> None:
        if self.commit():
            self.status.setText(self._t.tr("interview.saved"))

    def close_case(self) -> None:
        self.commit()
        self.clear()
        self.closed.emit()

    def clear(self) -> None:
        """Destroy every editor and forget the answers (on close and on lock)."""
        self._eval_timer.stop()
        if self.editing is not None:
            self.editing.stop()
            self.editing.deleteLater()
        self.editing = None
        self._dirty.clear()
        self._drop_page()
        self.sections.clear()
        self.red_flags.clear()
        self.status.clear()
        self.evaluation = None
        self.section_id = None

    def _drop_page(self) -> None:
        old = self.section_scroll.takeWidget()
        if old is not None:
            old.deleteLater()
        self.page = None

    # -- sections ----------------------------------------------------------------------------
    def _fill_sections(self) -> None:
        self.sections.blockSignals(True)
        self.sections.clear()
        for section in self._protocol.sections:
            item = QListWidgetItem()
            item.setData(Qt.ItemDataRole.UserRole, section.id)
            self.sections.addItem(item)
        self.sections.blockSignals(False)
        self._update_sections()

    def _section_visible(self, section: Any) -> bool:
        return section.id in self.evaluation.visible_sections

    def _update_sections(self) -> None:
        if self.evaluation is None:
            return
        completeness = self.evaluation.completeness
        for i, section in enumerate(self._protocol.sections):
            item = self.sections.item(i)
            done, total = completeness.get(section.id, (0, 0))
            mark = "✓" if total and done >= total else f"{done}/{total}"
            item.setText(f"{self._t.pick(section.title)}  {mark}")
            item.setData(Qt.ItemDataRole.AccessibleTextRole,
                         self._t.tr("interview.completeness", done=done, total=total))
            item.setHidden(not self._section_visible(section))

    def _section_chosen(self, row: int) -> None:
        if row < 0 or self.editing is None:
            return
        section_id = self.sections.item(row).data(Qt.ItemDataRole.UserRole)
        if section_id != self.section_id:
            self.commit()  # leaving a section commits a revision
            self.show_section(section_id)

    def show_section(self, section_id: str) -> None:
        section = next(s for s in self._protocol.sections if s.id == section_id)
        self._apply_changes()
        self._drop_page()
        self.section_id = section_id
        self.page = SectionPage(section, self._context())
        for qid, row in self.page.rows.items():
            row.set_value(self.editing.answers.get(qid) if self.editing else None)
            row.changed.connect(self._row_changed)
        self.section_scroll.setWidget(self.page)
        self._apply_evaluation()
        index = [s.id for s in self._protocol.sections].index(section_id)
        self.sections.blockSignals(True)
        self.sections.setCurrentRow(index)
        self.sections.blockSignals(False)

    def _step(self, delta: int) -> None:
        visible = [s.id for s in self._protocol.sections if self._section_visible(s)]
        if self.section_id not in visible:
            return
        index = visible.index(self.section_id) + delta
        if 0 <= index < len(visible):
            self.commit()
            self.show_section(visible[index])
            self.sections.setFocus()

    # -- answers -----------------------------------------------------------------------------
    def _row_changed(self, qid: str) -> None:
        self._dirty.add(qid)
        self._eval_timer.start()

    def _apply_changes(self) -> None:
        self._eval_timer.stop()
        if not self._dirty or self.editing is None or self.page is None:
            self._dirty.clear()
            return
        for qid in self._dirty:
            row = self.page.rows.get(qid)
            if row is not None:
                self.editing.set_answer(qid, row.value())
        self._dirty.clear()
        self.evaluation = self._protocol.evaluate(self.editing.answers)
        self._apply_evaluation()

    def _apply_evaluation(self) -> None:
        ev = self.evaluation
        if ev is None or self.page is None:
            return
        # Shown next to the field, so the bare text in the screen language (the message
        # names the question by id, in English: for logs and the CLI).
        problems: dict[tuple[str, str | None], str] = {}
        for problem in ev.problems:
            problems.setdefault((problem.question_id, problem.item_id),
                                problem.text(self._t.language))
        for qid, row in self.page.rows.items():
            row.setVisible(qid in ev.visible)
            row.set_problem(problems.get((qid, None)))
            row.apply_item_visibility(ev)
            row.apply_item_problems(problems)
        self.red_flags.show_flags(ev.red_flags)
        self._update_sections()

    def _draft_saved(self) -> None:
        self.status.setText(self._t.tr("interview.draft_saved"))

    def _draft_failed(self, message: str) -> None:
        self.status.setText(self._t.tr("interview.draft_failed", reason=message))

    # -- attachments -------------------------------------------------------------------------
    def _attach(self, paths: list[Any], done: Any) -> None:
        editing = self.editing
        if editing is None:
            return

        def finished(entries: list[dict[str, Any]]) -> None:
            if self.editing is editing:
                for entry in entries:
                    editing.add_attachment(entry)
                done(entries)
                self.status.setText(self._t.tr("attach.done", n=len(entries)))

        def failed(exc: BaseException) -> None:
            done([])
            reason = exc.message if isinstance(exc, IntakeError) else type(exc).__name__
            self.status.setText(self._t.tr("attach.failed", reason=reason))

        def progress(n: int, total: int, _what: str) -> None:
            percent = int(100 * n / total) if total else 0
            self.status.setText(self._t.tr("attach.progress", percent=percent))

        self._runner.start(attach_files(self._session, list(paths)), on_success=finished,
                           on_failure=failed, on_progress=progress)

    def _thumbnail(self, sha: str, done: Any) -> None:
        self._runner.start(make_thumbnail(self._session, sha), on_success=done)

    # -- languages ---------------------------------------------------------------------------
    def _interview_language_changed(self, lang: str) -> None:
        self.language_box.blockSignals(True)
        self.language_box.setCurrentIndex(LANGUAGES.index(lang))
        self.language_box.blockSignals(False)
        if self.page is not None:
            self.page.relabel(self._context())
        self._update_sections()

    def retranslate(self) -> None:
        t = self._t
        self.back_button.setText(t.tr("interview.back"))
        self._title.setText(t.tr("interview.title"))
        self._language_label.setText(t.tr("interview.language"))
        self.language_box.setAccessibleName(t.tr("interview.language"))
        self.save_button.setText(t.tr("interview.save"))
        self.previous_button.setText(t.tr("interview.previous"))
        self.next_button.setText(t.tr("interview.next"))
        self.sections.setAccessibleName(t.tr("interview.sections"))
        self._update_sections()
