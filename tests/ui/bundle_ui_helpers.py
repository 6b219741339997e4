"""Helpers of the bundle, contacts and conflict GUI tests: real vaults, a real main window."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bundle_support import PASSPHRASE, Party


def unlock_on(window: Any, party: Party, qtbot: Any) -> Any:
    """Lock whatever is open and unlock `party`'s vault in the same window."""
    if window.session is not None:
        window.lock()
    window.show_unlock(party.path)
    with qtbot.waitSignal(window.unlocked, timeout=20000):
        window.unlock_screen.passphrase.setText(PASSPHRASE)
        window.unlock_screen.unlock_button.click()
    return window


def open_window(make_window: Any, party: Party, qtbot: Any, monkeypatch: Any,
                **kwargs: Any) -> Any:  # fmt: skip
    monkeypatch.setenv("INTAKE_VAULT", str(party.path))
    window = make_window(**kwargs)
    return unlock_on(window, party, qtbot)


def last_dialog(window: Any) -> Any:
    return window.case_screens.bundles.dialogs[-1]


def wait_idle(dialog: Any, qtbot: Any) -> None:
    qtbot.waitUntil(lambda: dialog.task is None, timeout=30000)


def flip_byte(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))
