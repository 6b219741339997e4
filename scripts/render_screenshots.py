"""Render the main screens in every language to screenshots/<lang>-<screen>.png.

Creates a throwaway demo vault in a temporary folder (INTAKE_VAULT), fills it with synthetic
cases, and grabs each screen with QWidget.grab(). Run through scripts/screenshots.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402

PASSPHRASE = "demo passphrase for screenshots only"  # noqa: S105 - a throwaway demo vault
# The window size is one of the two the screens are checked at (scripts/screenshots renders
# both): a 1366x768 laptop and 1280x860. PNGs go to screenshots/<W>x<H>/.
SIZE = tuple(int(n) for n in os.environ.get("SCREENSHOT_SIZE", "1366x768").split("x"))
OUT = REPO / "screenshots" / f"{SIZE[0]}x{SIZE[1]}"


def settle(app: QApplication, window: QWidget | None = None, rounds: int = 20) -> None:
    for _ in range(rounds):
        app.processEvents()
    if window is not None:
        window.repaint()
        app.processEvents()


def wait_for(app: QApplication, predicate, limit: int = 20000) -> None:  # noqa: ANN001
    from PySide6.QtCore import QElapsedTimer

    timer = QElapsedTimer()
    timer.start()
    while not predicate():
        if timer.elapsed() > limit:
            raise TimeoutError("screen did not get ready")
        app.processEvents()


def shoot(app: QApplication, window: QWidget, lang: str, name: str) -> None:
    settle(app, window)
    path = OUT / f"{lang}-{name}.png"
    window.grab().save(str(path))
    hint = window.minimumSizeHint().expandedTo(window.minimumSize())
    layout = window.layout()
    if layout is not None and layout.hasHeightForWidth():  # wrapped text needs more height
        hint.setHeight(max(hint.height(), layout.totalHeightForWidth(window.width())))
    grown = window.width() > SIZE[0] or window.height() > SIZE[1]
    too_big = grown or hint.width() > SIZE[0] or hint.height() > SIZE[1]
    warn = f"  TOO BIG: needs {hint.width()}x{hint.height()}" if too_big else ""
    print(f"{path.relative_to(REPO)} {window.width()}x{window.height()}{warn}")


def scroll_to(area, widget) -> None:  # noqa: ANN001
    area.ensureWidgetVisible(widget, 0, 0)
    bar = area.verticalScrollBar()
    top = widget.mapTo(area.widget(), widget.rect().topLeft()).y()
    bar.setValue(min(bar.maximum(), top - 8))


def pick_case(session) -> str:  # noqa: ANN001
    from intake_app.cases.queries import CaseFilter

    rows = session.cases.list_page(limit=200, filters=CaseFilter(minor=True))
    for row in rows:
        if row.red_flags:
            return row.id
    return session.cases.list_page(limit=1)[0].id


def render_language(app: QApplication, lang: str, folder: Path, settings_path: Path) -> None:
    from ui.app import build_window
    from ui.settings import AppSettings

    settings = AppSettings(settings_path)
    settings.language = lang
    settings.interview_language = lang
    settings.last_vault_folder = None

    os.environ["INTAKE_VAULT"] = str(folder.parent / "no-vault-yet")
    window = build_window(app, settings)
    window.resize(*SIZE)
    window.show()
    window.vault_screen.name_edit.setText("Монитор / Мониторшы")
    window.vault_screen.pass1.setText("a short one")
    shoot(app, window, lang, "1-create-vault")

    os.environ["INTAKE_VAULT"] = str(folder)
    window.show_unlock(folder)
    shoot(app, window, lang, "2-unlock")
    window.unlock_screen.passphrase.setText(PASSPHRASE)
    window.unlock_screen.unlock_button.click()
    wait_for(app, lambda: window.session is not None)
    screens = window.case_screens
    shoot(app, window, lang, "3-case-list")

    case_id = pick_case(window.session)
    screens.open_case(case_id)
    shoot(app, window, lang, "4-interview-session")
    interview = screens.interview
    ids = [s.id for s in window.session.protocol.sections]
    for section in ("minor", "episodes", "fme"):
        interview.sections.setCurrentRow(ids.index(section))
        shoot(app, window, lang, f"5-interview-{section}")
    interview.sections.setCurrentRow(ids.index("episodes"))
    settle(app, window)
    from ui.widgets.body_map import BodyMapEditor

    maps = interview.page.findChildren(BodyMapEditor)
    if maps:
        scroll_to(interview.section_scroll, maps[0])
        shoot(app, window, lang, "5-interview-bodymap")
    interview.close_case()
    screens.show_history(case_id)
    shoot(app, window, lang, "6-case-history")
    screens.show_list()
    window.settings_action.trigger()
    shoot(app, window, lang, "7-settings")
    settings_screen = window.stack.currentWidget()
    settings_screen.lifecycle.destroy_button.click()
    dialog = settings_screen.lifecycle.destroy_dialog
    if dialog is not None:
        dialog.name_edit.setText("Demo")
        shoot(app, dialog, lang, "7-settings-destroy")
        dialog.reject()
    settings_screen.back_button.click()
    window.toggle_privacy()
    shoot(app, window, lang, "8-privacy")
    window.toggle_privacy()
    window.dashboard_action.trigger()
    dashboard = screens.dashboard
    wait_for(app, lambda: dashboard.stats is not None)
    for index in range(dashboard.tabs.count()):
        dashboard.tabs.setCurrentIndex(index)
        shoot(app, window, lang, f"9-dashboard-{index + 1}")
    window.due_action.trigger()
    shoot(app, window, lang, "10-due-tasks")
    window.new_paper_case_action.trigger()
    shoot(app, window, lang, "11-transcription")
    screens.transcription.stop()
    interview.close_case()
    window.lock()
    window.idle.detach()
    window.close()
    window.deleteLater()
    settle(app)


def main() -> int:
    os.umask(0o077)
    OUT.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="intake-screens-"))
    try:
        from intake_app.cases.demo import insert_demo
        from intake_app.cases.store import CaseStore
        from intake_app.vault import Vault

        folder = tmp / "vault"
        vault = Vault.create(folder, PASSPHRASE, name="Demo monitor", role="monitor")
        insert_demo(CaseStore(vault), 120, seed=3)
        vault.close()
        from ui.app import choose_font, load_stylesheet
        from ui.qt_runtime import protect_none

        protect_none()
        app = QApplication.instance() or QApplication(sys.argv[:1])
        assert isinstance(app, QApplication)
        app.setAttribute(Qt.ApplicationAttribute.AA_DontUseNativeDialogs, True)
        choose_font(app)
        app.setStyleSheet(load_stylesheet())
        languages = sys.argv[1:] or ["en", "ru", "kk"]
        for lang in languages:
            render_language(app, lang, folder, tmp / f"settings-{lang}.ini")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
