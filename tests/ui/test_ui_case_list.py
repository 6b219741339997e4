"""The case list: lazy fetching over many cases, search, filters, pseudonyms only."""

from __future__ import annotations

import threading
import time

from PySide6.QtCore import Qt

from intake_app.cases.demo import insert_demo


def refresh(screen, qtbot) -> None:  # noqa: ANN001
    with qtbot.waitSignal(screen.searchFinished, timeout=10000):
        screen.refresh()


def test_list_fetches_lazily_with_many_cases(unlocked, qtbot) -> None:
    window = unlocked(language="en")
    insert_demo(window.session.cases, 1200, seed=7)
    screen = window.case_screens.case_list
    started = time.perf_counter()
    refresh(screen, qtbot)
    first_page = time.perf_counter() - started
    model = screen.model
    assert model.rowCount() == model.page_size == 200
    assert model.canFetchMore()
    assert first_page < 1.0, f"first page took {first_page:.3f} s"
    screen.table.scrollToBottom()
    qtbot.waitUntil(lambda: model.rowCount() > 200, timeout=5000)
    while model.canFetchMore():
        with qtbot.waitSignal(model.pageLoaded, timeout=5000):
            model.fetchMore()
    assert model.rowCount() == 1200
    assert len({model.row(i).id for i in range(model.rowCount())}) == 1200


def test_search_pages_are_read_off_the_gui_thread(unlocked, qtbot) -> None:
    """Later pages of a broad full-text search once ran on the GUI thread (~360 ms each on
    20,000 cases), freezing the window while the user scrolled."""
    window = unlocked(language="en")
    store = window.session.cases
    for i in range(450):
        store.new_case({"consent.interview": "yes", "victim.pseudonym": f"P{i:03d}",
                        "incident.narrative": "ұрып-соғу тергеу изоляторында"})
    screen = window.case_screens.case_list
    threads: list[threading.Thread] = []
    real_fetch = screen._fetch

    def recording_fetch(query, offset, limit):  # noqa: ANN001, ANN202
        threads.append(threading.current_thread())
        return real_fetch(query, offset, limit)

    screen._fetch = recording_fetch
    refresh(screen, qtbot)
    with qtbot.waitSignal(screen.searchFinished, timeout=10000):
        screen.search_box.setText("ұрып")
    model = screen.model
    assert model.rowCount() == 200 and model.canFetchMore()
    # The view asks for more as the user scrolls: the request returns at once, rows follow.
    with qtbot.waitSignal(model.pageLoaded, timeout=10000):
        screen.table.scrollToBottom()
        model.fetchMore()  # offscreen views may not ask; a second ask while loading is a no-op
        assert model.rowCount() == 200  # nothing was read on the GUI thread
    qtbot.waitUntil(lambda: not model.loading)
    while model.canFetchMore():
        with qtbot.waitSignal(model.pageLoaded, timeout=10000):
            model.fetchMore()
    assert model.rowCount() == 450
    assert len({model.row(i).id for i in range(450)}) == 450
    assert threads and threading.main_thread() not in threads


def test_a_page_for_an_older_search_is_dropped(unlocked, qtbot) -> None:
    window = unlocked(language="en")
    store = window.session.cases
    for name in ("Aruzhan", "Bolat"):
        store.new_case({"consent.interview": "yes", "victim.pseudonym": name})
    screen = window.case_screens.case_list
    refresh(screen, qtbot)
    model = screen.model
    stale = model.generation
    with qtbot.waitSignal(screen.searchFinished, timeout=5000):
        screen.search_box.setText("Bolat")
    model.deliver(stale, 0, [model.row(0)] * 3)  # a late answer to the superseded query
    assert model.rowCount() == 1


def test_list_shows_pseudonyms_never_full_names(unlocked, qtbot) -> None:
    window = unlocked(language="en")
    store = window.session.cases
    store.new_case({"consent.interview": "yes", "victim.full_name": "Сабыр Қайратұлы Нұрланов",
                    "victim.pseudonym": "Berik"})
    screen = window.case_screens.case_list
    refresh(screen, qtbot)
    shown = [screen.model.data(screen.model.index(0, c)) for c in range(5)]
    assert "Berik" in shown
    assert not any("Нұрланов" in str(s) for s in shown)


