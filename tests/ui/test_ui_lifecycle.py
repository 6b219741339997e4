"""GUI lifecycle: retract from the case view (confirmation says what happens), backup from
the settings in a worker, destroy only after the vault's name is typed."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from intake_app.cases.store import CaseStore
from intake_app.lifecycle import tombstone
from intake_app.vault import Vault
from ui import dialogs
from ui.i18n import Translator
from ui.session import Session
from ui.windows.case_view_screen import CaseViewScreen
from ui.windows.lifecycle_panels import VaultLifecyclePanel

PASSPHRASE = "correct horse battery staple"
SHARE = {
    "consent.interview": "yes",
    "consent.share.coalition": "named",
    "victim.pseudonym": "Ә-GUI",
    "victim.full_name": "Guinamemarker Qwerty",
}


@pytest.fixture
def session(tmp_path: Path):
    vault = Vault.create(tmp_path / "vault", PASSPHRASE, name="Field laptop", role="monitor")
    s = Session(vault)
    yield s
    vault.close()


@pytest.mark.parametrize("lang", ["en", "ru", "kk"])
def test_retract_from_the_case_view_asks_then_erases(qtbot, session, lang):
    case_id = CaseStore(session.vault).new_case(SHARE)
    view = CaseViewScreen(Translator(lang), session)
    qtbot.addWidget(view)
    view.show_case(case_id)
    panel = view.lifecycle
    assert panel.retract_button.isEnabled() and not panel.erase_button.isEnabled()
    dialogs.set_next_answer(False)  # cancelled: nothing happens
    qtbot.mouseClick(panel.retract_button, Qt.MouseButton.LeftButton)
    assert not CaseStore(session.vault).get(case_id).retracted
    asked = dialogs.shown()[-1]
    assert asked.kind is dialogs.Kind.QUESTION and len(asked.text) > 80
    dialogs.set_next_answer(True)
    dialogs.set_next_answer(True)  # the "done" message
    qtbot.mouseClick(panel.retract_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialogs.pending_answers() == 0)  # the worker finished and said so
    assert tombstone.case_scope(session.vault.conn, case_id) == "case"
    assert panel.isEnabled() and not panel.retract_button.isEnabled()
    record = CaseStore(session.vault).get(case_id)
    assert record.retracted and record.answers == {}


def test_backup_runs_in_a_worker_and_reports(qtbot, session, tmp_path):
    CaseStore(session.vault).new_case(SHARE)
    panel = VaultLifecyclePanel(Translator("en"), session)
    qtbot.addWidget(panel)
    target = tmp_path / "usb" / "field.backup"
    target.parent.mkdir()
    dialogs.set_next_answer(target)
    qtbot.mouseClick(panel.backup_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "field.backup" in panel.status.text(), timeout=20000)
    assert target.is_file() and "1 case" in panel.status.text()


def test_destroy_needs_the_exact_name_and_says_what_it_cannot_do(qtbot, session):
    panel = VaultLifecyclePanel(Translator("ru"), session)
    qtbot.addWidget(panel)
    folder = session.vault.path
    qtbot.mouseClick(panel.destroy_button, Qt.MouseButton.LeftButton)
    dialog = panel.destroy_dialog
    assert dialog is not None and not dialog.destroy_button.isEnabled()
    limits = dialog.findChild(QLabel, "destroyLimits")
    assert "SSD" in limits.text()
    dialog.name_edit.setText("Field")
    assert not dialog.destroy_button.isEnabled()
    dialog.name_edit.setText("Field laptop")
    assert dialog.destroy_button.isEnabled()
    dialogs.set_next_answer(True)  # "destroyed"
    qtbot.mouseClick(dialog.destroy_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not folder.exists())
    assert not session.vault.is_open


def test_destroying_the_vault_from_the_settings_returns_to_the_vault_picker(unlocked, qtbot,
                                                                            vault_dir):
    window = unlocked(language="en")
    CaseStore(window.session.vault).new_case(SHARE)
    window.settings_action.trigger()
    panel = window._settings_screen.lifecycle
    qtbot.mouseClick(panel.destroy_button, Qt.MouseButton.LeftButton)
    dialog = panel.destroy_dialog
    dialog.name_edit.setText("Test monitor")
    dialogs.set_next_answer(True)  # "destroyed"
    with qtbot.waitSignal(window.locked, timeout=10000):
        qtbot.mouseClick(dialog.destroy_button, Qt.MouseButton.LeftButton)
    assert not vault_dir.exists()
    assert window.session is None and window.case_screens is None
    assert window._settings_screen is None
    # The picker, offering to create a vault where the old one was: not an unlock screen
    # for a folder that no longer holds a vault.
    assert window.stack.currentWidget() is window.vault_screen
    assert window.vault_screen.folder == vault_dir
    assert not window.nav_bar.isVisible() and not window.lock_action.isEnabled()
    assert window.settings.last_vault_folder is None
