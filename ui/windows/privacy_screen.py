"""A blank screen for the moment someone walks into the room: the vault stays open."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QVBoxLayout, QWidget

from ui.i18n import Translator
from ui.windows.vault_screen import wrapping_label


class PrivacyScreen(QWidget):
    def __init__(self, translator: Translator, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("privacyScreen")
        self._t = translator
        self._hint = wrapping_label(self, "privacyHint")
        self._hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(self._hint)
        layout.addStretch(1)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        translator.languageChanged.connect(self.retranslate)
        self.retranslate()

    def retranslate(self) -> None:
        # Deliberately neutral: says nothing about what the application is for.
        self._hint.setText(self._t.tr("privacy.hint"))
