"""Fingerprints shown to be read aloud, and the review of an identity card before use.

A fingerprint is the only thing two people compare when they exchange cards, so it is shown
large, in a fixed-width font, in eight groups of four (two lines of four groups, so that a
person reading it aloud never loses their place). Names and roles come from card files,
which anyone can write: they are shown as plain text with control and direction characters
made visible, never obeyed.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QCheckBox, QFormLayout, QLabel, QVBoxLayout, QWidget

from intake_app.identity import keys
from intake_app.reports.text_safety import visible
from ui.i18n import Translator


def grouped(fingerprint: str) -> str:
    """Eight groups of four on two lines (canonical or display form accepted)."""
    groups = keys.display_fingerprint(keys.parse_fingerprint(fingerprint)).split(" ")
    return " ".join(groups[:4]) + "\n" + " ".join(groups[4:])


def safe_text(text: str) -> str:
    """A name or word from a card file, safe to show on one line."""
    return visible(text, single_line=True)


def role_text(t: Translator, role: str) -> str:
    key = f"role.{role}"
    text = t.tr(key)
    return safe_text(role) if text == key else text


def category_text(t: Translator, category: str) -> str:
    key = f"contacts.category.{category}"
    text = t.tr(key)
    return safe_text(category) if text == key else text


class FingerprintLabel(QLabel):
    """A fingerprint in large fixed-width type, selectable, read by screen readers in full."""

    def __init__(self, parent: QWidget | None = None, point_size: int = 18) -> None:
        super().__init__(parent)
        self.setObjectName("fingerprint")
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                     | Qt.TextInteractionFlag.TextSelectableByKeyboard)
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        font.setPointSize(point_size)
        font.setWeight(QFont.Weight.Bold)
        font.setLetterSpacing(QFont.SpacingType.PercentageSpacing, 110)
        self.setFont(font)
        self.fingerprint = ""

    def set_fingerprint(self, fingerprint: str) -> None:
        self.fingerprint = keys.parse_fingerprint(fingerprint) if fingerprint else ""
        self.setText(grouped(self.fingerprint) if self.fingerprint else "")
        # Never squeezed: in a crowded contacts screen (a form layout) the second line was
        # cut in half, and these are the characters two people must compare.
        self.setMinimumHeight(self.sizeHint().height())
        # A screen reader spells the groups: the accessible text is the one-line form.
        self.setAccessibleDescription(keys.display_fingerprint(self.fingerprint)
                                      if self.fingerprint else "")


class CardReview(QWidget):
    """Name, role, category and fingerprint of a card, and the "I compared it" check.

    `confirmedChanged(bool)` follows the check box; a new card always starts unchecked.
    """

    confirmedChanged = Signal(bool)

    def __init__(self, translator: Translator, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("cardReview")
        self._t = translator
        self._role = ""
        self._category = ""
        self.name = QLabel(self)
        self.name.setTextFormat(Qt.TextFormat.PlainText)
        self.name.setObjectName("cardName")
        self.role = QLabel(self)
        self.role.setTextFormat(Qt.TextFormat.PlainText)
        self.category = QLabel(self)
        self.category.setTextFormat(Qt.TextFormat.PlainText)
        self.fingerprint = FingerprintLabel(self)
        self.hint = QLabel(self)
        self.hint.setWordWrap(True)
        self.hint.setObjectName("note")
        self.compared = QCheckBox(self)
        self.compared.setObjectName("comparedInPerson")
        self.compared.toggled.connect(self.confirmedChanged)
        self._captions = [QLabel(self) for _ in range(4)]
        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        for caption, field in zip(self._captions, (self.name, self.role, self.category,
                                                   self.fingerprint), strict=True):
            caption.setBuddy(field)
            form.addRow(caption, field)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(form)
        layout.addWidget(self.hint)
        layout.addWidget(self.compared)
        translator.languageChanged.connect(self.retranslate)
        self.retranslate()

    def show_card(self, name: str, role: str, category: str, fingerprint: str) -> None:
        self._role, self._category = role, category
        self.name.setText(safe_text(name))
        self.fingerprint.set_fingerprint(fingerprint)
        self.compared.setChecked(False)
        self.retranslate()

    def clear(self) -> None:
        self._role = self._category = ""
        for label in (self.name, self.role, self.category):
            label.clear()
        self.fingerprint.set_fingerprint("")
        self.compared.setChecked(False)

    @property
    def confirmed(self) -> bool:
        return self.compared.isChecked()

    def retranslate(self) -> None:
        t = self._t
        texts = (t.tr("contacts.name"), t.tr("contacts.role"), t.tr("contacts.category"),
                 t.tr("contacts.fingerprint"))
        for caption, text in zip(self._captions, texts, strict=True):
            caption.setText(text)
        self.fingerprint.setAccessibleName(t.tr("contacts.fingerprint"))
        self.role.setText(role_text(t, self._role) if self._role else "")
        self.category.setText(category_text(t, self._category) if self._category else "")
        self.hint.setText(t.tr("contacts.compare_hint"))
        self.compared.setText(t.tr("contacts.compared"))
        self.compared.setAccessibleName(t.tr("contacts.compared"))
