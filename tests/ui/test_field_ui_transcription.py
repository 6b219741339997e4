"""Transcription mode from the keyboard: the visit's date and place first, Enter to move on in
protocol order, the case marked as transcribed with its entry time kept apart; and the Due
screen (most urgent first, Done, open the case)."""

from __future__ import annotations

import datetime as dt

from interview_helpers import answer, type_text
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from intake_app.field.followups import add_task
from intake_app.field.transcription import entry_facts
from ui.widgets.answer_editors import PlaceEditor


def _focused():  # noqa: ANN202
    return QApplication.focusWidget()


def _enter(widget) -> None:  # noqa: ANN001
    QTest.keyClick(widget, Qt.Key.Key_Return)


def test_paper_form_keyboard_entry_keeps_visit_date_apart_from_entry_time(unlocked, qtbot) -> None:  # noqa: ANN001, E501
    window = unlocked(language="ru", interview_language="kk")
    window.new_paper_case_action.trigger()
    screen = window.case_screens.interview
    mode = window.case_screens.transcription
    assert window.stack.currentWidget() is screen and mode.active
    assert mode.banner.isVisible() and "Перенос бумажной анкеты" in mode.banner.text()
    assert "Дата встречи ещё не указана" in mode.banner.text()
    # interview language apart from the screen language: questions in Kazakh
    assert screen.page.rows["session.date"].label.text() == "Сұхбат өткен күн"
    date_edit = screen.page.rows["session.date"].editor.edit
    qtbot.waitUntil(lambda: _focused() is date_edit)
    type_text(date_edit, "2022-01-10")
    _enter(date_edit)
    place = screen.page.rows["session.place"].editor
    assert isinstance(place, PlaceEditor)
    assert _focused() is place.edit  # Enter skipped the unknown/declined selector
    type_text(place.edit, "Орал")
    _enter(place.edit)
    setting = screen.page.rows["session.setting"].editor
    assert setting.isAncestorOf(_focused()) or _focused() is setting
    assert "Дата встречи" not in mode.banner.text()  # the date is now given
    assert screen.commit()
    case_id = screen.editing.case_id
    answers = window.session.cases.get(case_id).answers
    assert answers["session.date"] == "2022-01-10"
    assert answers["session.place"] == "kz.city.uralsk"  # the gazetteer id, not the spelling
    assert answers["session.transcribed"] == "yes"
    facts = entry_facts(window.session.cases, case_id)
    assert facts.entered_at[:10] == dt.datetime.now(dt.UTC).date().isoformat() != "2022-01-10"
    # opening an ordinary case leaves transcription mode
    window.new_case_action.trigger()
    assert not mode.active and not mode.banner.isVisible()


def test_a_visit_date_in_the_future_is_flagged(unlocked, qtbot) -> None:  # noqa: ANN001
    window = unlocked(language="en")
    window.new_paper_case_action.trigger()
    screen = window.case_screens.interview
    date_edit = screen.page.rows["session.date"].editor.edit
    type_text(date_edit, f"{dt.date.today().year + 1}-01-01")
    _enter(date_edit)
    assert "after today" in window.case_screens.transcription.banner.text()


def test_enter_on_the_last_field_goes_on_to_the_next_section(unlocked, qtbot) -> None:  # noqa: ANN001
    window = unlocked(language="en")
    window.new_paper_case_action.trigger()
    screen = window.case_screens.interview
    answer(screen, "consent.interview", "yes")  # the other sections appear
    screen._apply_changes()  # noqa: SLF001 - apply at once instead of after the delay
    visible = [r for r in screen.page.rows.values() if r.isVisibleTo(screen.page)]
    last = visible[-1].editor
    target = last.focusProxy() or last
    if hasattr(last, "edit"):
        target = last.edit
    target.setFocus()
    window.case_screens.transcription.next_field(target)
    assert screen.section_id == "person"
    assert screen.page.isAncestorOf(_focused())


def test_due_screen_lists_most_urgent_first_and_marks_done(unlocked, qtbot) -> None:  # noqa: ANN001
    window = unlocked(language="en")
    store = window.session.cases
    base = {"consent.interview": "yes", "victim.pseudonym": "Д-1", "victim.sex": "male",
            "incident.date": "2022-01-06"}
    case = store.new_case(base)
    today = dt.date.today()
    later = add_task(store, case, "contact_family", due=(today + dt.timedelta(days=3)).isoformat())
    late = add_task(store, case, "request_fme", due=(today - dt.timedelta(days=2)).isoformat())
    now = add_task(store, case, "appeal_termination", due=today.isoformat())
    window.due_action.trigger()
    due = window.case_screens.due
    assert window.stack.currentWidget() is due
    assert [t.task_id for t in due.tasks] == [late, now, later]
    assert [due.table.item(r, 0).text() for r in range(3)] == ["Overdue", "Due today", "Later"]
    assert due.table.item(0, 2).text() == "Request a forensic medical examination"
    assert due.table.item(0, 3).text() == "Д-1"
    due.table.selectRow(0)
    due.done_button.click()
    assert [t.task_id for t in due.tasks] == [now, later]
    assert store.get(case).answers["evidence.followup"][1]["state"] == "done"
    due.open_button.click()
    assert window.stack.currentWidget() is window.case_screens.interview
    assert window.case_screens.interview.editing.case_id == case
    window.lock_action.trigger()
    assert due.tasks == [] or window.case_screens is None
