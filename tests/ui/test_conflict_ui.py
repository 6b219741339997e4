"""Conflict resolution side by side: a real conflict made by two devices editing one case,
shown answer by answer with only the differences highlighted and labelled in the interview
language; choosing per answer (click or keyboard) or one side whole; resolving writes one
revision whose parents are both heads, and the conflict is gone."""

from __future__ import annotations

from pathlib import Path

import pytest
from bundle_support import SHARE_NAMED, Party, export, import_, make_party, new_case, save, trust
from bundle_ui_helpers import open_window
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from ui import dialogs
from ui.windows.conflict_view import CHOSEN_MARK, DIFFERS

BASE = {"victim.pseudonym": "Сәуле", "victim.sex": "female"}
MONITOR_EDIT = {**BASE, "victim.sex": "male", "incident.narrative": "Ұрды. Monitor's words",
                "victim.citizenship": "KZ"}  # fmt: skip
COORDINATOR_EDIT = {**BASE, "victim.sex": "unknown", "incident.narrative": "Coordinator's"}


@pytest.fixture
def conflict(tmp_path: Path) -> tuple[Party, str, dict[str, str]]:
    """A case edited apart on the monitor's laptop and at the coordinator: two heads there."""
    monitor = make_party(tmp_path, "Monitor", "monitor")
    coordinator = make_party(tmp_path, "Coordinator", "coordinator")
    trust(monitor, coordinator)
    trust(coordinator, monitor)
    case_id = new_case(monitor, BASE)
    import_(coordinator, export(monitor, tmp_path / "1.intake", coordinator.fingerprint))
    heads = {"monitor": save(monitor, case_id, MONITOR_EDIT),
             "coordinator": save(coordinator, case_id, COORDINATOR_EDIT)}
    result = import_(coordinator, export(monitor, tmp_path / "2.intake", coordinator.fingerprint))
    assert result.conflicts == [case_id]
    return coordinator, case_id, heads


def _open_conflict(make_window, qtbot, monkeypatch, coordinator, case_id, **kw):  # noqa: ANN001, ANN003, ANN202
    window = open_window(make_window, coordinator, qtbot, monkeypatch, **kw)
    window.case_screens.show_history(case_id)
    view = window.case_screens.case_view
    assert view.conflict_note.isVisible() and view.resolve_button.isVisible()
    view.resolve_button.click()
    conflict_view = window.case_screens.bundles.conflict
    assert window.stack.currentWidget() is conflict_view
    return window, conflict_view


def _row(view, key: str) -> int:  # noqa: ANN001
    return view.keys.index(key)


def _resolved(window, qtbot, case_id: str):  # noqa: ANN001, ANN202
    # Read while the resolve worker may still be writing: the GUI thread sees only committed
    # work (its own read-only connection), so no conflict-free half state shows early.
    qtbot.waitUntil(lambda: not window.session.cases.get(case_id).conflict, timeout=20000)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.case_screens.case_view)
    record = window.session.cases.get(case_id)
    return record, window.session.cases.revision(record.heads[0])


def test_conflict_resolved_per_answer_side_by_side_has_two_parents(
        conflict, make_window, qtbot, monkeypatch) -> None:  # fmt: skip
    coordinator, case_id, heads = conflict
    window, view = _open_conflict(make_window, qtbot, monkeypatch, coordinator, case_id,
                                  language="en", interview_language="en")
    # Oldest head first: the monitor saved first.
    assert [h.id for h in view.heads] == [heads["monitor"], heads["coordinator"]]
    assert view.table.horizontalHeaderItem(1).text().startswith("Version A: Monitor, ")
    assert view.table.horizontalHeaderItem(2).text().startswith("Version B: This device, ")
    assert sorted(view.differing) == ["incident.narrative", "victim.citizenship", "victim.sex"]
    same = _row(view, "victim.pseudonym")
    assert view.table.item(same, 1).text() == view.table.item(same, 2).text() == "Сәуле"
    assert view.table.item(same, 1).background().color() != DIFFERS  # only differences marked
    sex = _row(view, "victim.sex")
    assert view.table.item(sex, 0).text() == "Sex"
    assert [view.table.item(sex, c).text() for c in (1, 2)] == ["Male", "Unknown"]
    assert view.table.item(sex, 1).background().color() == DIFFERS
    citizenship = _row(view, "victim.citizenship")
    assert view.table.item(citizenship, 2).text() == "(no answer)"

    assert not view.resolve_button.isEnabled()
    view.table.cellClicked.emit(sex, 2)  # the coordinator's "unknown"
    view.table.cellClicked.emit(_row(view, "incident.narrative"), 1)  # the monitor's words
    assert view.table.item(sex, 2).text() == CHOSEN_MARK + "Unknown"
    assert view.status.text() == "Chosen: 2 of 3 differing answers."
    assert not view.resolve_button.isEnabled()  # every difference needs a choice
    view.table.cellClicked.emit(citizenship, 2)  # no citizenship, as the coordinator had it
    assert view.resolve_button.isEnabled()
    view.resolve_button.click()

    record, head = _resolved(window, qtbot, case_id)
    assert sorted(head.parents) == sorted(heads.values())
    assert head.author == window.session.vault.identity.fingerprint
    assert head.answers["victim.sex"] == "unknown"
    assert head.answers["incident.narrative"] == "Ұрды. Monitor's words"
    assert "victim.citizenship" not in head.answers
    assert head.answers["victim.pseudonym"] == "Сәуле"
    assert {k: head.answers[k] for k in SHARE_NAMED} == SHARE_NAMED
    assert not window.case_screens.case_view.conflict_note.isVisible()


