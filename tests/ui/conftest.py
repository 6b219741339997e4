"""GUI tests: offscreen Qt, cheap Argon2, every dialog answered from presets."""

from __future__ import annotations

import os
import sys

os.environ["QT_QPA_PLATFORM"] = "offscreen"
# The editable install predates the ui package, and tests/ (on sys.path through the root
# conftest) holds a ui/ folder: put the checkout first so `ui` is the application package.
_REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if sys.path[:1] != [_REPO]:
    sys.path.insert(0, _REPO)
sys.modules.pop("ui", None)
os.environ.setdefault("INTAKE_TEST_FAST_KDF", "1")

from collections.abc import Iterator  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from ui import dialogs  # noqa: E402
from ui.qt_runtime import protect_none  # noqa: E402

protect_none()  # PySide6 6.12 on CPython 3.11 drops a None reference per void call

PASSPHRASE = "correct horse battery staple"


@pytest.fixture(autouse=True)
def gc_on_gui_thread(qapp) -> None:  # noqa: ANN001
    """As the app does: no cyclic GC in worker threads (a Qt lock/GIL deadlock otherwise)."""
    from ui.qt_runtime import collect_garbage_on_main_thread

    collect_garbage_on_main_thread(qapp)


@pytest.fixture(autouse=True)
def preset_dialogs() -> Iterator[None]:
    dialogs.set_test_mode(True)
    yield
    dialogs.set_test_mode(False)


@pytest.fixture
def settings_path(tmp_path: Path) -> Path:
    return tmp_path / "settings" / "field-intake.ini"


@pytest.fixture
def vault_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "vault"
    monkeypatch.setenv("INTAKE_VAULT", str(folder))
    return folder


@pytest.fixture
def make_window(qtbot, settings_path: Path):  # noqa: ANN201
    """Build the real main window (composition root) on a private settings file."""
    from PySide6.QtWidgets import QApplication

    from ui.app import build_window
    from ui.settings import AppSettings

    created = []

    def make(language: str | None = None, interview_language: str | None = None):  # noqa: ANN202
        settings = AppSettings(settings_path)
        if language:
            settings.language = language
        if interview_language:
            settings.interview_language = interview_language
        app = QApplication.instance()
        window = build_window(app, settings)
        qtbot.addWidget(window)
        window.show()
        created.append(window)
        return window

    yield make
    for window in created:
        if window.session is not None:
            window.runner.wait_all()
            window.session.close()
            window.session = None
        window.idle.detach()
        window.runner.wait_all()


@pytest.fixture
def unlocked(make_window, vault_dir: Path, qtbot):  # noqa: ANN201
    """A window on a freshly created vault, unlocked, showing the case list."""
    from intake_app.vault import Vault

    Vault.create(vault_dir, PASSPHRASE, name="Test monitor", role="monitor").close()

    def open_window(**kwargs):  # noqa: ANN202
        window = make_window(**kwargs)
        assert window.stack.currentWidget() is window.unlock_screen
        with qtbot.waitSignal(window.unlocked, timeout=20000):
            window.unlock_screen.passphrase.setText(PASSPHRASE)
            window.unlock_screen.unlock_button.click()
        return window

    return open_window
