"""Export: choose recipients, cases and a destination; write the bundle on a worker.

Recipients are trusted contacts, or a card file whose fingerprint the person compares aloud
with its owner before it can be used. The destination is chosen in Qt's own file dialog
(removable drives listed as quick places) under a random default name: a bundle's file name
must never name the case or the monitor. The result says how many cases went and which were
withheld, and why (the core's consent filter returns them).
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from intake_app.bundles.export import ExportResult
from intake_app.cases.queries import CaseFilter
from intake_app.errors import Cancelled, IntakeError
from intake_app.identity.card import IdentityCard
from intake_app.identity.keys import display_fingerprint
from intake_app.identity.trust import TrustRegistry
from ui import bundle_services as services
from ui import dialogs
from ui.i18n import Translator
from ui.session import Session
from ui.widgets.fingerprint import CardReview, category_text, role_text, safe_text
from ui.widgets.short_list import ShortList
from ui.windows.task_dialog import TaskDialog, set_visibility
from ui.windows.vault_screen import wrapping_label
from ui.workers import Task, TaskRunner

log = logging.getLogger(__name__)

FINGERPRINT_ROLE = Qt.ItemDataRole.UserRole
CARD_PATH_ROLE = Qt.ItemDataRole.UserRole + 1
CASE_ID_ROLE = Qt.ItemDataRole.UserRole
MAX_LISTED_CASES = 500


_SHARE_REF = re.compile(r"\(consent\.share\.([a-z_]+)(?: = (no))?\)$")


def withheld_reason(t: Translator, reason: str) -> str:
    """The core's reason (intake_app.lifecycle.consent, English) in the screen language.

    Only the documented consent and retraction reasons are translated; any other reason is
    shown as the core wrote it, so nothing is ever hidden."""
    match = _SHARE_REF.search(reason)
    if reason.startswith("retracted by the person"):
        return t.tr("export.reason.retracted")
    if match is None:
        return safe_text(reason)
    category = match.group(1)
    who, ref = category_text(t, category), f"consent.share.{category}"
    if reason.startswith("no answer recorded"):
        return t.tr("export.reason.no_answer", who=who, ref=ref)
    if match.group(2) == "no":
        return t.tr("export.reason.refused", who=who, ref=ref)
    for status in ("unknown", "declined"):
        if f" is {status} (" in reason:
            return t.tr(f"export.reason.{status}", who=who, ref=ref)
    return safe_text(reason)


class ExportDialog(TaskDialog):
    CANCELLING_KEY = "export.cancelling"

    finished_export = Signal(object)  # ExportResult

    def __init__(self, translator: Translator, session: Session, runner: TaskRunner,
                 parent: QWidget | None = None,
                 preselected: list[str] | None = None) -> None:  # fmt: skip
        super().__init__(parent)
        self.setObjectName("exportDialog")
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self._t = translator
        self._session = session
        self._runner = runner
        self.task: Task | None = None
        self.export_result: ExportResult | None = None
        self.destination: Path | None = None
        self._pending_card: tuple[Path, IdentityCard] | None = None
        self._gone = False
        self._build()
        self._load_contacts()
        self._load_cases("", set(preselected or []))
        if preselected:
            self.chosen_radio.setChecked(True)
        translator.languageChanged.connect(self.retranslate)
        self.retranslate()
        self._update()
        self.resize(760, 720)

    # -- building ---------------------------------------------------------------------------
    def _build(self) -> None:
        self._title = wrapping_label(self, "screenTitle")
        self.recipients_box = QGroupBox(self)
        # Three contacts (two lines each) and six cases in view; both grow with the window.
        self.recipients = ShortList(6, self.recipients_box)
        self.recipients.setObjectName("exportRecipients")
        self.recipients.itemChanged.connect(lambda _i: self._update())
        self.load_card_button = QPushButton(self.recipients_box)
        self.load_card_button.setObjectName("loadCard")
        self.load_card_button.clicked.connect(self.load_card)
        self.card_review = CardReview(self._t, self.recipients_box)
        self.card_review.confirmedChanged.connect(lambda _c: self._update())
        self.use_card_button = QPushButton(self.recipients_box)
        self.use_card_button.setObjectName("useCard")
        self.use_card_button.clicked.connect(self.use_card)
        self.discard_card_button = QPushButton(self.recipients_box)
        self.discard_card_button.clicked.connect(self._discard_card)
        card_buttons = QHBoxLayout()
        card_buttons.addWidget(self.use_card_button)
        card_buttons.addWidget(self.discard_card_button)
        card_buttons.addStretch(1)
        self.card_panel = QWidget(self.recipients_box)
        panel = QVBoxLayout(self.card_panel)
        panel.setContentsMargins(0, 0, 0, 0)
        panel.addWidget(self.card_review)
        panel.addLayout(card_buttons)
        self.card_panel.hide()
        box = QVBoxLayout(self.recipients_box)
        box.addWidget(self.recipients)
        box.addWidget(self.load_card_button, 0, Qt.AlignmentFlag.AlignLeft)
        box.addWidget(self.card_panel)

        self.cases_box = QGroupBox(self)
        self.unsent_radio = QRadioButton(self.cases_box)
        self.unsent_radio.setObjectName("exportUnsent")
        self.unsent_radio.setChecked(True)
        self.chosen_radio = QRadioButton(self.cases_box)
        self.chosen_radio.setObjectName("exportChosen")
        self.chosen_radio.toggled.connect(lambda _c: self._update())
        self.case_search = QLineEdit(self.cases_box)
        self.case_search.setObjectName("exportCaseSearch")
        self.case_search.setClearButtonEnabled(True)
        self.case_search.returnPressed.connect(
            lambda: self._load_cases(self.case_search.text(), self.chosen_cases()))
        self.cases = ShortList(6, self.cases_box)
        self.cases.setObjectName("exportCases")
        self.cases.itemChanged.connect(lambda _i: self._update())
        box = QVBoxLayout(self.cases_box)
        box.addWidget(self.unsent_radio)
        box.addWidget(self.chosen_radio)
        box.addWidget(self.case_search)
        box.addWidget(self.cases, 1)

        self.destination_box = QGroupBox(self)
        self.destination_edit = QLineEdit(self.destination_box)
        self.destination_edit.setObjectName("exportDestination")
        self.destination_edit.setReadOnly(True)
        self.choose_button = QPushButton(self.destination_box)
        self.choose_button.setObjectName("chooseDestination")
        self.choose_button.clicked.connect(self.choose_destination)
        row = QHBoxLayout(self.destination_box)
        row.addWidget(self.destination_edit, 1)
        row.addWidget(self.choose_button)

        self.progress = QProgressBar(self)
        self.progress.setObjectName("exportProgress")
        self.progress.hide()
        self.status = wrapping_label(self, "status")
        self.result_text = wrapping_label(self)
        self.result_text.setObjectName("exportResult")
        self.result_text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.withheld_caption = wrapping_label(self, "sectionTitle")
        self.withheld_caption.hide()
        self.withheld = QListWidget(self)
        self.withheld.setObjectName("exportWithheld")
        self.withheld.setWordWrap(True)
        self.withheld.hide()
        self.export_button, self.cancel_button, buttons = self._action_buttons(
            "startExport", "cancelExport", self.start
        )

        layout = QVBoxLayout(self)
        layout.addWidget(self._title)
        layout.addWidget(self.recipients_box, 2)
        layout.addWidget(self.cases_box, 2)
        layout.addWidget(self.destination_box)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.result_text)
        layout.addWidget(self.withheld_caption)
        layout.addWidget(self.withheld, 1)
        layout.addLayout(buttons)

    def _load_contacts(self) -> None:
        self.recipients.clear()
        for contact in TrustRegistry(self._session.vault).contacts():
            if contact.revoked:
                continue  # nothing is ever sent to a revoked key
            item = QListWidgetItem(self._contact_text(contact.name, contact.role,
                                                      contact.category, contact.fingerprint))
            item.setData(FINGERPRINT_ROLE, contact.fingerprint)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.recipients.addItem(item)

    def _contact_text(self, name: str, role: str, category: str, fingerprint: str,
                      from_card: bool = False) -> str:  # fmt: skip
        t = self._t
        head = safe_text(name) + (f"  ({t.tr('export.from_card')})" if from_card else "")
        kind = f"{role_text(t, role)}, {category_text(t, category)}"
        return f"{head} — {kind}\n{display_fingerprint(fingerprint)}"

    def _load_cases(self, text: str, checked: set[str]) -> None:
        filters = CaseFilter(text=text.strip() or None)
        try:
            rows = self._session.cases.list_page(offset=0, limit=MAX_LISTED_CASES,
                                                 sort="updated", filters=filters)
        except IntakeError as exc:
            dialogs.warning(self, self._t.tr("export.title"), exc.message)
            return
        self.cases.blockSignals(True)
        self.cases.clear()
        for row in rows:
            pseudonym = safe_text(row.pseudonym) if row.pseudonym else row.id[:8]
            when = row.updated_at[:16].replace("T", " ")
            label = f"{pseudonym}   {when}"
            if row.conflict:
                label += f"   [{self._t.tr('export.case_conflict')}]"
            item = QListWidgetItem(label)
            item.setData(CASE_ID_ROLE, row.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if row.id in checked
                               else Qt.CheckState.Unchecked)
            self.cases.addItem(item)
        self.cases.blockSignals(False)
        self._update()

    # -- choices ----------------------------------------------------------------------------
    def chosen_contacts(self) -> list[str]:
        return [str(item.data(FINGERPRINT_ROLE)) for item in self._checked(self.recipients)
                if item.data(CARD_PATH_ROLE) is None]

    def chosen_card_files(self) -> list[tuple[Path, str]]:
        return [(Path(str(item.data(CARD_PATH_ROLE))), str(item.data(FINGERPRINT_ROLE)))
                for item in self._checked(self.recipients)
                if item.data(CARD_PATH_ROLE) is not None]

    def chosen_cases(self) -> set[str]:
        return {str(item.data(CASE_ID_ROLE)) for item in self._checked(self.cases)}

    @staticmethod
    def _checked(widget: QListWidget) -> list[QListWidgetItem]:
        items = (widget.item(i) for i in range(widget.count()))
        return [i for i in items if i.checkState() == Qt.CheckState.Checked]

    def check_recipient(self, fingerprint: str, on: bool = True) -> None:
        for i in range(self.recipients.count()):
            item = self.recipients.item(i)
            if item.data(FINGERPRINT_ROLE) == fingerprint:
                item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)

    def load_card(self) -> None:
        t = self._t
        paths = dialogs.open_files(self, t.tr("export.load_card"), t.tr("contacts.card_filter"))
        if not paths:
            return
        try:
            card = services.read_card_file(paths[0])
        except IntakeError as exc:
            dialogs.error(self, t.tr("contacts.card_title"), exc.message)
            return
        if card.fingerprint == self._session.vault.identity.fingerprint:
            dialogs.warning(self, t.tr("contacts.card_title"), t.tr("export.own_card"))
            return
        self._pending_card = (paths[0], card)
        self.card_review.show_card(card.name, card.role, card.category, card.fingerprint)
        self._update()
        self.card_review.compared.setFocus()

    def use_card(self) -> None:
        if self._pending_card is None or not self.card_review.confirmed:
            return
        path, card = self._pending_card
        self.check_recipient(card.fingerprint, False)  # a contact with this key: use the card
        item = QListWidgetItem(self._contact_text(card.name, card.role, card.category,
                                                  card.fingerprint, from_card=True))
        item.setData(FINGERPRINT_ROLE, card.fingerprint)
        item.setData(CARD_PATH_ROLE, str(path))
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        item.setCheckState(Qt.CheckState.Checked)
        self.recipients.addItem(item)
        self._discard_card()

    def _discard_card(self) -> None:
        self._pending_card = None
        self.card_review.clear()
        self._update()

    def choose_destination(self) -> None:
        chosen = dialogs.save_file(self, self._t.tr("export.save_title"),
                                   services.suggested_bundle_name(),
                                   services.removable_places())  # fmt: skip
        if chosen is None:
            return
        self.destination = services.bundle_file_name(chosen)
        self.destination_edit.setText(str(self.destination))
        self._update()

    def _update(self) -> None:
        running = self.task is not None
        done = self.export_result is not None
        have_cases = self.unsent_radio.isChecked() or bool(self.chosen_cases())
        ready = bool(self._checked(self.recipients)) and have_cases and \
            self.destination is not None
        self.export_button.setEnabled(ready and not running and not done)
        for widget in (self.recipients_box, self.cases_box, self.destination_box):
            widget.setEnabled(not running and not done)
        # Once done, the result stands alone under the title. While a card's fingerprint is
        # compared, the later steps wait out of sight, so the dialog fits a 1366x768 laptop
        # with the fingerprint whole. Each widget goes straight to its final state.
        reviewing = self._pending_card is not None
        withheld = done and bool(self.export_result and self.export_result.withheld)
        set_visibility([
            (self.export_button, not done),
            (self.recipients_box, not done),
            (self.card_panel, not done and reviewing),
            (self.cases_box, not done and not reviewing),
            (self.destination_box, not done and not reviewing),
            (self.withheld_caption, withheld),
            (self.withheld, withheld),
        ])
        self.case_search.setEnabled(self.chosen_radio.isChecked())
        self.cases.setEnabled(self.chosen_radio.isChecked())
        self.use_card_button.setEnabled(self._pending_card is not None
                                        and self.card_review.confirmed)
        t = self._t
        self.cancel_button.setText(t.tr("common.cancel") if running or not done
                                   else t.tr("export.close"))

    # -- running ----------------------------------------------------------------------------
    def start(self) -> None:
        if self.task is not None or self.destination is None:
            return
        cases = tuple(sorted(self.chosen_cases())) if self.chosen_radio.isChecked() else None
        request = services.ExportRequest(
            contacts=tuple(self.chosen_contacts()), card_files=tuple(self.chosen_card_files()),
            destination=self.destination, case_ids=cases,
        )  # fmt: skip
        self.progress.setRange(0, 0)
        self.progress.show()
        self.status.setText(self._t.tr("export.running"))
        self.task = self._runner.start(services.export_work(self._session, request),
                                       on_success=self._succeeded, on_failure=self._failed,
                                       on_progress=self._progressed)  # fmt: skip
        self._update()

    def _progressed(self, done: int, total: int, _what: str) -> None:
        if self._gone:
            return
        if total > 0:
            # QProgressBar holds ints: scale byte counts into 0..1000
            self.progress.setRange(0, 1000)
            self.progress.setValue(int(1000 * min(done, total) / total))

    def _succeeded(self, result: ExportResult) -> None:
        self.task = None
        if self._gone:
            return
        self.export_result = result
        self.progress.hide()
        self.status.clear()
        self._update()  # the steps make way before the result is filled in
        self._show_result(result)
        self.cancel_button.setFocus()
        self.finished_export.emit(result)

    def _show_result(self, result: ExportResult) -> None:
        t = self._t
        names = ", ".join(safe_text(r.name) for r in result.recipients)
        text = t.tr("export.done", cases=result.case_count, revisions=result.revision_count,
                    attachments=result.attachment_count, names=names,
                    file=result.path.name)  # fmt: skip
        text += "\n" + t.tr("export.withheld_count", n=len(result.withheld))
        self.result_text.setText(text)
        self.withheld.clear()
        by_reason: dict[str, list[str]] = defaultdict(list)
        for case_id, reason in result.withheld:
            by_reason[reason].append(services.pseudonym_of(self._session, case_id))
        for reason, pseudonyms in sorted(by_reason.items()):
            item = QListWidgetItem(t.tr("export.withheld_item", n=len(pseudonyms),
                                        reason=withheld_reason(t, reason), cases=", ".join(
                                            safe_text(p) for p in sorted(pseudonyms))))
            self.withheld.addItem(item)

    def _failed(self, exc: BaseException) -> None:
        self.task = None
        if self._gone:
            return
        self.progress.hide()
        t = self._t
        if isinstance(exc, Cancelled):
            self.status.setText(t.tr("export.cancelled"))
        elif isinstance(exc, IntakeError):
            self.status.setText(exc.message)
            dialogs.error(self, t.tr("export.title"), exc.message)
        else:
            log.error("export failed: %s", type(exc).__name__)
            self.status.setText(t.tr("error.unexpected"))
            dialogs.error(self, t.tr("export.title"), t.tr("error.unexpected"))
        self._update()

    def retranslate(self) -> None:
        t = self._t
        self.setWindowTitle(t.tr("export.title"))
        self._title.setText(t.tr("export.title"))
        self.recipients_box.setTitle(t.tr("export.recipients"))
        self.recipients.setAccessibleName(t.tr("export.recipients"))
        self.load_card_button.setText(t.tr("export.load_card"))
        self.use_card_button.setText(t.tr("export.use_card"))
        self.discard_card_button.setText(t.tr("common.cancel"))
        self.cases_box.setTitle(t.tr("export.cases"))
        self.unsent_radio.setText(t.tr("export.unsent"))
        self.chosen_radio.setText(t.tr("export.chosen"))
        self.case_search.setPlaceholderText(t.tr("export.case_search"))
        self.case_search.setAccessibleName(t.tr("export.case_search"))
        self.cases.setAccessibleName(t.tr("export.cases"))
        self.destination_box.setTitle(t.tr("export.destination"))
        self.destination_edit.setAccessibleName(t.tr("export.destination"))
        self.destination_edit.setPlaceholderText(t.tr("export.no_destination"))
        self.choose_button.setText(t.tr("export.choose"))
        self.progress.setAccessibleName(t.tr("export.progress"))
        self.withheld.setAccessibleName(t.tr("export.withheld"))
        self.withheld_caption.setText(t.tr("export.withheld"))
        self.withheld_caption.setBuddy(self.withheld)
        self.export_button.setText(t.tr("export.start"))
        self._update()
