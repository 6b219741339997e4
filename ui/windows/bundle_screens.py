"""Export, import, contacts and conflict resolution, wired into the unlocked window.

Created with the case screens at unlock and destroyed with them at lock: the dialogs are
closed (a running export or import is cancelled by the window's lock first), the screens
cleared and deleted, and the window stops accepting dropped bundles.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QDialog, QWidget

from ui.windows.import_dialog import bundle_paths

if TYPE_CHECKING:
    from ui.session import Session
    from ui.windows.case_screens import CaseScreens
    from ui.windows.conflict_view import ConflictView
    from ui.windows.contacts_screen import ContactsScreen
    from ui.windows.main_window import MainWindow

log = logging.getLogger(__name__)


class BundleDrop(QObject):
    """Accepts `.intake` files dropped anywhere on the main window while it is unlocked."""

    def __init__(self, window: MainWindow, screens: BundleScreens) -> None:
        super().__init__(window)
        self._window = window
        self._screens = screens

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        kind = event.type()
        if kind in (QEvent.Type.DragEnter, QEvent.Type.DragMove) and \
                isinstance(event, QDragEnterEvent | QDropEvent):
            if bundle_paths(event) and not self._window.privacy_on:
                event.acceptProposedAction()
                return True
        elif kind == QEvent.Type.Drop and isinstance(event, QDropEvent):
            paths = bundle_paths(event)
            if paths and not self._window.privacy_on:
                event.acceptProposedAction()
                self._screens.import_bundle(paths[0])
                return True
        return False


class BundleScreens:
    def __init__(self, window: MainWindow, session: Session, cases: CaseScreens) -> None:
        self._window = window
        self._session = session
        self._cases = cases
        self.dialogs: list[QDialog] = []
        self.contacts: ContactsScreen | None = None
        self.conflict: ConflictView | None = None
        self._drop = BundleDrop(window, self)
        window.setAcceptDrops(True)
        window.installEventFilter(self._drop)
        # Dialogs are windows of their own: the privacy screen and the panic key must blank
        # them too, at once (panic before the lock has even started).
        window.stack.currentChanged.connect(self._screen_changed)
        window.panicked.connect(self._hide_dialogs)
        self._hidden_for_privacy: list[QDialog] = []

    # -- dialogs ----------------------------------------------------------------------------
    def _keep(self, dialog: QDialog) -> None:
        self.dialogs.append(dialog)
        dialog.finished.connect(lambda _r: self._forget(dialog))
        dialog.show()
        dialog.raise_()

    def _hide_dialogs(self) -> None:
        for dialog in self.dialogs:
            if dialog.isVisible():
                dialog.hide()
                self._hidden_for_privacy.append(dialog)

    def _screen_changed(self, _index: int) -> None:
        if self._window.privacy_on:
            self._hide_dialogs()
            return
        for dialog in self._hidden_for_privacy:
            if dialog in self.dialogs:
                dialog.show()
        self._hidden_for_privacy = []

    def _forget(self, dialog: QDialog) -> None:
        if dialog in self.dialogs:
            self.dialogs.remove(dialog)
            dialog.deleteLater()

    def export(self) -> Any:
        from ui.windows.export_dialog import ExportDialog

        window = self._window
        dialog = ExportDialog(window.t, self._session, window.runner, window)
        self._keep(dialog)
        dialog.recipients.setFocus()
        return dialog

    def import_bundle(self, path: Path | None = None) -> Any:
        from ui.windows.import_dialog import ImportDialog

        window = self._window
        dialog = ImportDialog(window.t, self._session, window.runner, window)
        dialog.imported.connect(lambda _r: self._cases.case_list.refresh())
        dialog.resolveRequested.connect(lambda case_id: self._resolve_from(dialog, case_id))
        self._keep(dialog)
        if path is not None:
            dialog.set_file(path)
        else:
            dialog.choose_button.setFocus()
            dialog.choose_file()
        return dialog

    def _resolve_from(self, dialog: QDialog, case_id: str) -> None:
        dialog.done(QDialog.DialogCode.Accepted)
        self.resolve(case_id)

    # -- screens ----------------------------------------------------------------------------
    def _add_screen(self, screen: QWidget) -> None:
        self._cases.screens.append(screen)
        self._window.stack.addWidget(screen)

    def show_contacts(self) -> Any:
        if self.contacts is None:
            from ui.windows.contacts_screen import ContactsScreen

            self.contacts = ContactsScreen(self._window.t, self._session, self._window)
            self.contacts.closed.connect(self._cases.show_list)
            self._add_screen(self.contacts)
        self.contacts.refresh()
        self._window.stack.setCurrentWidget(self.contacts)
        self.contacts.table.setFocus()
        return self.contacts

    def resolve(self, case_id: str) -> Any:
        if self.conflict is None:
            from ui.windows.conflict_view import ConflictView

            window = self._window
            self.conflict = ConflictView(window.t, self._session, window.runner,
                                         self._cases.gazetteer, window)
            self.conflict.closed.connect(self._cases.show_list)
            self.conflict.resolved.connect(lambda cid, _rev: self._cases.show_history(cid))
            self._add_screen(self.conflict)
        if self.conflict.show_case(case_id):
            self._window.stack.setCurrentWidget(self.conflict)
        return self.conflict

    def destroy(self) -> None:
        self._window.stack.currentChanged.disconnect(self._screen_changed)
        self._window.panicked.disconnect(self._hide_dialogs)
        self._hidden_for_privacy = []
        self._window.removeEventFilter(self._drop)
        self._window.setAcceptDrops(False)
        for dialog in list(self.dialogs):
            dialog.done(QDialog.DialogCode.Rejected)
        self.dialogs = []
        for screen in (self.contacts, self.conflict):
            if screen is not None:
                screen.clear()
        self.contacts = self.conflict = None
