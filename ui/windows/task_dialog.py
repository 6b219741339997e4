"""A dialog that runs one cancellable worker task at a time (export, import)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from PySide6.QtWidgets import QDialog, QHBoxLayout, QPushButton, QWidget


def set_visibility(states: Iterable[tuple[QWidget, bool]]) -> None:
    """Show and hide widgets of one window, hiding first.

    A window grows as soon as a shown child makes it need more height than it has, and never
    shrinks back by itself: showing a widget before another one is hidden made the export
    dialog grow from 720 to 820 px, past a 768-px screen."""
    states = list(states)
    for widget, visible in states:
        if not visible:
            widget.setVisible(False)
            # Qt refreshes the ancestors' cached sizes only on a later event; until then a
            # show below would still count the hidden widget.
            parent = widget.parentWidget()
            while parent is not None and not parent.isWindow():
                parent.updateGeometry()
                parent = parent.parentWidget()
    for widget, visible in states:
        if visible:
            widget.setVisible(True)


class TaskDialog(QDialog):
    """Closing asks a running task to cancel first; once closed, late results are ignored.

    Subclasses set `task` (the running worker task or None), `status` (a QLabel), `_t`
    (the translator), `_gone` (False until closed) and `CANCELLING_KEY` (the i18n key said
    while a task winds down).
    """

    CANCELLING_KEY = ""
    task: Any
    status: Any
    _t: Any
    _gone: bool

    def _action_buttons(
        self, start_name: str, close_name: str, on_start: Callable[[], object]
    ) -> tuple[QPushButton, QPushButton, QHBoxLayout]:
        """The start (default) and cancel/close buttons, right-aligned in a row; the close
        button rejects (so a running task is cancelled first)."""
        start = QPushButton(self)
        start.setObjectName(start_name)
        start.setDefault(True)
        start.clicked.connect(on_start)
        close = QPushButton(self)
        close.setObjectName(close_name)
        close.clicked.connect(self.reject)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(start)
        row.addWidget(close)
        return start, close, row

    def reject(self) -> None:
        """Cancel, Escape and the close box: stop running work first, then close."""
        if self.task is not None:
            self.task.cancel()
            self.status.setText(self._t.tr(self.CANCELLING_KEY))
            return
        super().reject()

    def done(self, code: int) -> None:
        if self.task is not None:
            self.task.cancel()
        self._gone = True
        super().done(code)
