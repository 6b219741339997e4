"""Screen and interview languages apart; settings hold no case data; titles neither."""

from __future__ import annotations

import json
import os
import sys
import time

import pytest
from PySide6.QtCore import QMimeData, QTimer
from PySide6.QtGui import QTextCursor

from intake_app.paths import resources_dir
from ui.i18n import LANGUAGES
from ui.settings import ALLOWED_KEYS

sys.path.insert(0, os.path.dirname(__file__))

from interview_helpers import answer, go_to_section, section_hidden, type_text  # noqa: E402

MARKER = "Сәуле-MARKER-Ұлан"


def test_catalogs_have_the_same_keys_and_kazakh_letters() -> None:
    catalogs = {lang: json.loads((resources_dir() / "i18n" / f"{lang}.json").read_text("utf-8"))
                for lang in LANGUAGES}
    assert catalogs["ru"].keys() == catalogs["en"].keys() == catalogs["kk"].keys()
    kazakh_letters = set("әғқңөұүі")  # һ is rare in interface words
    assert kazakh_letters <= set("".join(catalogs["kk"].values()).lower())
    # No Russian or Kazakh text left in English where a translation was due.
    same = [k for k in catalogs["en"] if catalogs["kk"][k] == catalogs["en"][k]
            and k not in ("app.title", "role.lawyer")]
    assert same == []


def test_language_switch_relabels_the_open_interview(unlocked, qtbot) -> None:
    window = unlocked(language="en", interview_language="en")
    window.case_screens.case_list.new_button.click()
    screen = window.case_screens.interview
    protocol = window.session.protocol
    consent = protocol.question("consent.interview")
    row = screen.page.rows["consent.interview"]
    assert row.label.text().startswith(consent.label["en"])
    assert screen.save_button.text() == "Save"
    # Screen in Russian, questions in Kazakh: an interpreter reads Kazakh to the person.
    window.t.set_language("ru")
    window.t.set_interview_language("kk")
    assert screen.save_button.text() == "Сохранить"
    assert window.lock_action.text() == "Заблокировать"
    assert row.label.text().startswith(consent.label["kk"])
    assert screen.page.title.text() == protocol.sections[0].title["kk"]
    assert screen.language_box.currentIndex() == LANGUAGES.index("kk")
    first = screen.sections.item(0).text()
    assert first.startswith(protocol.sections[0].title["kk"])
    answer(screen, "consent.interview", "yes")
    qtbot.waitUntil(lambda: not section_hidden(screen, "person"))
    go_to_section(screen, "person")
    yesno = next(r for r in screen.page.rows.values() if r.question.type == "yesno")
    assert yesno.editor.radios.buttons[0].text() == "Иә"  # the answer words follow the interview
    window.t.set_language("kk")
    assert screen.save_button.text() == "Сақтау"


def test_settings_and_title_never_hold_case_data(unlocked, qtbot, settings_path) -> None:
    window = unlocked(language="kk")
    titles = {window.windowTitle()}
    window.case_screens.case_list.new_button.click()
    screen = window.case_screens.interview
    answer(screen, "consent.interview", "yes")
    qtbot.waitUntil(lambda: not section_hidden(screen, "person"))
    go_to_section(screen, "person")
    answer(screen, "victim.pseudonym", MARKER)
    titles.add(window.windowTitle())
    screen.save_button.click()
    window.settings_action.trigger()
    titles.add(window.windowTitle())
    settings_screen = window.stack.currentWidget()
    settings_screen.idle_minutes.setValue(7)
    settings_screen.back_button.click()
    window.lock()
    titles.add(window.windowTitle())
    window.close()
    assert titles == {"Field Intake"}
    text = settings_path.read_text(encoding="utf-8")
    assert MARKER not in text and "MARKER" not in text
    keys = set()
    section = ""
    for line in text.splitlines():
        if line.startswith("["):
            section = line.strip("[]")
        elif "=" in line:
            key = line.split("=", 1)[0]
            keys.add(key if section == "General" else f"{section}/{key}")
    assert keys <= ALLOWED_KEYS, keys
    assert "lock/idle_minutes" in keys


