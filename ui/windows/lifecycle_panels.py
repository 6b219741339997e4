"""The data lifecycle in the GUI: retracting a case (whole, or its identifying answers) and
erasing attachments a receipt confirmed, in the case view; backup and destroying the vault,
in the settings. Every destructive step says what will happen and asks first; long work runs
in a worker (TaskRunner), never in the GUI thread."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from intake_app.errors import IntakeError
from ui import dialogs
from ui.i18n import Translator
from ui.session import as_work
from ui.windows.vault_screen import wrapping_label
from ui.workers import TaskRunner


def _fingerprint(fp: str) -> str:
    return " ".join(fp[i : i + 4] for i in range(0, len(fp), 4))


class CaseLifecyclePanel(QWidget):
    """Retract / erase identifying answers / erase delivered attachments, for one case."""

    retracted = Signal(str)  # the case id: the owner refreshes the case list and view

    def __init__(
        self,
        translator: Translator,
        session: Any,
        parent: QWidget | None = None,
        runner: TaskRunner | None = None,
    ) -> None:
        super().__init__(parent)
        self._t = translator
        self._session = session
        self._runner = runner or TaskRunner(self)
        self.case_id: str | None = None
        self.delivered = wrapping_label(self, "deliveredTo")
        self.retract_button = QPushButton(self)
        self.retract_button.setObjectName("retractCase")
        self.retract_button.clicked.connect(lambda: self.retract(identifying_only=False))
        self.identifying_button = QPushButton(self)
        self.identifying_button.setObjectName("retractIdentifying")
        self.identifying_button.clicked.connect(lambda: self.retract(identifying_only=True))
        self.erase_button = QPushButton(self)
        self.erase_button.setObjectName("eraseDelivered")
        self.erase_button.clicked.connect(self.erase_delivered)
        row = QHBoxLayout()
        for button in (self.retract_button, self.identifying_button, self.erase_button):
            row.addWidget(button)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.delivered)
        layout.addLayout(row)
        translator.languageChanged.connect(self.retranslate)
        self.retranslate()

    def show_case(self, case_id: str | None) -> None:
        from intake_app.lifecycle import receipts, tombstone

        self.case_id = case_id
        if case_id is None:
            self.delivered.clear()
            return
        conn = self._session.vault.conn
        scope = tombstone.case_scope(conn, case_id)
        holders = receipts.delivered_to(conn, case_id)
        self.delivered.setText(
            self._t.tr("lifecycle.delivered_to", who=", ".join(map(_fingerprint, holders)))
            if holders
            else self._t.tr("lifecycle.not_delivered")
        )
        self.retract_button.setEnabled(scope != tombstone.SCOPE_CASE)
        self.identifying_button.setEnabled(scope is None)
        self.erase_button.setEnabled(bool(receipts.delivered_attachments(conn, case_id)))

    def question(self, identifying_only: bool) -> str:
        from intake_app.lifecycle import tombstone

        assert self.case_id is not None
        sent_to = len(tombstone.recipients_of_case(self._session.vault.conn, self.case_id))
        key = "lifecycle.retract_identifying_text" if identifying_only else "lifecycle.retract_text"
        text = self._t.tr(key)
        follow = (
            self._t.tr("lifecycle.tombstone_goes", n=sent_to)
            if sent_to
            else self._t.tr("lifecycle.tombstone_nowhere")
        )
        return f"{text} {follow} {self._t.tr('lifecycle.cannot_undo')}"

    def retract(self, identifying_only: bool) -> None:
        from intake_app.lifecycle import tombstone

        if self.case_id is None:
            return
        t = self._t
        if not dialogs.ask(
            self,
            t.tr("lifecycle.retract_title"),
            self.question(identifying_only),
            t.tr("lifecycle.retract_confirm"),
            t.tr("common.cancel"),
        ):
            return
        case_id = self.case_id
        work = as_work(tombstone.retract, self._session.vault, case_id)
        if identifying_only:
            work = as_work(
                lambda v, c: tombstone.retract(v, c, identifying_only=True),
                self._session.vault,
                case_id,
            )
        self._run(work, lambda _r: self._retracted(case_id))

    def _retracted(self, case_id: str) -> None:
        dialogs.info(self, self._t.tr("lifecycle.retract_title"), self._t.tr("lifecycle.retracted"))
        self.show_case(case_id)
        self.retracted.emit(case_id)

    def erase_delivered(self) -> None:
        from intake_app.lifecycle import receipts

        if self.case_id is None:
            return
        t = self._t
        count = len(receipts.delivered_attachments(self._session.vault.conn, self.case_id))
        if not dialogs.ask(
            self,
            t.tr("lifecycle.erase_title"),
            t.tr("lifecycle.erase_text", n=count),
            t.tr("lifecycle.erase_confirm"),
            t.tr("common.cancel"),
        ):
            return
        case_id = self.case_id
        self._run(
            as_work(receipts.erase_delivered_attachments, self._session.vault, case_id),
            lambda _r: self.show_case(case_id),
        )

    def _run(self, work: Any, done: Any) -> None:
        self.setEnabled(False)

        def ok(result: object) -> None:
            self.setEnabled(True)
            done(result)

        def failed(exc: BaseException) -> None:
            self.setEnabled(True)
            text = exc.message if isinstance(exc, IntakeError) else self._t.tr("lifecycle.failed")
            dialogs.warning(self, self._t.tr("lifecycle.retract_title"), text)

        self._runner.start(work, ok, failed)

    def retranslate(self) -> None:
        t = self._t
        self.retract_button.setText(t.tr("lifecycle.retract"))
        self.identifying_button.setText(t.tr("lifecycle.retract_identifying"))
        self.erase_button.setText(t.tr("lifecycle.erase_delivered"))
        if self.case_id is not None:
            self.show_case(self.case_id)


class DestroyDialog(QDialog):
    """Says what destroying does and cannot do; the button works only once the vault's name
    is typed exactly."""

    def __init__(self, translator: Translator, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("destroyDialog")
        self.setModal(True)
        t = translator
        self._name = name
        self.setWindowTitle(t.tr("lifecycle.destroy_title"))
        text = wrapping_label(self)
        text.setText(t.tr("lifecycle.destroy_text"))
        limits = wrapping_label(self, "destroyLimits")
        limits.setText(t.tr("lifecycle.destroy_limits"))
        prompt = wrapping_label(self)
        prompt.setText(t.tr("lifecycle.destroy_type_name"))
        self.name_edit = QLineEdit(self)
        self.name_edit.setObjectName("destroyName")
        self.name_edit.setAccessibleName(t.tr("lifecycle.destroy_type_name"))
        prompt.setBuddy(self.name_edit)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        cancel = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        if cancel is not None:  # our word, not Qt's: Kazakh screens showed "Cancel"
            cancel.setText(t.tr("common.cancel"))
        self.destroy_button = self.buttons.addButton(
            t.tr("lifecycle.destroy_confirm"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.destroy_button.setObjectName("confirmDestroy")
        self.destroy_button.setEnabled(False)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.name_edit.textChanged.connect(
            lambda s: self.destroy_button.setEnabled(s.strip() == self._name)
        )
        layout = QVBoxLayout(self)
        for widget in (text, limits, prompt, self.name_edit, self.buttons):
            layout.addWidget(widget)

    def typed_name(self) -> str:
        return self.name_edit.text()


class VaultLifecyclePanel(QWidget):
    """Backup to a file and destroying the vault (settings)."""

    destroyed_vault = Signal()  # the owner closes the session and returns to the vault picker

    def __init__(
        self,
        translator: Translator,
        session: Any,
        parent: QWidget | None = None,
        runner: TaskRunner | None = None,
    ) -> None:
        super().__init__(parent)
        self._t = translator
        self._session = session
        self._runner = runner or TaskRunner(self)
        self.note = wrapping_label(self, "note")
        self.backup_button = QPushButton(self)
        self.backup_button.setObjectName("backupVault")
        self.backup_button.clicked.connect(self.backup)
        self.destroy_button = QPushButton(self)
        self.destroy_button.setObjectName("destroyVault")
        self.destroy_button.clicked.connect(self.ask_destroy)
        self.status = wrapping_label(self, "backupStatus")
        row = QHBoxLayout()
        row.addWidget(self.backup_button)
        row.addWidget(self.destroy_button)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.note)
        layout.addLayout(row)
        layout.addWidget(self.status)
        translator.languageChanged.connect(self.retranslate)
        self.retranslate()
        self.destroy_dialog: DestroyDialog | None = None

    def backup(self) -> None:
        from intake_app.lifecycle.backup import backup

        t = self._t
        path = dialogs.save_file(self, t.tr("lifecycle.backup_title"), "vault.backup")
        if path is None:
            return
        self.backup_button.setEnabled(False)
        self.status.setText(t.tr("lifecycle.backup_running"))

        def work(progress: Any, cancel: Any) -> Any:
            return backup(self._session.vault, Path(path), progress=progress, cancel=cancel)

        def ok(done: Any) -> None:
            self.backup_button.setEnabled(True)
            self.status.setText(t.tr("lifecycle.backup_done", file=done.path.name, n=done.cases))

        def failed(exc: BaseException) -> None:
            self.backup_button.setEnabled(True)
            self.status.clear()
            text = exc.message if isinstance(exc, IntakeError) else t.tr("lifecycle.failed")
            dialogs.warning(self, t.tr("lifecycle.backup_title"), text)

        self._runner.start(work, ok, failed)

    # Not `destroy`: that would shadow QWidget.destroy, which Qt's own teardown means.
    def ask_destroy(self) -> None:
        """Open the destroy dialog (non-blocking); `_destroy` runs when it is accepted."""
        dialog = DestroyDialog(self._t, self._session.vault.identity.name, self)
        dialog.accepted.connect(lambda: self._destroy(dialog.typed_name()))
        dialog.finished.connect(lambda _code: setattr(self, "destroy_dialog", None))
        self.destroy_dialog = dialog
        dialog.open()

    def _destroy(self, typed: str) -> None:
        from intake_app.lifecycle.destroy import destroy

        try:
            destroy(self._session.vault, typed)
        except IntakeError as exc:
            dialogs.warning(self, self._t.tr("lifecycle.destroy_title"), exc.message)
            return
        dialogs.info(self, self._t.tr("lifecycle.destroy_title"), self._t.tr("lifecycle.destroyed"))
        self.destroyed_vault.emit()
        lock = getattr(self.window(), "lock", None)  # the main window drops the closed session
        if callable(lock):
            lock()

    def retranslate(self) -> None:
        t = self._t
        self.note.setText(t.tr("lifecycle.settings_note"))
        self.backup_button.setText(t.tr("lifecycle.backup"))
        self.destroy_button.setText(t.tr("lifecycle.destroy"))
