"""Lock (Ctrl+L, idle), panic and privacy: case data leaves every widget, nothing is lost."""

from __future__ import annotations

import os
import sys

from PySide6.QtCore import QAbstractItemModel, QAbstractListModel, QModelIndex, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QComboBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
)

sys.path.insert(0, os.path.dirname(__file__))

from interview_helpers import answer, go_to_section, section_hidden  # noqa: E402

MARKER = "Ақжол-MARKER-Қайрат"


def model_holds(model: QAbstractItemModel, marker: str) -> bool:
    columns = 1 if isinstance(model, QAbstractListModel) else model.columnCount(QModelIndex())
    for row in range(model.rowCount(QModelIndex())):
        for column in range(columns):
            value = model.data(model.index(row, column), Qt.ItemDataRole.DisplayRole)
            if value is not None and marker in str(value):
                return True
    return False


def widgets_holding(marker: str) -> list[str]:
    """Every live widget (and view model) whose visible content contains `marker`."""
    found = []
    for widget in QApplication.allWidgets():
        texts = []
        if isinstance(widget, QLineEdit | QLabel):
            texts.append(widget.text())
        elif isinstance(widget, QPlainTextEdit | QTextEdit):
            texts.append(widget.toPlainText())
        elif isinstance(widget, QComboBox):
            texts += [widget.itemText(i) for i in range(widget.count())]
        if any(marker in t for t in texts):
            found.append(f"{type(widget).__name__}:{widget.objectName()}")
        if isinstance(widget, QAbstractItemView) and widget.model() is not None \
                and model_holds(widget.model(), marker):
            found.append(f"model of {widget.objectName()}")
    return found


def activate(window, qtbot) -> None:
    window.activateWindow()
    window.raise_()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)


def open_person_section(window, qtbot):
    window.case_screens.case_list.new_button.click()
    screen = window.case_screens.interview
    answer(screen, "consent.interview", "yes")
    qtbot.waitUntil(lambda: not section_hidden(screen, "person"))
    go_to_section(screen, "person")
    answer(screen, "victim.pseudonym", MARKER)
    return screen


def test_lock_clears_all_case_widgets_and_returns_to_the_same_place(unlocked, qtbot) -> None:
    window = unlocked(language="en")
    screen = open_person_section(window, qtbot)
    case_id = screen.editing.case_id
    assert widgets_holding(MARKER)
    activate(window, qtbot)
    with qtbot.waitSignal(window.locked, timeout=10000):
        qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert window.session is None
    assert window.stack.currentWidget() is window.unlock_screen
    qtbot.waitUntil(lambda: not widgets_holding(MARKER), timeout=5000)
    assert window.resume == (case_id, "person")  # only ids are kept, in memory
    with qtbot.waitSignal(window.unlocked, timeout=20000):
        window.unlock_screen.passphrase.setText("correct horse battery staple")
        window.unlock_screen.unlock_button.click()
    interview = window.case_screens.interview
    assert window.stack.currentWidget() is interview
    assert interview.section_id == "person"
    assert interview.page.rows["victim.pseudonym"].editor.edit.text() == MARKER
    # Locking committed the typing as a revision: no draft was left behind.
    history = window.session.cases.history(case_id)
    assert "victim.pseudonym" in {q for entry in history for q in entry.changed}
    assert window.session.cases.load_draft(case_id) is None


def test_idle_timeout_locks(unlocked, qtbot) -> None:
    window = unlocked(language="en")
    open_person_section(window, qtbot)
    window.idle.set_interval_ms(300)
    window.idle.start()
    with qtbot.waitSignal(window.locked, timeout=5000):
        pass
    assert window.session is None
    assert window.stack.currentWidget() is window.unlock_screen


def test_activity_postpones_the_idle_lock(unlocked, qtbot) -> None:
    window = unlocked(language="en")
    window.idle.set_interval_ms(400)
    window.idle.start()
    for _ in range(6):
        qtbot.wait(150)
        qtbot.mouseMove(window.case_screens.case_list.table.viewport())
        qtbot.keyClick(window.case_screens.case_list.search_box, Qt.Key.Key_Shift)
    assert window.session is not None


