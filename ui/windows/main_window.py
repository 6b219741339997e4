"""The main window: a stack of screens, the lock, the panic key and the privacy screen.

Screens that show case data exist only while the vault is open: locking commits the open
interview, destroys those screens (their models and editors with them), closes the vault and
keeps in memory only where the user was (case id and section id) to return there after unlock.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QApplication, QMainWindow, QStackedWidget, QToolBar, QWidget

from intake_app.errors import IntakeError, KeyringUnavailable, VaultDamaged, WrongPassphrase
from intake_app.paths import resolve_vault_dir
from ui import dialogs
from ui.i18n import Translator
from ui.locking import IdleWatcher
from ui.session import (
    Session,
    as_work,
    create_vault,
    holds_vault,
    open_vault,
    remembered_in_keyring,
)
from ui.settings import AppSettings
from ui.windows.privacy_screen import PrivacyScreen
from ui.windows.unlock_screen import UnlockScreen
from ui.windows.vault_screen import VaultScreen
from ui.workers import TaskRunner

log = logging.getLogger(__name__)

LOCK_KEY = QKeySequence("Ctrl+L")
PANIC_KEY = QKeySequence("Ctrl+Shift+X")
PRIVACY_KEY = QKeySequence("F12")


def initial_folder(settings: AppSettings) -> Path:
    """INTAKE_VAULT (an explicit choice) wins, then the last vault used, then the default."""
    if os.environ.get("INTAKE_VAULT"):
        return resolve_vault_dir(None)
    return settings.last_vault_folder or resolve_vault_dir(None)


class MainWindow(QMainWindow):
    locked = Signal()
    unlocked = Signal()
    panicked = Signal()

    def __init__(
        self,
        translator: Translator,
        settings: AppSettings,
        idle: IdleWatcher,
        runner: TaskRunner | None = None,
        *,
        opener: Callable[[Path, str | None, bool], Session] = open_vault,
        creator: Callable[..., tuple[Session, str | None]] = create_vault,
    ) -> None:
        super().__init__()
        self.t = translator
        self.settings = settings
        self.idle = idle
        self.runner = runner or TaskRunner(self)
        self._opener = opener
        self._creator = creator
        self.session: Session | None = None
        self.resume: tuple[str, str | None] | None = None  # (case id, section id): memory only
        self.panic_locked = False
        self.case_screens: Any = None  # ui.windows.case_screens.CaseScreens while unlocked

        self.setObjectName("mainWindow")
        self.stack = QStackedWidget(self)
        self.setCentralWidget(self.stack)
        self._initial_folder = initial_folder(settings)
        self._vault_screen: VaultScreen | None = None  # built when first shown
        self.unlock_screen = UnlockScreen(translator, self)
        self.privacy_screen = PrivacyScreen(translator, self)
        for screen in (self.unlock_screen, self.privacy_screen):
            self.stack.addWidget(screen)
        self._privacy_return: QWidget | None = None
        self._settings_screen: QWidget | None = None

        self.unlock_screen.unlockRequested.connect(self._unlock)
        self.unlock_screen.keyringUnlockRequested.connect(self._unlock_with_keyring)
        self.unlock_screen.otherVaultRequested.connect(self.show_vault_picker)
        idle.idle.connect(self._on_idle)
        self._build_actions()
        translator.languageChanged.connect(self.retranslate)
        self.retranslate()
        geometry = settings.geometry
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1100, 760)
        folder = self._initial_folder
        if holds_vault(folder):
            self.show_unlock(folder)
        else:
            self.show_vault_picker()

    # -- actions -----------------------------------------------------------------------------
    def _build_actions(self) -> None:
        # A slot's return value is ignored (e.g. QWidget.close's bool).
        def action(name: str, keys: QKeySequence | None, slot: Callable[[], object]) -> QAction:
            act = QAction(self)
            act.setObjectName(name)
            if keys is not None:
                act.setShortcut(keys)
            act.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            act.triggered.connect(slot)
            self.addAction(act)
            return act

        self.lock_action = action("lockAction", LOCK_KEY, self.lock)
        self.panic_action = action("panicAction", PANIC_KEY, self.panic)
        self.privacy_action = action("privacyAction", PRIVACY_KEY, self.toggle_privacy)
        self.new_case_action = action("newCaseAction", QKeySequence("Ctrl+N"), self._new_case)
        self.new_paper_case_action = action("newPaperCaseAction", QKeySequence("Ctrl+Shift+N"),
                                            lambda: self._on_cases("new_paper_case"))
        self.due_action = action("dueAction", QKeySequence("Ctrl+D"),
                                 lambda: self._on_cases("show_due"))
        self.settings_action = action("settingsAction", QKeySequence("Ctrl+,"),
                                      self._show_settings)
        self.quit_action = action("quitAction", QKeySequence("Ctrl+Q"), self.close)
        # Navigation (helper-11): the case list and the dashboard for every role; the
        # dashboard is emphasised (bold) for coordinators. Shown only while unlocked.
        self.cases_action = action("casesAction", QKeySequence("Ctrl+1"), self._show_cases)
        self.dashboard_action = action("dashboardAction", QKeySequence("Ctrl+2"),
                                       self._show_dashboard)
        # Bundles and trust (helper-15): export/import dialogs, the contacts screen.
        self.contacts_action = action("contactsAction", QKeySequence("Ctrl+3"),
                                      lambda: self._on_bundles("show_contacts"))
        self.export_action = action("exportAction", QKeySequence("Ctrl+E"),
                                    lambda: self._on_bundles("export"))
        self.import_action = action("importAction", QKeySequence("Ctrl+I"),
                                    lambda: self._on_bundles("import_bundle"))
        self.nav_bar = QToolBar(self)
        self.nav_bar.setObjectName("navigationBar")
        self.nav_bar.setMovable(False)
        self.nav_bar.addAction(self.cases_action)
        self.nav_bar.addAction(self.dashboard_action)
        for act in (self.contacts_action, self.export_action, self.import_action):
            self.nav_bar.addAction(act)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.nav_bar)
        self.vault_menu = self.menuBar().addMenu("")
        for act in (self.new_case_action, self.new_paper_case_action, self.due_action,
                    self.export_action, self.import_action, self.contacts_action,
                    self.settings_action, self.lock_action,
                    self.privacy_action, self.panic_action, self.quit_action):
            self.vault_menu.addAction(act)
        self._update_actions()

    def _update_actions(self) -> None:
        open_ = self.session is not None
        for act in (self.lock_action, self.new_case_action, self.privacy_action,
                    self.new_paper_case_action, self.due_action):
            act.setEnabled(open_)
        self.nav_bar.setVisible(open_)
        for act in (self.cases_action, self.dashboard_action, self.contacts_action,
                    self.export_action, self.import_action):
            act.setEnabled(open_)
        font = self.dashboard_action.font()
        font.setBold(self.session is not None and self.session.vault.identity.role == "coordinator")
        self.dashboard_action.setFont(font)

    def retranslate(self) -> None:
        t = self.t
        # The title never names a case or a person: only the application.
        self.setWindowTitle(t.tr("app.title"))
        self.vault_menu.setTitle(t.tr("menu.vault"))
        self.lock_action.setText(t.tr("action.lock"))
        self.panic_action.setText(t.tr("action.panic"))
        self.privacy_action.setText(t.tr("action.privacy"))
        self.new_case_action.setText(t.tr("action.new_case"))
        self.new_paper_case_action.setText(t.tr("action.new_paper_case"))
        self.due_action.setText(t.tr("action.due"))
        self.settings_action.setText(t.tr("action.settings"))
        self.quit_action.setText(t.tr("action.quit"))
        self.cases_action.setText(t.tr("action.cases"))
        self.dashboard_action.setText(t.tr("action.dashboard"))
        self.nav_bar.setWindowTitle(t.tr("nav.title"))
        self.contacts_action.setText(t.tr("action.contacts"))
        self.export_action.setText(t.tr("action.export"))
        self.import_action.setText(t.tr("action.import"))

    # -- vault picking, creating, unlocking ------------------------------------------------
    @property
    def vault_screen(self) -> VaultScreen:
        """The vault picker, built the first time it is needed: most launches go straight to
        the unlock window, and building this form was a third of the time to paint it."""
        if self._vault_screen is None:
            screen = VaultScreen(self.t, self._initial_folder, self)
            screen.openRequested.connect(self.show_unlock)
            screen.createRequested.connect(self._create_vault)
            self.stack.addWidget(screen)
            self._vault_screen = screen
        return self._vault_screen

    def show_vault_picker(self) -> None:
        self.stack.setCurrentWidget(self.vault_screen)

    def show_unlock(self, folder: Path) -> None:
        self.unlock_screen.prepare(folder, keyring_allowed=remembered_in_keyring(folder),
                                   panic=self.panic_locked)
        self.stack.setCurrentWidget(self.unlock_screen)
        self.unlock_screen.passphrase.setFocus()

    def _create_vault(self, folder: Path, passphrase: str, name: str, role: str,
                      remember: bool) -> None:
        self.vault_screen.set_busy(True)
        self.vault_screen.clear_secrets()
        self.runner.start(as_work(self._creator, folder, passphrase, name, role, remember),
                          on_success=self._created, on_failure=self._create_failed)

    def _created(self, result: tuple[Session, str | None]) -> None:
        session, keyring_problem = result
        self.vault_screen.set_busy(False)
        if keyring_problem:
            dialogs.warning(self, self.t.tr("keyring.title"), keyring_problem)
        self._enter(session)

    def _create_failed(self, exc: BaseException) -> None:
        self.vault_screen.set_busy(False)
        self._show_error(self.t.tr("create.title"), exc)

    def _unlock(self, folder: Path, passphrase: str) -> None:
        if not passphrase:
            return
        self.unlock_screen.set_busy(True)
        self.unlock_screen.passphrase.clear()
        self.runner.start(as_work(self._opener, folder, passphrase, False),
                          on_success=self._enter, on_failure=self._unlock_failed)

    def _unlock_with_keyring(self, folder: Path) -> None:
        if self.panic_locked:
            return  # after a panic lock only the passphrase unlocks
        self.unlock_screen.set_busy(True)
        self.runner.start(as_work(self._opener, folder, None, True),
                          on_success=self._enter, on_failure=self._unlock_failed)

    def _unlock_failed(self, exc: BaseException) -> None:
        self.unlock_screen.set_busy(False)
        t = self.t
        if isinstance(exc, WrongPassphrase):
            dialogs.warning(self, t.tr("unlock.wrong_title"), t.tr("unlock.wrong_text"))
        elif isinstance(exc, VaultDamaged):
            dialogs.error(self, t.tr("unlock.damaged_title"),
                          t.tr("unlock.damaged_text", detail=exc.message))
        elif isinstance(exc, KeyringUnavailable):
            dialogs.warning(self, t.tr("keyring.title"), exc.message)
        else:
            self._show_error(t.tr("unlock.title"), exc)
        self.unlock_screen.passphrase.setFocus()

    def _show_error(self, title: str, exc: BaseException) -> None:
        if isinstance(exc, IntakeError):
            dialogs.error(self, title, exc.message)
        else:
            log.error("unexpected failure: %s", type(exc).__name__)
            dialogs.error(self, title, self.t.tr("error.unexpected"))

    def _enter(self, session: Session) -> None:
        try:
            session.read_on_this_thread()  # opened on a worker; this is the GUI thread
        except IntakeError as exc:
            session.close()
            self._unlock_failed(exc)
            return
        self.session = session
        self.panic_locked = False
        self.settings.last_vault_folder = session.path
        from ui.windows.case_screens import CaseScreens

        self.case_screens = CaseScreens(self, session)
        self.case_screens.show_initial(self.resume)
        self.resume = None
        self.idle.start()
        self._update_actions()
        self.unlocked.emit()
        failed = int(getattr(session.vault, "failed_unlocks_reported", 0) or 0)
        if failed:
            # Someone may have tried this vault while its owner was away: say so once.
            dialogs.warning(self, self.t.tr("unlock.failed_attempts_title"),
                            self.t.tr("unlock.failed_attempts", n=failed))

    # -- locking -----------------------------------------------------------------------------
    def lock(self) -> None:
        self._lock(panic=False)

    def panic(self) -> None:
        """Hide every window of the application at once, then lock. Nothing is left in the
        taskbar; starting the application again (ui.single_instance) calls `reveal()`."""
        # Hide first, before any work: the screen must go blank at once. Every top-level
        # window (dialogs, menus, tooltips), not only this one, and hidden rather than
        # minimised, which would leave a taskbar entry with the case still in it.
        app = QApplication.instance()
        if isinstance(app, QApplication):
            for widget in app.topLevelWidgets():
                if widget.isVisible():
                    widget.hide()
        self.hide()
        self.panicked.emit()
        self._lock(panic=True)

    def reveal(self) -> None:
        """Show the window again (the application was started a second time). After a lock
        it shows only the unlock screen: the lock ran before the window could come back."""
        picker = self._vault_screen
        if self.session is None and (picker is None or self.stack.currentWidget() is not picker):
            self.show_unlock(self.unlock_screen.folder)
        self.showNormal()
        self.raise_()
        self.activateWindow()

    def _on_idle(self) -> None:
        if self.session is not None:
            self._lock(panic=False)

    def _lock(self, panic: bool) -> None:
        self.idle.stop()
        if self.session is None:
            self.panic_locked = self.panic_locked or panic
            return
        self.runner.cancel_all()
        self.runner.wait_all()
        if self.case_screens is not None:
            self.resume = self.case_screens.position()
            try:
                self.case_screens.commit_open_case()
            except IntakeError as exc:
                # The autosaved draft still holds every change; say so rather than lose it.
                log.warning("commit on lock failed: %s", type(exc).__name__)
            self.case_screens.destroy()
            self.case_screens = None
        self._close_settings()  # it holds the session for the keyring buttons
        folder = self.session.path
        self.session.close()
        self.session = None
        self.panic_locked = panic
        self._privacy_return = None
        self._update_actions()
        self.show_unlock(folder)
        self.locked.emit()

    def toggle_privacy(self) -> None:
        if self.stack.currentWidget() is self.privacy_screen:
            target = self._privacy_return
            self._privacy_return = None
            if target is not None and self.stack.indexOf(target) >= 0:
                self.stack.setCurrentWidget(target)
            return
        if self.session is None:
            return
        self._privacy_return = self.stack.currentWidget()
        self.stack.setCurrentWidget(self.privacy_screen)
        self.privacy_screen.setFocus()

    @property
    def privacy_on(self) -> bool:
        return self.stack.currentWidget() is self.privacy_screen

    # -- delegation to the case screens ----------------------------------------------------
    def _new_case(self) -> None:
        if self.case_screens is not None and not self.privacy_on:
            self.case_screens.new_case()

    def _on_cases(self, method: str) -> None:
        if self.case_screens is not None and not self.privacy_on:
            getattr(self.case_screens, method)()

    def _show_cases(self) -> None:
        if self.case_screens is not None and not self.privacy_on:
            self.case_screens.show_list()

    def _show_dashboard(self) -> None:
        if self.case_screens is not None and not self.privacy_on:
            self.case_screens.show_dashboard()

    def _on_bundles(self, method: str) -> None:
        if self.case_screens is not None and not self.privacy_on:
            getattr(self.case_screens.bundles, method)()

    def _show_settings(self) -> None:
        from ui.windows.settings_screen import SettingsScreen

        if self.privacy_on or self._settings_screen is not None:
            return
        previous = self.stack.currentWidget()
        screen = SettingsScreen(self.t, self.settings, self.idle, self.session, self)
        screen.lifecycle.destroyed_vault.connect(self._vault_destroyed)
        self._settings_screen = screen
        self.stack.addWidget(screen)
        self.stack.setCurrentWidget(screen)

        def back() -> None:
            target: QWidget | None = previous
            if target is None or self.stack.indexOf(target) < 0:
                target = self.unlock_screen if self.session is None else self.stack.widget(0)
            if target is not None:
                self.stack.setCurrentWidget(target)
            self._close_settings()

        screen.closed.connect(back)

    def _vault_destroyed(self) -> None:
        """The vault is gone: drop every screen of it and return to the vault picker (its
        unlock screen would point at a folder that no longer holds a vault)."""
        self.idle.stop()
        self.runner.cancel_all()
        self.runner.wait_all()
        if self.case_screens is not None:
            self.case_screens.destroy()  # nothing to commit: the vault no longer exists
            self.case_screens = None
        self._close_settings()
        session, self.session = self.session, None
        folder = session.path if session is not None else None
        if session is not None:
            try:
                session.close()
            except IntakeError as exc:
                log.info("closing a destroyed vault: %s", type(exc).__name__)
        self.resume = None
        self.panic_locked = False
        self._privacy_return = None
        self.settings.last_vault_folder = None
        self._update_actions()
        if folder is not None:
            self.vault_screen.set_folder(folder)  # offers to create a vault there
        self.show_vault_picker()
        self.locked.emit()

    def _close_settings(self) -> None:
        screen, self._settings_screen = self._settings_screen, None
        if screen is not None:
            self.stack.removeWidget(screen)
            screen.setParent(None)
            screen.deleteLater()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt API
        self.settings.geometry = self.saveGeometry()
        if self.session is not None:
            self._lock(panic=False)
        self.idle.stop()
        event.accept()
