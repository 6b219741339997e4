"""Every modal dialog goes through here, so tests can preset the answers.

Like KeePassXC's MessageBox::setNextAnswer / FileDialog::setNextFileName: a test queues the
answer, the next dialog returns it without being shown. In test mode an unexpected dialog
raises instead of blocking an offscreen run forever. File dialogs are Qt's own (never the
platform's native ones, which record recent-file history outside our control).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum
from os import PathLike
from pathlib import Path

from PySide6.QtCore import Qt, QUrl
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget


class Kind(Enum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"
    QUESTION = "question"
    OPEN_FILES = "open_files"
    SAVE_FILE = "save_file"
    FOLDER = "folder"


@dataclass
class Shown:
    kind: Kind
    title: str
    text: str


@dataclass
class _Presets:
    answers: deque[object] = field(default_factory=deque)
    shown: list[Shown] = field(default_factory=list)
    test_mode: bool = False


_presets = _Presets()


class UnexpectedDialog(AssertionError):
    """A test reached a dialog it did not preset an answer for."""


def set_test_mode(on: bool) -> None:
    _presets.test_mode = on
    _presets.answers.clear()
    _presets.shown.clear()


def set_next_answer(answer: object) -> None:
    """Queue the answer of the next dialog: bool for questions, a Path, list or None for files,
    True for an acknowledgement."""
    _presets.answers.append(answer)


def shown() -> list[Shown]:
    """Dialogs shown (or answered from presets) since test mode was set."""
    return list(_presets.shown)


def pending_answers() -> int:
    return len(_presets.answers)


def _preset(kind: Kind, title: str, text: str) -> tuple[bool, object]:
    _presets.shown.append(Shown(kind, title, text))
    if _presets.answers:
        return True, _presets.answers.popleft()
    if _presets.test_mode:
        raise UnexpectedDialog(f"no preset answer for {kind.value} dialog: {title}: {text}")
    return False, None


def _preset_path(answer: object) -> Path:
    """A preset file answer as a Path; a wrongly typed preset is the test's mistake."""
    if isinstance(answer, str | PathLike):
        return Path(answer)
    raise UnexpectedDialog(f"a file dialog's preset answer must be a path, not {answer!r}")


def _message(parent: QWidget | None, kind: Kind, title: str, text: str) -> None:
    hit, _ = _preset(kind, title, text)
    if hit:
        return
    icon = {
        Kind.INFO: QMessageBox.Icon.Information,
        Kind.WARNING: QMessageBox.Icon.Warning,
        Kind.ERROR: QMessageBox.Icon.Critical,
    }[kind]
    box = QMessageBox(icon, title, text, QMessageBox.StandardButton.Ok, parent)
    box.setTextFormat(Qt.TextFormat.PlainText)  # never read user text as HTML
    box.exec()


def info(parent: QWidget | None, title: str, text: str) -> None:
    _message(parent, Kind.INFO, title, text)


def warning(parent: QWidget | None, title: str, text: str) -> None:
    _message(parent, Kind.WARNING, title, text)


def error(parent: QWidget | None, title: str, text: str) -> None:
    _message(parent, Kind.ERROR, title, text)


def ask(parent: QWidget | None, title: str, text: str, yes: str, no: str) -> bool:
    hit, answer = _preset(Kind.QUESTION, title, text)
    if hit:
        return bool(answer)
    box = QMessageBox(QMessageBox.Icon.Question, title, text, QMessageBox.StandardButton.NoButton,
                      parent)
    box.setTextFormat(Qt.TextFormat.PlainText)  # never read user text as HTML
    yes_button = box.addButton(yes, QMessageBox.ButtonRole.YesRole)
    no_button = box.addButton(no, QMessageBox.ButtonRole.NoRole)
    box.setDefaultButton(no_button)
    box.exec()
    return box.clickedButton() is yes_button


def _file_dialog(parent: QWidget | None, title: str,
                 places: Sequence[Path] = ()) -> QFileDialog:  # fmt: skip
    dialog = QFileDialog(parent, title)
    # Qt's own dialog: the native ones feed the desktop's recent-files list.
    dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
    if places:  # e.g. removable drives (helper-15), beside Qt's default quick places
        urls = dialog.sidebarUrls() + [QUrl.fromLocalFile(str(p)) for p in places]
        dialog.setSidebarUrls(urls)
        dialog.setDirectory(str(places[0]))
    return dialog


def open_files(parent: QWidget | None, title: str, name_filter: str = "",
               places: Sequence[Path] = ()) -> list[Path]:  # fmt: skip
    hit, answer = _preset(Kind.OPEN_FILES, title, "")
    if hit:
        if answer is None:
            return []
        if isinstance(answer, list | tuple):
            return [_preset_path(p) for p in answer]
        return [_preset_path(answer)]
    dialog = _file_dialog(parent, title, places)
    dialog.setFileMode(QFileDialog.FileMode.ExistingFiles)
    if name_filter:
        dialog.setNameFilter(name_filter)
    if not dialog.exec():
        return []
    return [Path(p) for p in dialog.selectedFiles()]


def save_file(parent: QWidget | None, title: str, suggested: str = "",
              places: Sequence[Path] = ()) -> Path | None:  # fmt: skip
    hit, answer = _preset(Kind.SAVE_FILE, title, suggested)
    if hit:
        return _preset_path(answer) if answer else None
    dialog = _file_dialog(parent, title, places)
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    if suggested:
        dialog.selectFile(suggested)
    if not dialog.exec():
        return None
    files = dialog.selectedFiles()
    return Path(files[0]) if files else None


def choose_folder(parent: QWidget | None, title: str, start: Path | None = None) -> Path | None:
    hit, answer = _preset(Kind.FOLDER, title, "")
    if hit:
        return _preset_path(answer) if answer else None
    dialog = _file_dialog(parent, title)
    dialog.setFileMode(QFileDialog.FileMode.Directory)
    dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
    if start is not None:
        dialog.setDirectory(str(start))
    if not dialog.exec():
        return None
    files = dialog.selectedFiles()
    return Path(files[0]) if files else None