def test_panic_hides_at_once_and_only_the_passphrase_unlocks(unlocked, qtbot,
                                                             memory_keyring) -> None:
    window = unlocked(language="en")
    window.session.vault.remember_in_keyring()
    open_person_section(window, qtbot)
    hidden_at_panic = []
    window.panicked.connect(lambda: hidden_at_panic.append(window.isHidden()))
    activate(window, qtbot)
    with qtbot.waitSignal(window.locked, timeout=10000):
        qtbot.keyClick(window, Qt.Key.Key_X,
                       Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert hidden_at_panic == [True]
    assert window.session is None
    assert window.isHidden() and not window.isMinimized()  # no taskbar entry left behind
    qtbot.waitUntil(lambda: not widgets_holding(MARKER), timeout=5000)
    unlock = window.unlock_screen
    assert unlock.keyring_button.isHidden()
    assert not unlock._panic_note.isHidden()
    unlock.keyringUnlockRequested.emit(unlock.folder)  # even if asked: refused
    qtbot.wait(50)
    assert window.session is None
    with qtbot.waitSignal(window.unlocked, timeout=20000):
        unlock.passphrase.setText("correct horse battery staple")
        unlock.unlock_button.click()
    assert not window.panic_locked


def test_privacy_screen_blanks_and_keeps_the_vault_open(unlocked, qtbot) -> None:
    window = unlocked(language="en")
    screen = open_person_section(window, qtbot)
    activate(window, qtbot)
    qtbot.keyClick(window, Qt.Key.Key_F12)
    assert window.stack.currentWidget() is window.privacy_screen
    assert window.session is not None
    assert screen.isHidden() or not screen.isVisible()
    visible = [w for w in window.findChildren(QLineEdit) if w.isVisible() and MARKER in w.text()]
    assert visible == []
    qtbot.keyClick(window, Qt.Key.Key_F12)
    assert window.stack.currentWidget() is screen


def test_panic_hides_every_window_and_a_second_start_shows_only_the_unlock_screen(
        unlocked, qtbot) -> None:
    from PySide6.QtWidgets import QDialog

    from ui.single_instance import AppInstance

    window = unlocked(language="en")
    open_person_section(window, qtbot)
    other = QDialog()  # any window of the app: a dialog, a detached view
    qtbot.addWidget(other)
    other.show()
    qtbot.waitExposed(other)
    hidden_at_panic = []
    window.panicked.connect(lambda: hidden_at_panic.append(
        [w.objectName() for w in QApplication.topLevelWidgets() if w.isVisible()]))
    with qtbot.waitSignal(window.locked, timeout=10000):
        window.panic_action.trigger()
    assert hidden_at_panic == [[]]  # every window was gone before the lock began
    assert other.isHidden() and window.isHidden()
    assert window.session is None
    qtbot.waitUntil(lambda: not widgets_holding(MARKER), timeout=5000)
    # Starting the application again reaches the running one, which comes back locked.
    name = f"field-intake-test-{os.getpid()}"
    running = AppInstance(name)
    assert running.claim()
    running.activationRequested.connect(window.reveal)
    second = AppInstance(name)
    with qtbot.waitSignal(running.activationRequested, timeout=5000):
        assert not second.claim()  # the second start exits
    assert window.isVisible() and not window.isMinimized()
    assert window.stack.currentWidget() is window.unlock_screen
    assert not window.unlock_screen._panic_note.isHidden()
    assert other.isHidden()  # only the unlock screen comes back
    running.release()


def test_a_stale_instance_socket_does_not_block_the_start(qtbot, tmp_path) -> None:
    import socket

    from ui.single_instance import AppInstance

    path = str(tmp_path / "field-intake.sock")  # an absolute name is used as the path
    crashed = socket.socket(socket.AF_UNIX)
    crashed.bind(path)
    crashed.close()  # the socket file of a run that crashed: nobody listens
    assert os.path.exists(path)
    instance = AppInstance(path)
    assert instance.claim()
    second = AppInstance(path)
    assert not second.claim()
    instance.release()


def test_locking_while_a_page_is_read_does_not_wait_for_the_gui_thread(unlocked, qtbot) -> None:
    """The worker's thread once quit through a queued call to the GUI thread, which was
    itself blocked waiting for that thread in the lock: 30 s frozen per running task."""
    import time

    window = unlocked(language="en")
    window.case_screens.case_list.refresh()  # a page request in flight, no events processed
    started = time.perf_counter()
    window.lock()
    assert time.perf_counter() - started < 10
    assert window.session is None
