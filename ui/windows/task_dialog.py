"""A dialog that runs one cancellable worker task at a time (export, import)."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QDialog


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
