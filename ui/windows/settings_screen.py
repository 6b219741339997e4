"""Settings: screen language, interview language, idle lock, keyring remember/forget."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from intake_app.errors import IntakeError
from ui import dialogs
from ui.i18n import LANGUAGE_NAMES, LANGUAGES, Translator
from ui.locking import IdleWatcher
from ui.settings import MAX_IDLE_MINUTES, MIN_IDLE_MINUTES, AppSettings
from ui.windows.lifecycle_panels import VaultLifecyclePanel
from ui.windows.vault_screen import wrapping_label


class SettingsScreen(QWidget):
    closed = Signal()

    def __init__(self, translator: Translator, settings: AppSettings, idle: IdleWatcher,
                 session: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("settingsScreen")
        self._t = translator
        self._settings = settings
        self._idle = idle
        self._session = session
        self._title = wrapping_label(self, "screenTitle")
        self.screen_language = QComboBox(self)
        self.screen_language.setObjectName("screenLanguage")
        self.interview_language = QComboBox(self)
        self.interview_language.setObjectName("interviewLanguage")
        for box in (self.screen_language, self.interview_language):
            box.addItems([LANGUAGE_NAMES[lang] for lang in LANGUAGES])
        self.screen_language.setCurrentIndex(LANGUAGES.index(translator.language))
        self.interview_language.setCurrentIndex(LANGUAGES.index(translator.interview_language))
        self.screen_language.currentIndexChanged.connect(self._screen_language)
        self.interview_language.currentIndexChanged.connect(self._interview_language)
        self.idle_minutes = QSpinBox(self)
        self.idle_minutes.setObjectName("idleMinutes")
        self.idle_minutes.setRange(MIN_IDLE_MINUTES, MAX_IDLE_MINUTES)
        self.idle_minutes.setValue(settings.idle_minutes)
        self.idle_minutes.valueChanged.connect(self._idle_changed)
        self._keyring_note = wrapping_label(self, "note")
        self._keys_note = wrapping_label(self, "note")
        self._keys_note.setObjectName("keysNote")
        self.remember_button = QPushButton(self)
        self.remember_button.setObjectName("rememberKeyring")
        self.remember_button.clicked.connect(self._remember)
        self.forget_button = QPushButton(self)
        self.forget_button.setObjectName("forgetKeyring")
        self.forget_button.clicked.connect(self._forget)
        self.back_button = QPushButton(self)
        self.back_button.setObjectName("closeSettings")
        self.back_button.clicked.connect(self.closed)

        self._labels = [wrapping_label(self) for _ in range(3)]
        # Labels above their fields, full width: long Kazakh labels wrap, never clip (a
        # QFormLayout clipped them: it gives wrapped labels too little height).
        form = QVBoxLayout()
        for label, field in zip(self._labels, (self.screen_language, self.interview_language,
                                               self.idle_minutes), strict=True):
            label.setBuddy(field)
            form.addWidget(label)
            form.addWidget(field, 0, Qt.AlignmentFlag.AlignLeft)
            form.addSpacing(6)
        keyring_row = QHBoxLayout()
        keyring_row.addWidget(self.remember_button)
        keyring_row.addWidget(self.forget_button)
        keyring_row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self._title)
        layout.addLayout(form)
        layout.addWidget(self._keyring_note)
        layout.addLayout(keyring_row)
        # Backup and destroy (helper-15, lifecycle).
        self.lifecycle = VaultLifecyclePanel(translator, session, self)
        self.lifecycle.setEnabled(getattr(session, "vault", None) is not None)
        layout.addWidget(self.lifecycle)
        layout.addSpacing(12)
        layout.addWidget(self._keys_note)
        layout.addStretch(1)
        layout.addWidget(self.back_button, 0, Qt.AlignmentFlag.AlignRight)
        translator.languageChanged.connect(self.retranslate)
        self.retranslate()
        self._update_keyring()

    def _screen_language(self, index: int) -> None:
        self._settings.language = LANGUAGES[index]
        self._t.set_language(LANGUAGES[index])

    def _interview_language(self, index: int) -> None:
        self._settings.interview_language = LANGUAGES[index]
        self._t.set_interview_language(LANGUAGES[index])

    def _idle_changed(self, minutes: int) -> None:
        self._settings.idle_minutes = minutes
        self._idle.set_minutes(minutes)

    def _update_keyring(self) -> None:
        vault = getattr(self._session, "vault", None)
        open_ = vault is not None
        remembered = vault is not None and bool(vault.remembered_in_keyring)
        self.remember_button.setEnabled(open_ and not remembered)
        self.forget_button.setEnabled(open_ and remembered)

    def _remember(self) -> None:
        t = self._t
        if not dialogs.ask(self, t.tr("keyring.title"), t.tr("create.remember_note"),
                           t.tr("keyring.remember"), t.tr("common.cancel")):
            return
        try:
            self._session.vault.remember_in_keyring()
        except IntakeError as exc:
            dialogs.warning(self, t.tr("keyring.title"), exc.message)
        self._update_keyring()

    def _forget(self) -> None:
        try:
            self._session.vault.forget_keyring()
        except IntakeError as exc:
            dialogs.warning(self, self._t.tr("keyring.title"), exc.message)
        self._update_keyring()

    def retranslate(self) -> None:
        t = self._t
        self._title.setText(t.tr("settings.title"))
        texts = (t.tr("settings.screen_language"), t.tr("settings.interview_language"),
                 t.tr("settings.idle_minutes"))
        for label, text, field in zip(self._labels, texts, (
                self.screen_language, self.interview_language, self.idle_minutes), strict=True):
            label.setText(text)
            field.setAccessibleName(text)
        self._keyring_note.setText(t.tr("settings.keyring_note"))
        self._keys_note.setText(t.tr("settings.keys"))
        self.remember_button.setText(t.tr("keyring.remember"))
        self.forget_button.setText(t.tr("keyring.forget"))
        self.back_button.setText(t.tr("settings.close"))
