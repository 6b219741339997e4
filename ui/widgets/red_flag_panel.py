"""Red flags that hold for the answers so far, updated as answers change.

Shown in the SCREEN language: they guide the monitor, they are not read to the person.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtWidgets import QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from ui.i18n import Translator
from ui.windows.vault_screen import wrapping_label


class RedFlagPanel(QWidget):
    def __init__(self, translator: Translator, rules: Sequence[Any],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("redFlagPanel")
        self._t = translator
        self._rules = {rule.id: rule for rule in rules}
        self._active: list[str] = []
        self._title = wrapping_label(self, "panelTitle")
        self._empty = wrapping_label(self, "note")
        self.list = QListWidget(self)
        self.list.setObjectName("redFlags")
        self.list.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._title)
        layout.addWidget(self._empty)
        layout.addWidget(self.list, 1)
        translator.languageChanged.connect(self.retranslate)
        self.retranslate()

    @property
    def active(self) -> list[str]:
        return list(self._active)

    def show_flags(self, flag_ids: Sequence[str]) -> None:
        if list(flag_ids) == self._active:
            return
        self._active = list(flag_ids)
        self._fill()

    def _fill(self) -> None:
        self.list.clear()
        for flag_id in self._active:
            rule = self._rules.get(flag_id)
            text = self._t.pick_screen(rule.label) if rule is not None else flag_id
            item = QListWidgetItem("⚑ " + text)
            if rule is not None and rule.explain:
                item.setToolTip(self._t.pick_screen(rule.explain))
            self.list.addItem(item)
        self._empty.setVisible(not self._active)
        self.list.setVisible(bool(self._active))

    def retranslate(self) -> None:
        self._title.setText(self._t.tr("interview.red_flags"))
        self._empty.setText(self._t.tr("interview.no_red_flags"))
        self.list.setAccessibleName(self._t.tr("interview.red_flags"))
        self._fill()

    def clear(self) -> None:
        self._active = []
        self.list.clear()