def test_take_one_side_whole(conflict, make_window, qtbot, monkeypatch) -> None:
    coordinator, case_id, heads = conflict
    window, view = _open_conflict(make_window, qtbot, monkeypatch, coordinator, case_id,
                                  language="en")
    view.take_buttons[0].click()  # "Take all of version A"
    assert view.status.text() == "Chosen: 3 of 3 differing answers."
    view.resolve_button.click()
    _record, head = _resolved(window, qtbot, case_id)
    monitor_head = window.session.cases.revision(heads["monitor"])
    assert head.answers == monitor_head.answers
    assert sorted(head.parents) == sorted(heads.values())


def test_keyboard_choice_and_labels_in_the_interview_language(
        conflict, make_window, qtbot, monkeypatch) -> None:  # fmt: skip
    coordinator, case_id, _heads = conflict
    window, view = _open_conflict(make_window, qtbot, monkeypatch, coordinator, case_id,
                                  language="ru", interview_language="kk")
    sex = _row(view, "victim.sex")
    assert view.table.item(sex, 0).text() == "Жынысы"  # the protocol's Kazakh label
    assert view.table.horizontalHeaderItem(0).text() == "Вопрос"  # the screen in Russian
    view.only_differences.click()
    assert view.table.isRowHidden(_row(view, "victim.pseudonym"))
    assert not view.table.isRowHidden(sex)
    view.table.setFocus()
    view.table.setCurrentCell(sex, 1)
    QTest.keyClick(view.table, Qt.Key.Key_Space)
    assert view.choices == {"victim.sex": 0}
    assert view.table.item(sex, 1).text().startswith(CHOSEN_MARK)
    window.t.set_interview_language("en")
    assert view.table.item(sex, 0).text() == "Sex"
    assert view.choices == {"victim.sex": 0}  # relabelling keeps the choices


def test_a_case_without_conflict_says_so(tmp_path, make_window, qtbot, monkeypatch) -> None:
    party = make_party(tmp_path, "Solo", "coordinator")
    case_id = new_case(party, BASE)
    window = open_window(make_window, party, qtbot, monkeypatch, language="en")
    window.case_screens.show_history(case_id)
    assert not window.case_screens.case_view.resolve_button.isVisible()
    dialogs.set_next_answer(True)
    window.case_screens.bundles.resolve(case_id)
    info = [s for s in dialogs.shown() if s.kind == dialogs.Kind.INFO][-1]
    assert info.text == "This case has only one version now; there is nothing to resolve."
    assert window.stack.currentWidget() is window.case_screens.case_view


def test_a_mixed_resolution_keeps_the_attachments_of_both_versions(
        tmp_path, make_window, qtbot, monkeypatch) -> None:  # fmt: skip
    from intake_app.cases.store import CaseStore

    monitor = make_party(tmp_path, "Monitor", "monitor")
    coordinator = make_party(tmp_path, "Coordinator", "coordinator")
    trust(monitor, coordinator)
    trust(coordinator, monitor)
    case_id = new_case(monitor, BASE)
    import_(coordinator, export(monitor, tmp_path / "1.intake", coordinator.fingerprint))
    photo = tmp_path / "injury.jpg"
    photo.write_bytes(b"\xff\xd8 not really a jpeg " * 50)
    vault = monitor.open()
    try:
        store = CaseStore(vault)
        sha = store.attach(case_id, photo)[1]["sha256"]
        store.save(case_id, {**store.get(case_id).answers, "victim.sex": "male",
                             "evidence.injury_photos": [sha]})  # fmt: skip
    finally:
        vault.close()
    save(coordinator, case_id, COORDINATOR_EDIT)
    import_(coordinator, export(monitor, tmp_path / "2.intake", coordinator.fingerprint))
    window, view = _open_conflict(make_window, qtbot, monkeypatch, coordinator, case_id,
                                  language="en")
    photos = _row(view, "evidence.injury_photos")
    monitor_column = 1 + [i for i, h in enumerate(view.heads) if h.attachments][0]
    coordinator_column = 3 - monitor_column
    view.take_all(coordinator_column - 1)  # the coordinator's answers...
    view.table.cellClicked.emit(photos, monitor_column)  # ...with the monitor's photo
    view.resolve_button.click()
    _record, head = _resolved(window, qtbot, case_id)
    assert head.answers["evidence.injury_photos"] == [sha]
    assert head.answers["victim.sex"] == "unknown"
    assert [a["sha256"] for a in head.attachments] == [sha]
    assert len(head.parents) == 2


def test_a_version_arriving_meanwhile_stops_the_resolution(
        conflict, make_window, qtbot, monkeypatch) -> None:  # fmt: skip
    coordinator, case_id, heads = conflict
    window, view = _open_conflict(make_window, qtbot, monkeypatch, coordinator, case_id,
                                  language="en")
    view.take_all(0)
    store = window.session.cases
    newer = store.save(case_id, {**COORDINATOR_EDIT, **SHARE_NAMED, "victim.sex": "other"},
                       base=heads["coordinator"])  # fmt: skip
    dialogs.set_next_answer(True)
    view.resolve_button.click()
    qtbot.waitUntil(lambda: view.task is None, timeout=20000)
    error = [s for s in dialogs.shown() if s.kind == dialogs.Kind.ERROR][-1]
    assert "changed while you compared" in error.text
    assert sorted(store.get(case_id).heads) == sorted([heads["monitor"], newer])
