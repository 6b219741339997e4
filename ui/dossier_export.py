""""Dossier PDF…" from the case view: warn that the PDF is plaintext outside the vault, let
the user choose where (Qt's own file dialog, through ui.dialogs), build it on a worker.

The file name offered is generic ("dossier.pdf"): a name or pseudonym in a file name shows in
file managers, recent-file lists and mail attachments. The PDF is written atomically only to
the chosen path; the core refuses a retracted case with a message shown here.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QWidget

from intake_app.errors import IntakeError
from intake_app.progress import CancelToken, Progress
from intake_app.reports.dossier import LANGS, write_dossier
from ui import dialogs
from ui.i18n import Translator
from ui.session import Session
from ui.workers import Task, TaskRunner

log = logging.getLogger(__name__)

SUGGESTED_NAME = "dossier.pdf"


def dossier_path(path: Path) -> Path:
    return path if path.suffix.lower() == ".pdf" else path.with_name(path.name + ".pdf")


def export_dossier(parent: QWidget, t: Translator, session: Session, runner: TaskRunner,
                   case_id: str) -> Task | None:  # fmt: skip
    """Ask, choose a file, write the dossier in the screen language; returns the task."""
    title = t.tr("dossier.title")
    if not dialogs.ask(parent, t.tr("dossier.warn_title"), t.tr("dossier.warn_text"),
                       t.tr("dossier.continue"), t.tr("common.cancel")):  # fmt: skip
        return None
    chosen = dialogs.save_file(parent, t.tr("dossier.save_title"), SUGGESTED_NAME)
    if chosen is None:
        return None
    path = dossier_path(chosen)
    lang = t.language if t.language in LANGS else "ru"
    store = session.cases

    def work(_progress: Progress, cancel: CancelToken) -> Any:
        return write_dossier(store, case_id, path, lang, cancel=cancel)

    def done(pages: Any) -> None:
        dialogs.info(parent, title, t.tr("dossier.done", name=path.name, pages=pages))

    def failed(exc: BaseException) -> None:
        if isinstance(exc, IntakeError):
            dialogs.error(parent, title, exc.message)
        else:
            log.error("dossier failed: %s", type(exc).__name__)
            dialogs.error(parent, title, t.tr("error.unexpected"))

    return runner.start(work, on_success=done, on_failure=failed)
