"""Import: check who signed a bundle (without decrypting it), then import it on a worker.

The first step is the core's outer check: the container, the signature over the encrypted
payload and the signer in this vault's trust registry. Only once the person has seen who
signed it (name, fingerprint in groups, trusted or revoked) does "Import" decrypt it, all
or nothing. A refused bundle shows the core's message in a dialog, never a traceback; the
vault is unchanged. After a first import of another device's bundle, a signed receipt can be
saved for the sender.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from intake_app.bundles.merge import ImportResult
from intake_app.bundles.verify import STATUS_OWN, STATUS_REVOKED, OuterCheck
from intake_app.errors import Cancelled, IntakeError
from intake_app.lifecycle.receipts import ReceiptWritten
from ui import bundle_services as services
from ui import dialogs
from ui.i18n import Translator
from ui.session import Session
from ui.widgets.fingerprint import FingerprintLabel, safe_text
from ui.windows.task_dialog import TaskDialog
from ui.windows.vault_screen import wrapping_label
from ui.workers import Task, TaskRunner

log = logging.getLogger(__name__)

CASE_ID_ROLE = Qt.ItemDataRole.UserRole


def bundle_paths(event: QDragEnterEvent | QDropEvent) -> list[Path]:
    """Local `.intake` files carried by a drag (anything else is ignored)."""
    mime = event.mimeData()
    if not mime.hasUrls():
        return []
    paths = [Path(u.toLocalFile()) for u in mime.urls() if u.isLocalFile()]
    return [p for p in paths if p.name.endswith(services.BUNDLE_SUFFIX)]


class ImportDialog(TaskDialog):
    CANCELLING_KEY = "import.cancelling"

    imported = Signal(object)  # ImportResult
    resolveRequested = Signal(str)  # case id in conflict

    def __init__(self, translator: Translator, session: Session, runner: TaskRunner,
                 parent: QWidget | None = None) -> None:  # fmt: skip
        super().__init__(parent)
        self.setObjectName("importDialog")
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.setAcceptDrops(True)
        self._t = translator
        self._session = session
        self._runner = runner
        self.path: Path | None = None
        self.check: OuterCheck | None = None
        self.import_result: ImportResult | None = None
        self.receipt: ReceiptWritten | None = None
        self.task: Task | None = None
        self.error_message = ""
        self._gone = False
        self._build()
        translator.languageChanged.connect(self.retranslate)
        self.retranslate()
        self.resize(720, 640)

    def _build(self) -> None:
        self._title = wrapping_label(self, "screenTitle")
        self._drop_hint = wrapping_label(self, "note")
        self.file_edit = QLineEdit(self)
        self.file_edit.setObjectName("importFile")
        self.file_edit.setReadOnly(True)
        self.choose_button = QPushButton(self)
        self.choose_button.setObjectName("chooseBundle")
        self.choose_button.clicked.connect(self.choose_file)
        file_row = QHBoxLayout()
        file_row.addWidget(self.file_edit, 1)
        file_row.addWidget(self.choose_button)

        self.signer_box = QGroupBox(self)
        self.signer_name = QLabel(self.signer_box)
        self.signer_name.setTextFormat(Qt.TextFormat.PlainText)
        self.signer_name.setObjectName("signerName")
        self.signer_fingerprint = FingerprintLabel(self.signer_box, point_size=15)
        self.signer_status = QLabel(self.signer_box)
        self.signer_status.setObjectName("signerStatus")
        self.signer_status.setTextFormat(Qt.TextFormat.PlainText)
        self.signer_seq = QLabel(self.signer_box)
        self.signer_seq.setTextFormat(Qt.TextFormat.PlainText)
        self.revoked_warning = wrapping_label(self.signer_box, "warning")
        self.revoked_warning.hide()
        self._signer_captions = [QLabel(self.signer_box) for _ in range(4)]
        form = QFormLayout()
        for caption, field in zip(self._signer_captions, (
                self.signer_name, self.signer_fingerprint, self.signer_status, self.signer_seq),
                strict=True):  # fmt: skip
            caption.setBuddy(field)
            form.addRow(caption, field)
        box = QVBoxLayout(self.signer_box)
        box.addLayout(form)
        box.addWidget(self.revoked_warning)
        self.signer_box.hide()

        self.progress = QProgressBar(self)
        self.progress.setObjectName("importProgress")
        self.progress.hide()
        self.status = wrapping_label(self, "status")
        self.result_box = QGroupBox(self)
        self.counts = wrapping_label(self.result_box)
        self.counts.setObjectName("importCounts")
        self.counts.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.conflicts_caption = wrapping_label(self.result_box)
        self.conflicts = QListWidget(self.result_box)
        self.conflicts.setObjectName("importConflicts")
        self.conflicts.setMaximumHeight(160)
        self.conflicts_caption.setBuddy(self.conflicts)
        self.conflicts.itemActivated.connect(self._resolve_item)
        self.resolve_button = QPushButton(self.result_box)
        self.resolve_button.setObjectName("resolveImported")
        self.resolve_button.clicked.connect(lambda: self._resolve_item(
            self.conflicts.currentItem()))
        self.receipt_button = QPushButton(self.result_box)
        self.receipt_button.setObjectName("saveReceipt")
        self.receipt_button.clicked.connect(self.save_receipt)
        result_buttons = QHBoxLayout()
        result_buttons.addWidget(self.resolve_button)
        result_buttons.addStretch(1)
        result_buttons.addWidget(self.receipt_button)
        box = QVBoxLayout(self.result_box)
        box.addWidget(self.counts)
        box.addWidget(self.conflicts_caption)
        box.addWidget(self.conflicts, 1)
        box.addLayout(result_buttons)
        self.result_box.hide()

        self.import_button, self.close_button, buttons = self._action_buttons(
            "startImport", "closeImport", self.start_import
        )
        self.import_button.setEnabled(False)
        layout = QVBoxLayout(self)
        layout.addWidget(self._title)
        layout.addWidget(self._drop_hint)
        layout.addLayout(file_row)
        layout.addWidget(self.signer_box)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.result_box, 1)
        layout.addStretch(0)
        layout.addLayout(buttons)

    # -- choosing and checking ---------------------------------------------------------------
    def choose_file(self) -> None:
        t = self._t
        paths = dialogs.open_files(self, t.tr("import.choose_title"), t.tr("import.filter"),
                                   services.removable_places())  # fmt: skip
        if paths:
            self.set_file(paths[0])

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt API
        if self.task is None and bundle_paths(event):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt API
        paths = bundle_paths(event)
        if paths and self.task is None:
            event.acceptProposedAction()
            self.set_file(paths[0])

    def set_file(self, path: Path) -> None:
        """Start over with this file: run the outer check (nothing is decrypted)."""
        if self.task is not None:
            return
        self.path = Path(path)
        self.check = None
        self.import_result = None
        self.receipt = None
        self.error_message = ""
        self.file_edit.setText(str(self.path))
        self.signer_box.hide()
        self.result_box.hide()
        self.status.setText(self._t.tr("import.checking"))
        self._run(services.verify_work(self._session, self.path), self._checked)

    def _checked(self, check: OuterCheck) -> None:
        self.check = check
        t = self._t
        contact = check.signer.contact
        self.signer_name.setText(safe_text(check.signer_name))
        self.signer_fingerprint.set_fingerprint(check.signer.fingerprint)
        status = {STATUS_OWN: "import.status_own", STATUS_REVOKED: "import.status_revoked"}.get(
            check.status, "import.status_trusted")
        self.signer_status.setText(t.tr(status))
        self.signer_status.setProperty("verdict", check.status.replace(" ", "_"))
        self.signer_seq.setText(str(check.seq))
        revoked = check.status == STATUS_REVOKED
        if revoked and contact is not None:
            self.revoked_warning.setText(t.tr("import.revoked_note",
                                              date=str(contact.revoked_at)[:10]))
        self.revoked_warning.setVisible(revoked)
        self.signer_box.show()
        self.status.setText(t.tr("import.checked"))

    # -- importing ---------------------------------------------------------------------------
    def start_import(self) -> None:
        if self.task is not None or self.path is None or self.check is None:
            return
        self.status.setText(self._t.tr("import.running"))
        self._run(services.import_work(self._session, self.path), self._imported)

    def _imported(self, result: ImportResult) -> None:
        self.import_result = result
        t = self._t
        if result.already_imported:
            self.status.setText(t.tr("import.already"))
        else:
            self.status.setText(t.tr("import.done", name=safe_text(result.author_name)))
        lines = [
            t.tr("import.new_revisions", n=result.new_revisions),
            t.tr("import.already_had", n=result.already_had),
            t.tr("import.attachments", n=result.attachments),
            t.tr("import.conflicts", n=len(result.conflicts)),
            t.tr("import.waiting", n=len(result.waiting)),
            t.tr("import.gaps", runs=self._gap_text(result) or "—"),
        ]
        if result.withheld:
            lines.append(t.tr("import.sender_withheld", n=result.withheld))
        if result.signer_revoked:
            lines.append(t.tr("import.marked_revoked"))
        if result.receipts:
            lines.append(t.tr("import.was_receipt", n=len(result.receipts)))
        lines.extend(safe_text(w) for w in result.warnings)
        self.counts.setText("\n".join(lines))
        self.conflicts.clear()
        for case_id in sorted(result.conflicts):
            item = QListWidgetItem(services.pseudonym_of(self._session, case_id))
            item.setData(CASE_ID_ROLE, case_id)
            self.conflicts.addItem(item)
        if self.conflicts.count():
            self.conflicts.setCurrentRow(0)
        has_conflicts = bool(result.conflicts)
        self.conflicts.setVisible(has_conflicts)
        self.conflicts_caption.setVisible(has_conflicts)
        self.resolve_button.setVisible(has_conflicts)
        self.receipt_button.setVisible(services.receipt_allowed(self._session, result))
        self.result_box.show()
        self.imported.emit(result)

    @staticmethod
    def _gap_text(result: ImportResult) -> str:
        runs = [f"{a}" if a == b else f"{a}–{b}"
                for gaps in result.gaps.values() for a, b in gaps]  # fmt: skip
        return ", ".join(runs)

    def _resolve_item(self, item: QListWidgetItem | None) -> None:
        if item is not None:
            self.resolveRequested.emit(str(item.data(CASE_ID_ROLE)))

    def save_receipt(self) -> None:
        result = self.import_result
        if result is None or self.task is not None:
            return
        t = self._t
        chosen = dialogs.save_file(self, t.tr("import.receipt_title"),
                                   services.suggested_bundle_name(),
                                   services.removable_places())  # fmt: skip
        if chosen is None:
            return
        path = services.bundle_file_name(chosen)
        self.status.setText(t.tr("import.receipt_running"))
        self._run(services.receipt_work(self._session, result, path), self._receipt_written)

    def _receipt_written(self, written: ReceiptWritten) -> None:
        self.receipt = written
        self.receipt_button.setEnabled(False)
        self.status.setText(self._t.tr("import.receipt_done", file=written.path.name,
                                       n=written.items))

    # -- worker plumbing ---------------------------------------------------------------------
    def _run(self, work: object, on_success: object) -> None:
        def succeeded(value: object) -> None:
            self.task = None
            if not self._gone:
                self.progress.hide()
                on_success(value)  # type: ignore[operator]
                self._update()
                # Focus the next step (a disabled button cannot take it before _update).
                next_button = self.import_button if self.import_button.isEnabled() \
                    and self.import_button.isVisible() else self.close_button
                next_button.setFocus()

        self.progress.setRange(0, 0)
        self.progress.show()
        self.task = self._runner.start(work, on_success=succeeded,  # type: ignore[arg-type]
                                       on_failure=self._failed, on_progress=self._progressed)
        self._update()

    def _progressed(self, done: int, total: int, _what: str) -> None:
        if not self._gone and total > 0:
            self.progress.setRange(0, 1000)
            self.progress.setValue(int(1000 * min(done, total) / total))

    def _failed(self, exc: BaseException) -> None:
        self.task = None
        if self._gone:
            return
        self.progress.hide()
        t = self._t
        if isinstance(exc, Cancelled):
            self.status.setText(t.tr("import.cancelled"))
        else:
            if isinstance(exc, IntakeError):
                message = exc.message
            else:
                log.error("import failed: %s", type(exc).__name__)
                message = t.tr("error.unexpected")
            self.error_message = message
            self.status.setText(t.tr("import.refused_status"))
            dialogs.error(self, t.tr("import.refused_title"), message)
        self._update()

    def _update(self) -> None:
        running = self.task is not None
        can_import = self.check is not None and self.import_result is None
        self.import_button.setEnabled(can_import and not running)
        self.import_button.setVisible(self.import_result is None)
        self.choose_button.setEnabled(not running)
        t = self._t
        self.close_button.setText(t.tr("common.cancel") if running else t.tr("import.close"))

    def retranslate(self) -> None:
        t = self._t
        self.setWindowTitle(t.tr("import.title"))
        self._title.setText(t.tr("import.title"))
        self._drop_hint.setText(t.tr("import.drop_hint"))
        self.file_edit.setAccessibleName(t.tr("import.file"))
        self.file_edit.setPlaceholderText(t.tr("import.no_file"))
        self.choose_button.setText(t.tr("import.choose"))
        self.signer_box.setTitle(t.tr("import.signer"))
        for caption, key in zip(self._signer_captions, ("import.signer_name",
                                "contacts.fingerprint", "import.signer_status", "import.seq"),
                                strict=True):  # fmt: skip
            caption.setText(t.tr(key))
        self.signer_fingerprint.setAccessibleName(t.tr("contacts.fingerprint"))
        self.progress.setAccessibleName(t.tr("import.progress"))
        self.result_box.setTitle(t.tr("import.result"))
        self.conflicts.setAccessibleName(t.tr("import.conflict_list"))
        self.conflicts_caption.setText(t.tr("import.conflict_hint"))
        self.resolve_button.setText(t.tr("import.resolve"))
        self.receipt_button.setText(t.tr("import.save_receipt"))
        self.import_button.setText(t.tr("import.start"))
        self._update()
