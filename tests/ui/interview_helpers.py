"""Driving the interview like a person: clicks, key presses and combo choices."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from ui.widgets.answer_editors import (
    ChoiceEditor,
    LongTextEditor,
    TextEditor,
    YesNoEditor,
)


def type_text(widget, text: str) -> None:
    """Type text one character at a time (keyClicks aborts on non-ASCII characters)."""
    for ch in text:
        QTest.sendKeyEvent(QTest.KeyAction.Click, widget, Qt.Key.Key_unknown, ch,
                           Qt.KeyboardModifier.NoModifier)


def answer(screen, qid: str, value) -> None:
    row = screen.page.rows[qid]
    editor = row.editor
    if isinstance(editor, YesNoEditor):
        editor.radios.buttons[editor.VALUES.index(value)].click()
    elif isinstance(editor, ChoiceEditor):
        editor.box.setCurrentIndex(editor._values.index(value))
    elif isinstance(editor, LongTextEditor):
        editor.edit.setFocus()
        type_text(editor.edit, value)
    elif isinstance(editor, TextEditor):
        editor.edit.setFocus()
        type_text(editor.edit, str(value))
    else:
        raise AssertionError(f"no helper for {type(editor).__name__}")


def go_to_section(screen, section_id: str) -> None:
    for i in range(screen.sections.count()):
        if screen.sections.item(i).data(Qt.ItemDataRole.UserRole) == section_id:
            screen.sections.setCurrentRow(i)
            return
    raise AssertionError(section_id)


def section_hidden(screen, section_id: str) -> bool:
    for i in range(screen.sections.count()):
        item = screen.sections.item(i)
        if item.data(Qt.ItemDataRole.UserRole) == section_id:
            return item.isHidden()
    raise AssertionError(section_id)
