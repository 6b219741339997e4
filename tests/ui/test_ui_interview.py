"""The interview: drawn from the protocol, skip logic, red flags, autosave, revisions."""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(__file__))

from interview_helpers import answer, go_to_section, section_hidden  # noqa: E402

MARKER = "Ақжол-Қайрат-MARKER-ә"


def start_interview(window, qtbot):
    screens = window.case_screens
    screens.case_list.new_button.click()
    screen = screens.interview
    assert window.stack.currentWidget() is screen
    return screen


def test_sixteen_year_old_shows_minors_section_and_red_flags(unlocked, qtbot) -> None:
    window = unlocked(language="en")
    screen = start_interview(window, qtbot)
    assert section_hidden(screen, "minor")
    assert section_hidden(screen, "person")
    answer(screen, "consent.interview", "yes")
    qtbot.waitUntil(lambda: not section_hidden(screen, "person"))
    go_to_section(screen, "person")
    assert screen.section_id == "person"
    answer(screen, "victim.pseudonym", "Aigerim")
    answer(screen, "victim.age_at_incident", 16)
    qtbot.waitUntil(lambda: not section_hidden(screen, "minor"))
    assert screen.red_flags.active == [], screen.editing.answers
    go_to_section(screen, "minor")
    answer(screen, "minor.legal_rep_present", "no")
    qtbot.waitUntil(lambda: "minor_no_legal_rep" in screen.red_flags.active)
    assert screen.red_flags.list.count() >= 1
    texts = [screen.red_flags.list.item(i).text() for i in range(screen.red_flags.list.count())]
    assert any("legal representative" in t for t in texts)
    # An adult: the minors' section goes away again and its red flag with it.
    go_to_section(screen, "person")
    row = screen.page.rows["victim.age_at_incident"]
    row.editor.edit.clear()
    answer(screen, "victim.age_at_incident", 30)
    qtbot.waitUntil(lambda: section_hidden(screen, "minor"))
    qtbot.waitUntil(lambda: "minor_no_legal_rep" not in screen.red_flags.active)


def test_leaving_a_section_commits_a_revision(unlocked, qtbot) -> None:
    window = unlocked(language="en")
    screen = start_interview(window, qtbot)
    answer(screen, "consent.interview", "yes")
    qtbot.waitUntil(lambda: not section_hidden(screen, "person"))
    case_id = screen.editing.case_id
    go_to_section(screen, "person")
    store = window.session.cases
    assert len(store.history(case_id)) == 1
    answer(screen, "victim.pseudonym", "Aigerim")
    screen.save_button.click()
    history = store.history(case_id)
    assert len(history) == 2
    assert history[-1].changed == ["victim.pseudonym"]
    assert store.load_draft(case_id) is None


def test_autosave_survives_a_crash(unlocked, qtbot, vault_dir) -> None:
    window = unlocked(language="en")
    screen = start_interview(window, qtbot)
    answer(screen, "session.case_code", MARKER)
    case_id = screen.editing.case_id
    with qtbot.waitSignal(screen.editing.draftSaved, timeout=10000):
        pass
    # A crash: the vault goes away with no commit, no lock, no close handler.
    window.session.vault.close()
    window.session = None
    window.case_screens.destroy()
    window.case_screens = None

    reopened = unlocked(language="en")
    store = reopened.session.cases
    draft = store.load_draft(case_id)
    assert draft is not None and draft.answers["session.case_code"] == MARKER
    reopened.case_screens.open_case(case_id)
    row = reopened.case_screens.interview.page.rows["session.case_code"]
    assert row.editor.edit.text() == MARKER


def test_a_problem_inside_a_repeat_group_item_is_shown_under_its_field(unlocked, qtbot) -> None:
    """Problems in repeat-group items (keyed by child id and item `_id`) were never drawn;
    they sit under the field like top-level ones, in the screen language."""
    from interview_helpers import type_text

    window = unlocked(language="ru")
    window.case_screens.case_list.new_button.click()
    screen = window.case_screens.interview
    answer(screen, "consent.interview", "yes")
    qtbot.waitUntil(lambda: not section_hidden(screen, "detention"))
    go_to_section(screen, "detention")
    places = screen.page.rows["detention.places"].editor
    places.add_button.click()
    places.add_button.click()
    first, second = places.items
    rows = {row.qid: row for row in second.rows}
    for qid, text in (("from", "2024-05-01"), ("to", "2023-01-01")):
        rows[qid].editor.edit.setFocus()
        type_text(rows[qid].editor.edit, text)
    qtbot.waitUntil(lambda: not rows["to"].problem.isHidden(), timeout=5000)
    assert rows["to"].problem.text() == "Дата окончания раньше даты начала."
    assert all(row.problem.isHidden() for row in first.rows)  # the other item is fine
    assert rows["from"].problem.isHidden()
    rows["to"].editor.edit.clear()
    type_text(rows["to"].editor.edit, "2024-06-01")
    qtbot.waitUntil(lambda: rows["to"].problem.isHidden(), timeout=5000)