def test_search_filters_the_list(unlocked, qtbot) -> None:
    window = unlocked(language="en")
    store = window.session.cases
    for pseudonym, narrative in (("Aruzhan", "Бил дубинкой в ИВС Талдыкоргана"),
                                 ("Bolat", "Электрошокер, тергеу изоляторы"),
                                 ("Dana", "Қорқыту, ұрып-соғу")):
        store.new_case({"consent.interview": "yes", "victim.pseudonym": pseudonym,
                        "incident.narrative": narrative})
    screen = window.case_screens.case_list
    refresh(screen, qtbot)
    assert screen.model.rowCount() == 3
    with qtbot.waitSignal(screen.searchFinished, timeout=5000):
        qtbot.keyClicks(screen.search_box, "dubin")  # no match: Latin letters
    assert screen.model.rowCount() == 0
    screen.search_box.clear()
    with qtbot.waitSignal(screen.searchFinished, timeout=5000):
        screen.search_box.setText("ұрып")
    assert screen.model.rowCount() == 1
    assert screen.model.row(0).pseudonym == "Dana"
    with qtbot.waitSignal(screen.searchFinished, timeout=5000):
        screen.search_box.clear()
    assert screen.model.rowCount() == 3


def test_filters_and_badges(unlocked, qtbot) -> None:
    window = unlocked(language="en")
    store = window.session.cases
    store.new_case({"consent.interview": "yes", "victim.pseudonym": "Minor",
                    "victim.age_at_incident": 16, "minor.legal_rep_present": "no"})
    store.new_case({"consent.interview": "yes", "victim.pseudonym": "Adult",
                    "victim.age_at_incident": 40})
    screen = window.case_screens.case_list
    refresh(screen, qtbot)
    assert screen.model.rowCount() == 2
    with qtbot.waitSignal(screen.searchFinished, timeout=5000):
        screen.minor.setChecked(True)
    assert [screen.model.row(i).pseudonym for i in range(screen.model.rowCount())] == ["Minor"]
    badge = screen.model.data(screen.model.index(0, 0))
    assert badge.startswith("⚑")
    tip = screen.model.data(screen.model.index(0, 0), Qt.ItemDataRole.ToolTipRole)
    assert "red flag" in tip
    with qtbot.waitSignal(screen.searchFinished, timeout=5000):
        screen.minor.setChecked(False)
    rules = [r.id for r in window.session.protocol.red_flag_rules]
    with qtbot.waitSignal(screen.searchFinished, timeout=5000):
        screen.red_flag.setCurrentIndex(rules.index("minor_no_legal_rep") + 1)
    assert screen.model.rowCount() == 1


def test_opening_a_case_from_the_list_with_the_keyboard(unlocked, qtbot) -> None:
    window = unlocked(language="en")
    case_id = window.session.cases.new_case({"consent.interview": "yes",
                                             "victim.pseudonym": "Gulnara"})
    screen = window.case_screens.case_list
    refresh(screen, qtbot)
    screen.table.setFocus()
    screen.table.setCurrentIndex(screen.model.index(0, 1))
    qtbot.keyClick(screen.table, Qt.Key.Key_Return)
    interview = window.case_screens.interview
    qtbot.waitUntil(lambda: window.stack.currentWidget() is interview)
    assert interview.editing.case_id == case_id


def test_a_conflicted_case_opens_in_the_case_view_not_the_editor(unlocked, qtbot) -> None:
    window = unlocked(language="en")
    store = window.session.cases
    case_id = store.new_case({"consent.interview": "yes", "victim.pseudonym": "Two heads"})
    base = store.get(case_id).heads[0]
    store.save(case_id, {"consent.interview": "yes", "victim.pseudonym": "Edit A"}, base=base)
    store.save(case_id, {"consent.interview": "yes", "victim.pseudonym": "Edit B"}, base=base)
    assert store.get(case_id).conflict
    screens = window.case_screens
    screens.open_case(case_id)
    assert window.stack.currentWidget() is screens.case_view
    assert screens.interview.editing is None
    assert len(store.get(case_id).heads) == 2  # nothing was merged behind the user's back
