"""Attachments through Qt's own file dialog; thumbnails decoded in memory from the vault."""

from __future__ import annotations

import hashlib
import os
import sys

from PySide6.QtGui import QColor, QImage

from ui import dialogs

sys.path.insert(0, os.path.dirname(__file__))

from interview_helpers import answer, go_to_section, section_hidden  # noqa: E402


def test_attach_a_photo_and_see_its_thumbnail(unlocked, qtbot, tmp_path) -> None:
    photo = tmp_path / "injury.png"
    image = QImage(400, 300, QImage.Format.Format_RGB32)
    image.fill(QColor("#aa3322"))
    assert image.save(str(photo))
    sha = hashlib.sha256(photo.read_bytes()).hexdigest()
    window = unlocked(language="en")
    window.case_screens.case_list.new_button.click()
    screen = window.case_screens.interview
    answer(screen, "consent.interview", "yes")
    qtbot.waitUntil(lambda: not section_hidden(screen, "evidence"))
    go_to_section(screen, "evidence")
    editor = screen.page.rows["evidence.injury_photos"].editor
    dialogs.set_next_answer([str(photo)])
    editor.add_button.click()
    qtbot.waitUntil(lambda: editor.value() == [sha], timeout=10000)
    qtbot.waitUntil(lambda: not editor.list.item(0).icon().isNull(), timeout=10000)
    assert editor.list.item(0).text() == "injury.png"
    screen.save_button.click()
    record = window.session.cases.get(screen.editing.case_id)
    assert record.answers["evidence.injury_photos"] == [sha]
    assert [a["sha256"] for a in record.attachments] == [sha]


def test_unknown_and_declined_are_answers_not_blanks(unlocked, qtbot) -> None:
    window = unlocked(language="en")
    window.case_screens.case_list.new_button.click()
    screen = window.case_screens.interview
    answer(screen, "consent.interview", "yes")
    qtbot.waitUntil(lambda: not section_hidden(screen, "person"))
    go_to_section(screen, "person")
    row = screen.page.rows["victim.birth_date"]
    row.status.setCurrentIndex(2)  # declined
    assert not row.editor.isEnabled()
    qtbot.waitUntil(lambda: screen.editing.answers.get("victim.birth_date")
                    == {"status": "declined"})
