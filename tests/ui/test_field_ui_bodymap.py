"""The body-diagram widget: click a region or use the keyboard, marks listed in the interview
language, stored as the protocol's bodymap marks; then saved, shown again, and in the dossier."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from pathlib import Path

from interview_helpers import answer, go_to_section, type_text
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from intake_app.protocol.model import pick_label
from intake_app.reports.dossier import write_dossier
from ui.widgets.body_map import BodyMapEditor
from ui.widgets.question_form import FormContext


def _editor(qtbot, lang: str = "kk") -> BodyMapEditor:  # noqa: ANN001
    ctx = FormContext(pick=lambda labels: pick_label(labels, lang) if isinstance(labels, dict)
                      else str(labels), tr=lambda key, **_v: key, lang=lang)
    editor = BodyMapEditor({"id": "injury_map", "type": "bodymap", "label": {"en": "x"}}, ctx)
    qtbot.addWidget(editor)
    editor.resize(520, 700)
    editor.show()
    qtbot.waitExposed(editor)
    return editor


def _click_region(editor: BodyMapEditor, view: str, region: str) -> None:
    point = editor.diagram.region_point(view, region)
    assert point is not None
    QTest.mouseClick(editor.diagram, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     QPoint(int(point.x()), int(point.y())))


def test_clicking_a_region_adds_a_mark_with_the_chosen_kind(qtbot) -> None:  # noqa: ANN001
    editor = _editor(qtbot)
    assert editor.value() is None
    editor.kind_box.setCurrentIndex(editor.kind_box.findData("bruise"))
    with qtbot.waitSignal(editor.changed):
        _click_region(editor, "front", "right_thigh")
    _click_region(editor, "back", "right_thigh")  # the back view is mirrored: same id
    marks = editor.value()
    assert [(m["view"], m["region"], m["kind"]) for m in marks] == [
        ("front", "right_thigh", "bruise"), ("back", "right_thigh", "bruise")]
    assert len({m["_id"] for m in marks}) == 2
    assert editor.marks_list.item(0).text() == "1. Алдыңғы жағы, Оң сан: Қанталау (көгерген жер)"


def test_keyboard_only_marking_and_removing(qtbot) -> None:  # noqa: ANN001
    editor = _editor(qtbot, "ru")
    editor.view_box.setFocus()
    editor.view_box.setCurrentIndex(editor.view_box.findData("back"))
    editor.region_box.setCurrentIndex(editor.region_box.findData("lower_back"))
    editor.kind_box.setCurrentIndex(editor.kind_box.findData("electrical"))
    type_text(editor.note_edit, "3 точки ‮x")
    editor.add_button.setFocus()
    QTest.keyClick(editor.add_button, Qt.Key.Key_Space)
    assert editor.value()[0]["note"] == "3 точки \u202ex"  # stored exactly as typed
    assert "Поясница и почки" in editor.marks_list.item(0).text()
    editor.marks_list.setCurrentRow(0)
    editor.marks_list.setFocus()
    QTest.keyClick(editor.marks_list, Qt.Key.Key_Delete)
    assert editor.value() is None


def test_unknown_keys_of_a_mark_survive_editing(qtbot) -> None:  # noqa: ANN001
    editor = _editor(qtbot)
    photo = "ab" * 32
    editor.set_value([{"_id": "m1", "view": "front", "region": "head", "kind": "other",
                       "photo": photo}])
    _click_region(editor, "front", "chest")
    assert editor.value()[0]["photo"] == photo and len(editor.value()) == 2


def test_body_map_in_the_interview_round_trip_to_the_dossier(unlocked, qtbot,  # noqa: ANN001
                                                              tmp_path: Path) -> None:
    window = unlocked(language="en", interview_language="ru")
    window.new_case_action.trigger()
    screen = window.case_screens.interview
    answer(screen, "consent.interview", "yes")
    go_to_section(screen, "person")
    answer(screen, "victim.pseudonym", "Ерлан-3")
    go_to_section(screen, "episodes")
    group = screen.page.rows["episodes"].editor
    group.add_button.click()
    editor = next(r.editor for r in group.items[0].rows if r.qid == "injury_map")
    assert isinstance(editor, BodyMapEditor)
    editor.kind_box.setCurrentIndex(editor.kind_box.findData("burn"))
    _click_region(editor, "front", "left_forearm")
    assert screen.commit()
    case_id = screen.editing.case_id
    store = window.session.cases
    stored = store.get(case_id).answers["episodes"][0]["injury_map"]
    assert [(m["view"], m["region"], m["kind"]) for m in stored] == [
        ("front", "left_forearm", "burn")]
    # shown again: reopening the case fills the diagram from the record
    window.case_screens.open_case(case_id)
    go_to_section(screen, "episodes")
    again = next(r.editor for r in screen.page.rows["episodes"].editor.items[0].rows
                 if r.qid == "injury_map")
    assert again.value() == stored and again.marks_list.count() == 1
    out = tmp_path / "dossier.pdf"
    write_dossier(store, case_id, out, "ru")
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(out), "-"], check=True,
                          capture_output=True, text=True).stdout
    assert "1. Спереди, Левое предплечье, Ожог" in re.sub(r"\s+", " ", text)
    assert dt.date.today().year > 2000