def _paste(editor, text: str) -> None:
    mime = QMimeData()
    mime.setText(text)
    editor.edit.setFocus()
    editor.edit.insertFromMimeData(mime)


def _open_narrative(window, qtbot):
    window.case_screens.case_list.new_button.click()
    screen = window.case_screens.interview
    answer(screen, "consent.interview", "yes")
    qtbot.waitUntil(lambda: not section_hidden(screen, "episodes"))
    go_to_section(screen, "episodes")
    return screen, screen.page.rows["incident.narrative"].editor


@pytest.mark.parametrize("shape", ["one_paragraph", "many_paragraphs"])
def test_a_one_megabyte_answer_keeps_the_window_responsive(unlocked, qtbot, shape) -> None:
    window = unlocked(language="en")
    screen, editor = _open_narrative(window, qtbot)
    line = "Қ" + "x" * 98 + ("\n" if shape == "many_paragraphs" else "y")
    big = line * 9_900  # 990,000 characters, 1,000,000 UTF-8 bytes (Kazakh letters included)
    ticks: list[float] = []
    timer = QTimer()
    timer.setInterval(5)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start()
    started = time.perf_counter()
    with qtbot.waitSignal(screen.editing.draftSaved, timeout=30000):
        _paste(editor, big)
    timer.stop()
    assert time.perf_counter() - started < 5.0
    gaps = [b - a for a, b in zip(ticks, ticks[1:], strict=False)]
    assert ticks and max(gaps, default=0) < 1.0, f"event loop stalled {max(gaps):.2f} s"
    draft = window.session.cases.load_draft(screen.editing.case_id)
    assert draft.answers["incident.narrative"] == big  # byte-exact, never normalised
    if shape == "one_paragraph":
        assert editor.shortened and editor.edit.isReadOnly()
        assert len(editor.edit.toPlainText()) < 10_000
    else:
        assert not editor.shortened
        editor.edit.moveCursor(QTextCursor.MoveOperation.End)
        type_text(editor.edit, "!")
        big += "!"
        qtbot.waitUntil(lambda: screen.editing.answers["incident.narrative"].endswith("!"))
    screen.save_button.click()
    record = window.session.cases.get(screen.editing.case_id)
    assert record.answers["incident.narrative"] == big


def test_an_answer_over_the_limit_is_refused_with_a_message_and_kept(unlocked, qtbot) -> None:
    window = unlocked(language="en")
    screen, editor = _open_narrative(window, qtbot)
    big = "ә" * 1_000_001  # longtext allows 1,000,000 characters
    with qtbot.waitSignal(screen.editing.draftSaved, timeout=30000):
        _paste(editor, big)
    screen.save_button.click()
    assert screen.status.text().startswith("Kept as a draft")
    assert window.session.cases.load_draft(screen.editing.case_id).answers[
        "incident.narrative"] == big


def test_keyboard_only_through_a_section(unlocked, qtbot) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    window = unlocked(language="en")
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)  # new case
    screen = window.case_screens.interview
    qtbot.waitUntil(lambda: window.stack.currentWidget() is screen)
    first = screen.page.rows["session.case_code"].editor.edit
    first.setFocus()
    qtbot.waitUntil(first.hasFocus)
    type_text(first, "KZ-2022-001")
    seen = []
    for _ in range(12):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        widget = QApplication.focusWidget()
        seen.append(widget)
        assert widget.accessibleName(), f"{type(widget).__name__} has no accessible name"
    date_edit = screen.page.rows["session.date"].editor.edit
    assert date_edit in seen
    date_edit.setFocus()
    type_text(date_edit, "2022-01-07")
    qtbot.keyClick(date_edit, Qt.Key.Key_PageDown, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: screen.editing.answers.get("session.date") == "2022-01-07")
    assert screen.editing.answers["session.case_code"] == "KZ-2022-001"
