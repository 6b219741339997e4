"""Creating and unlocking vaults through the real screens."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt

from intake_app.vault import Vault
from ui import dialogs

PASSPHRASE = "correct horse battery staple"


def test_create_vault_through_the_dialog(make_window, vault_dir: Path, qtbot) -> None:
    window = make_window(language="en")
    screen = window.vault_screen
    assert window.stack.currentWidget() is screen
    screen.set_folder(vault_dir)
    assert not screen.remember.isChecked(), "remember on this computer is off by default"
    assert "lost" in screen._loss_warning.text()
    screen.name_edit.setText("Monitor laptop")
    screen.pass1.setText(PASSPHRASE)
    screen.pass2.setText(PASSPHRASE)
    assert screen.meter.verdict in ("fair", "strong")
    with qtbot.waitSignal(window.unlocked, timeout=20000):
        screen.create_button.click()
    assert window.session is not None
    assert (vault_dir / "header.json").is_file()
    assert screen.pass1.text() == "" and screen.pass2.text() == ""
    assert window.stack.currentWidget() is window.case_screens.case_list


def test_create_refuses_mismatched_and_short_passphrases(make_window, vault_dir: Path) -> None:
    window = make_window(language="en")
    screen = window.vault_screen
    screen.set_folder(vault_dir)
    screen.name_edit.setText("Monitor laptop")
    screen.pass1.setText(PASSPHRASE)
    screen.pass2.setText(PASSPHRASE + "x")
    dialogs.set_next_answer(True)
    screen.create_button.click()
    assert "differ" in dialogs.shown()[-1].text
    screen.pass1.setText("short")
    screen.pass2.setText("short")
    dialogs.set_next_answer(True)
    screen.create_button.click()
    assert "at least" in dialogs.shown()[-1].text
    assert not vault_dir.exists()
    assert window.session is None


def test_unlock_wrong_then_right_passphrase(make_window, vault_dir: Path, qtbot) -> None:
    Vault.create(vault_dir, PASSPHRASE, name="Test", role="monitor").close()
    window = make_window(language="en")
    window.show_unlock(vault_dir)
    screen = window.unlock_screen
    dialogs.set_next_answer(True)
    qtbot.keyClicks(screen.passphrase, "not the passphrase")
    qtbot.keyClick(screen.passphrase, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: len(dialogs.shown()) == 1, timeout=20000)
    wrong = dialogs.shown()[0]
    assert wrong.kind is dialogs.Kind.WARNING
    assert wrong.title == "Wrong passphrase"
    assert window.session is None
    qtbot.waitUntil(lambda: screen.unlock_button.isEnabled())
    dialogs.set_next_answer(True)
    with qtbot.waitSignal(window.unlocked, timeout=20000):
        qtbot.keyClicks(screen.passphrase, PASSPHRASE)
        qtbot.keyClick(screen.passphrase, Qt.Key.Key_Return)
    assert window.session is not None
    # The owner is told that someone failed to unlock the vault meanwhile.
    notice = dialogs.shown()[-1]
    assert notice.title == "Failed unlock attempts" and "1" in notice.text


def test_damaged_vault_gets_its_own_dialog(make_window, vault_dir: Path, qtbot) -> None:
    Vault.create(vault_dir, PASSPHRASE, name="Test", role="monitor").close()
    db = vault_dir / "vault.db"
    data = bytearray(db.read_bytes())
    for i in range(4096):  # the first page: SQLCipher cannot read the schema
        data[i] ^= 0xFF
    db.write_bytes(bytes(data))
    window = make_window(language="en")
    window.show_unlock(vault_dir)
    dialogs.set_next_answer(True)
    window.unlock_screen.passphrase.setText(PASSPHRASE)
    window.unlock_screen.unlock_button.click()
    qtbot.waitUntil(lambda: len(dialogs.shown()) == 1, timeout=20000)
    shown = dialogs.shown()[0]
    assert shown.kind is dialogs.Kind.ERROR
    assert shown.title == "The vault is damaged"
    assert window.session is None


def test_keyring_unlock_offered_only_for_a_remembered_vault(make_window, vault_dir: Path, qtbot,
                                                            memory_keyring) -> None:
    vault = Vault.create(vault_dir, PASSPHRASE, name="Office", role="coordinator")
    window = make_window(language="en")
    window.show_unlock(vault_dir)
    assert window.unlock_screen.keyring_button.isHidden()
    vault.remember_in_keyring()
    vault.close()
    window.show_unlock(vault_dir)
    assert not window.unlock_screen.keyring_button.isHidden()
    with qtbot.waitSignal(window.unlocked, timeout=20000):
        window.unlock_screen.keyring_button.click()
    assert window.session is not None
