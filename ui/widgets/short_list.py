"""A list that asks for a few lines of text rather than Qt's fixed 192 px.

QAbstractScrollArea prefers 256x192 px whatever its font or contents; two such lists made the
export dialog prefer 831 px, so on a 768-px screen Qt squeezed everything to fit 720. A list
here prefers `lines` lines of its own font and still grows when its window has room.
"""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QListWidget, QWidget


class ShortList(QListWidget):
    def __init__(self, lines: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lines = lines

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt API
        hint = super().sizeHint()
        margins = self.contentsMargins()
        height = (self.lines * self.fontMetrics().lineSpacing() + 2 * self.spacing()
                  + 2 * self.frameWidth() + margins.top() + margins.bottom())  # fmt: skip
        return QSize(hint.width(), height)


__all__ = ["ShortList"]
