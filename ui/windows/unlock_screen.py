"""Unlock a vault: passphrase, or the OS keyring where the owner chose to remember it."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ui.i18n import Translator
from ui.windows.vault_screen import wrapping_label


class UnlockScreen(QWidget):
    unlockRequested = Signal(Path, str)  # folder, passphrase
    keyringUnlockRequested = Signal(Path)
    otherVaultRequested = Signal()

    def __init__(self, translator: Translator, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._t = translator
        self._folder = Path()
        self._keyring_allowed = True
        self.setObjectName("unlockScreen")
        self._title = wrapping_label(self, "screenTitle")
        self._folder_label = wrapping_label(self, "folderPath")
        self._prompt = wrapping_label(self)
        self.passphrase = QLineEdit(self)
        self.passphrase.setObjectName("passphrase")
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase.returnPressed.connect(self._submit)
        self._prompt.setBuddy(self.passphrase)
        self.unlock_button = QPushButton(self)
        self.unlock_button.setObjectName("unlock")
        self.unlock_button.setDefault(True)
        self.unlock_button.clicked.connect(self._submit)
        self.keyring_button = QPushButton(self)
        self.keyring_button.setObjectName("unlockKeyring")
        self.keyring_button.clicked.connect(lambda: self.keyringUnlockRequested.emit(self._folder))
        self.other_button = QPushButton(self)
        self.other_button.setObjectName("otherVault")
        self.other_button.clicked.connect(self.otherVaultRequested)
        self.busy = QProgressBar(self)
        self.busy.setRange(0, 0)  # Argon2 gives no progress: an indeterminate bar
        self.busy.setVisible(False)
        self._status = wrapping_label(self, "status")
        self._panic_note = wrapping_label(self, "note")
        self._panic_note.setVisible(False)

        buttons = QHBoxLayout()
        buttons.addWidget(self.unlock_button)
        buttons.addWidget(self.keyring_button)
        buttons.addStretch(1)
        buttons.addWidget(self.other_button)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(self._title)
        layout.addWidget(self._folder_label)
        layout.addWidget(self._prompt)
        layout.addWidget(self.passphrase)
        layout.addLayout(buttons)
        layout.addWidget(self.busy)
        layout.addWidget(self._status)
        layout.addWidget(self._panic_note)
        layout.addStretch(2)
        translator.languageChanged.connect(self.retranslate)
        self.retranslate()

    def prepare(self, folder: Path, keyring_allowed: bool, panic: bool) -> None:
        """Show the screen for `folder`; after a panic lock only the passphrase unlocks."""
        self._folder = folder
        self._keyring_allowed = keyring_allowed and not panic
        self._folder_label.setText(str(folder))
        self.keyring_button.setVisible(self._keyring_allowed)
        self._panic_note.setVisible(panic)
        self.passphrase.clear()
        self._status.clear()
        self.set_busy(False)
        self.passphrase.setFocus(Qt.FocusReason.OtherFocusReason)

    @property
    def folder(self) -> Path:
        return self._folder

    def _submit(self) -> None:
        if not self.unlock_button.isEnabled():
            return
        self.unlockRequested.emit(self._folder, self.passphrase.text())

    def set_busy(self, busy: bool) -> None:
        self.busy.setVisible(busy)
        for widget in (self.passphrase, self.unlock_button, self.keyring_button,
                       self.other_button):
            widget.setEnabled(not busy)
        self._status.setText(self._t.tr("unlock.working") if busy else "")

    def retranslate(self) -> None:
        t = self._t
        self._title.setText(t.tr("unlock.title"))
        self._prompt.setText(t.tr("unlock.prompt"))
        self.unlock_button.setText(t.tr("unlock.button"))
        self.keyring_button.setText(t.tr("unlock.keyring"))
        self.other_button.setText(t.tr("unlock.other"))
        self._panic_note.setText(t.tr("unlock.after_panic"))
        self.passphrase.setAccessibleName(t.tr("unlock.prompt"))
        self.unlock_button.setAccessibleName(t.tr("unlock.button"))
        self.keyring_button.setAccessibleName(t.tr("unlock.keyring"))
        self.other_button.setAccessibleName(t.tr("unlock.other"))



