"""Pick a vault folder (several vaults on a shared laptop) or create a vault in it."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from intake_app.paths import resolve_vault_dir
from ui import dialogs
from ui.i18n import Translator
from ui.session import holds_vault
from ui.widgets.strength import MIN_LENGTH, StrengthMeter

ROLES = ("monitor", "lawyer", "coordinator")


def wrapping_label(parent: QWidget | None = None, name: str = "") -> QLabel:
    label = QLabel(parent)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    if name:
        label.setObjectName(name)
    return label


class VaultScreen(QWidget):
    """Emits `openRequested(folder)` for an existing vault, `createRequested(...)` for a new one."""

    openRequested = Signal(Path)
    createRequested = Signal(Path, str, str, str, bool)  # folder, passphrase, name, role, remember

    def __init__(self, translator: Translator, folder: Path | None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._t = translator
        self._folder = folder or resolve_vault_dir(None)
        self.setObjectName("vaultScreen")

        self._title = wrapping_label(self, "screenTitle")
        self._folder_caption = wrapping_label(self)
        self._folder_label = wrapping_label(self, "folderPath")
        self._folder_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._choose = QPushButton(self)
        self._choose.clicked.connect(self._choose_folder)
        self._default = QPushButton(self)
        self._default.clicked.connect(lambda: self.set_folder(resolve_vault_dir(None)))
        folder_row = QHBoxLayout()
        folder_row.addWidget(self._choose)
        folder_row.addWidget(self._default)
        folder_row.addStretch(1)

        self._pages = QStackedWidget(self)
        self._open_page = self._build_open_page()
        self._create_page = self._build_create_page()
        self._pages.addWidget(self._open_page)
        self._pages.addWidget(self._create_page)

        layout = QVBoxLayout(self)
        layout.addWidget(self._title)
        layout.addWidget(self._folder_caption)
        layout.addWidget(self._folder_label)
        layout.addLayout(folder_row)
        line = QFrame(self)
        line.setFrameShape(QFrame.Shape.HLine)
        layout.addWidget(line)
        layout.addWidget(self._pages, 1)

        translator.languageChanged.connect(self.retranslate)
        self.retranslate()
        self.set_folder(self._folder)

    # -- pages -------------------------------------------------------------------------------
    def _build_open_page(self) -> QWidget:
        page = QWidget(self)
        self._open_text = wrapping_label(page)
        self._open_button = QPushButton(page)
        self._open_button.setObjectName("openVault")
        self._open_button.clicked.connect(lambda: self.openRequested.emit(self._folder))
        layout = QVBoxLayout(page)
        layout.addWidget(self._open_text)
        layout.addWidget(self._open_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addStretch(1)
        return page

    def _build_create_page(self) -> QWidget:
        page = QWidget(self)
        self._create_intro = wrapping_label(page)
        self.name_edit = QLineEdit(page)
        self.name_edit.setObjectName("deviceName")
        self.role_box = QComboBox(page)
        self.role_box.setObjectName("role")
        self.pass1 = QLineEdit(page)
        self.pass1.setObjectName("newPassphrase")
        self.pass1.setEchoMode(QLineEdit.EchoMode.Password)
        self.pass2 = QLineEdit(page)
        self.pass2.setObjectName("repeatPassphrase")
        self.pass2.setEchoMode(QLineEdit.EchoMode.Password)
        self.meter = StrengthMeter(self._t, page)
        self.pass1.textChanged.connect(self.meter.update_for)
        self._loss_warning = wrapping_label(page, "warning")
        self.remember = QCheckBox(page)
        self.remember.setObjectName("remember")
        self.remember.setChecked(False)
        self._remember_note = wrapping_label(page, "note")
        self.create_button = QPushButton(page)
        self.create_button.setObjectName("createVault")
        self.create_button.clicked.connect(self._submit)
        self.pass2.returnPressed.connect(self._submit)

        self._form = QFormLayout()
        self._form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self._name_label = wrapping_label(page)
        self._role_label = wrapping_label(page)
        self._pass1_label = wrapping_label(page)
        self._pass2_label = wrapping_label(page)
        self._form.addRow(self._name_label, self.name_edit)
        self._form.addRow(self._role_label, self.role_box)
        self._form.addRow(self._pass1_label, self.pass1)
        self._form.addRow(self._pass2_label, self.pass2)
        self._form.addRow("", self.meter)
        for label, buddy in ((self._name_label, self.name_edit), (self._role_label, self.role_box),
                             (self._pass1_label, self.pass1), (self._pass2_label, self.pass2)):
            label.setBuddy(buddy)

        layout = QVBoxLayout(page)
        layout.addWidget(self._create_intro)
        layout.addLayout(self._form)
        layout.addWidget(self._loss_warning)
        layout.addWidget(self.remember)
        layout.addWidget(self._remember_note)
        layout.addWidget(self.create_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addStretch(1)
        return page

    # -- behaviour ---------------------------------------------------------------------------
    @property
    def folder(self) -> Path:
        return self._folder

    def set_folder(self, folder: Path) -> None:
        self._folder = folder
        self._folder_label.setText(str(folder))
        exists = holds_vault(folder)
        self._pages.setCurrentWidget(self._open_page if exists else self._create_page)
        self._default.setEnabled(folder != resolve_vault_dir(None))

    def _choose_folder(self) -> None:
        chosen = dialogs.choose_folder(self, self._t.tr("vault.choose_title"), self._folder)
        if chosen is not None:
            self.set_folder(chosen)

    def _submit(self) -> None:
        t = self._t
        p1, p2 = self.pass1.text(), self.pass2.text()
        problem = None
        if len(p1) < MIN_LENGTH:
            problem = t.tr("create.too_short", n=MIN_LENGTH)
        elif p1 != p2:
            problem = t.tr("create.mismatch")
        elif not self.name_edit.text().strip():
            problem = t.tr("create.need_name")
        if problem:
            dialogs.warning(self, t.tr("create.title"), problem)
            return
        role = ROLES[max(self.role_box.currentIndex(), 0)]
        self.createRequested.emit(self._folder, p1, self.name_edit.text().strip(), role,
                                  self.remember.isChecked())

    def clear_secrets(self) -> None:
        self.pass1.clear()
        self.pass2.clear()

    def set_busy(self, busy: bool) -> None:
        self.create_button.setEnabled(not busy)
        self._open_button.setEnabled(not busy)
        self._choose.setEnabled(not busy)

    def retranslate(self) -> None:
        t = self._t
        self._title.setText(t.tr("vault.title"))
        self._folder_caption.setText(t.tr("vault.folder"))
        self._choose.setText(t.tr("vault.choose"))
        self._default.setText(t.tr("vault.default"))
        self._open_text.setText(t.tr("vault.exists"))
        self._open_button.setText(t.tr("vault.open"))
        self._create_intro.setText(t.tr("create.intro"))
        self._name_label.setText(t.tr("create.name"))
        self._role_label.setText(t.tr("create.role"))
        self._pass1_label.setText(t.tr("create.passphrase"))
        self._pass2_label.setText(t.tr("create.repeat"))
        self._loss_warning.setText(t.tr("create.loss_warning"))
        self.remember.setText(t.tr("create.remember"))
        self._remember_note.setText(t.tr("create.remember_note"))
        self.create_button.setText(t.tr("create.button"))
        current = self.role_box.currentIndex()
        self.role_box.clear()
        self.role_box.addItems([t.tr(f"role.{r}") for r in ROLES])
        self.role_box.setCurrentIndex(max(current, 0))
        for widget, key in ((self.name_edit, "create.name"), (self.role_box, "create.role"),
                            (self.pass1, "create.passphrase"), (self.pass2, "create.repeat"),
                            (self.remember, "create.remember"), (self._choose, "vault.choose"),
                            (self.create_button, "create.button")):
            widget.setAccessibleName(t.tr(key))
