"""The composition root: one QApplication, services wired once, the main window.

Started by `python -m ui` or `intake-app` with no subcommand (the CLI calls `main()`).
"""

from __future__ import annotations

import ctypes
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QApplication

from intake_app.paths import resources_dir
from ui.i18n import Translator, install_qt_texts
from ui.locking import IdleWatcher
from ui.qt_runtime import collect_garbage_on_main_thread, protect_none
from ui.settings import AppSettings
from ui.windows.main_window import MainWindow

if TYPE_CHECKING:
    from ui.single_instance import AppInstance

log = logging.getLogger(__name__)

PR_SET_DUMPABLE = 4
PREFERRED_FONTS = ("DejaVu Sans", "Noto Sans")  # both cover every Kazakh letter


def harden_process() -> None:
    """Files we create are private; no core dump may carry plaintext out of memory."""
    os.umask(0o077)
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
        except (OSError, AttributeError):
            log.warning("could not disable core dumps")


def load_stylesheet() -> str:
    folder = resources_dir() / "style"
    try:
        text = (folder / "app.qss").read_text(encoding="utf-8")
    except OSError:
        return ""
    # Styled boxes lose the platform's arrows; the sheet names its own images by this token.
    return text.replace("@STYLE@", folder.as_posix())


def choose_font(app: QApplication) -> None:
    fonts_dir = resources_dir() / "fonts"
    if fonts_dir.is_dir():
        for font_file in sorted(fonts_dir.glob("*.ttf")):
            QFontDatabase.addApplicationFont(str(font_file))
    families = set(QFontDatabase.families())
    for family in PREFERRED_FONTS:
        if family in families:
            font = QFont(family)
            font.setPointSize(max(app.font().pointSize(), 10))
            app.setFont(font)
            return


def build_window(app: QApplication, settings: AppSettings) -> MainWindow:
    """Wire the services once and create the main window (tests call this too)."""
    translator = Translator(settings.language, settings.interview_language)
    install_qt_texts(app, translator)
    idle = IdleWatcher(app, settings.idle_minutes)
    window = MainWindow(translator, settings, idle)
    return window


def main(argv: list[str] | None = None, settings_path: Path | None = None) -> int:
    harden_process()
    protect_none()
    QCoreApplication.setOrganizationName("field-intake")
    QCoreApplication.setApplicationName("field-intake")
    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv[:1])
    assert isinstance(app, QApplication)
    collect_garbage_on_main_thread(app)
    choose_font(app)
    app.setStyleSheet(load_stylesheet())
    already_running, instance = claim_instance()
    if already_running:
        return 0  # that instance shows its window (the way back after a panic)
    window = build_window(app, AppSettings(settings_path))
    if instance is not None:
        instance.activationRequested.connect(window.reveal)
    window.show()
    return int(app.exec())


def claim_instance() -> tuple[bool, AppInstance | None]:
    """(another instance runs, this one's socket); no socket where Qt Network is missing."""
    try:
        from ui.single_instance import AppInstance
    except ImportError:
        log.warning("Qt Network missing: a second start will not reveal a hidden window")
        return False, None
    instance = AppInstance()
    if not instance.claim():
        return True, None
    return False, instance
