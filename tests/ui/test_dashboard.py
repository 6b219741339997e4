"""The dashboard: in the navigation for every role (bold for coordinators), exact coalition
counts on screen, filters on a worker, labels in en/ru/kk, PNG export suppressed by default,
cleared at lock; and "Dossier PDF…" from the case view (warned, written only where chosen)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from intake_app.cases.demo import insert_demo
from intake_app.cases.store import CaseStore
from intake_app.vault import Vault
from ui import dialogs

PASSPHRASE = "correct horse battery staple"


def make_vault(folder: Path, role: str, cases: int = 190) -> None:
    vault = Vault.create(folder, PASSPHRASE, name="Coordinator", role=role)
    try:
        if cases:
            insert_demo(CaseStore(vault), cases, 2022)
    finally:
        vault.close()


@pytest.fixture
def open_window(make_window, vault_dir: Path, qtbot):  # noqa: ANN201
    def open_(role: str = "coordinator", cases: int = 190, language: str = "en"):  # noqa: ANN202
        make_vault(vault_dir, role, cases)
        window = make_window(language=language)
        with qtbot.waitSignal(window.unlocked, timeout=20000):
            window.unlock_screen.passphrase.setText(PASSPHRASE)
            window.unlock_screen.unlock_button.click()
        return window

    return open_


def show_dashboard(window, qtbot):  # noqa: ANN001, ANN201
    window.dashboard_action.trigger()
    dashboard = window.case_screens.dashboard
    qtbot.waitUntil(lambda: dashboard.stats is not None, timeout=20000)
    return dashboard


def table_rows(panel) -> dict[str, list[str]]:  # noqa: ANN001
    table = panel.table
    columns = range(1, table.columnCount())
    return {table.item(r, 0).text(): [table.item(r, c).text() for c in columns]
            for r in range(table.rowCount())}  # fmt: skip


def test_dashboard_is_in_the_navigation_for_every_role_bold_for_coordinators(open_window):
    window = open_window(role="monitor", cases=0)
    assert window.nav_bar.isVisible() and window.dashboard_action.isEnabled()
    assert not window.dashboard_action.font().bold()
    window.lock()
    assert not window.nav_bar.isVisible() and not window.dashboard_action.isEnabled()


def test_dashboard_is_bold_for_a_coordinator(open_window):
    window = open_window(role="coordinator", cases=0)
    assert window.dashboard_action.font().bold()


def test_dashboard_shows_the_coalition_counts_exactly(open_window, qtbot):
    window = open_window()
    dashboard = show_dashboard(window, qtbot)
    assert window.stack.currentWidget() is dashboard
    assert dashboard.summary.text().startswith("190 cases: 178 men, 12 women, 13 minors")
    cities = table_rows(dashboard.panels["cities"])
    assert cities["Taraz"] == ["33", "33"] and cities["Almaty"] == ["46", "31"]
    assert cities["Semey"] == ["6", "1"]  # exact on screen, even below 5
    people = table_rows(dashboard.panels["people"])
    assert people["Male"] == ["178"] and people["Minors (under 18)"] == ["13"]
    failures = table_rows(dashboard.panels["failures"])
    assert failures["2022-01"][0] == str(dashboard.stats["fme_not_conducted"])
    chart = dashboard.panels["cities"].view.chart()
    bars = chart.series()[0].barSets()
    assert [b.label() for b in bars] == ["Cases", "Investigation terminated"]
    assert sum(bars[0].at(i) for i in range(bars[0].count())) == 190


def test_filters_recompute_on_a_worker(open_window, qtbot):
    window = open_window()
    dashboard = show_dashboard(window, qtbot)
    uralsk = dashboard._cities.index("kz.city.uralsk")
    with qtbot.waitSignal(dashboard.statsShown, timeout=20000):
        dashboard.city.setCurrentIndex(uralsk)
    assert dashboard.stats["cases"] == 10 and dashboard.stats["terminated"] == 6
    with qtbot.waitSignal(dashboard.statsShown, timeout=20000):
        dashboard.date_from.setText("2023-01")
        dashboard.apply_button.click()
    assert dashboard.stats["cases"] == 0


def test_bad_date_filter_shows_a_message_and_keeps_the_figures(open_window, qtbot):
    window = open_window()
    dashboard = show_dashboard(window, qtbot)
    before = dashboard.stats
    with qtbot.waitSignal(dashboard.statsShown, timeout=20000):
        dashboard.date_to.setText("2022-13")
        dashboard.apply_button.click()
    assert "--to" in dashboard.problem.text() or "YYYY" in dashboard.problem.text()
    assert not dashboard.problem.isHidden()
    assert dashboard.stats is before


@pytest.mark.parametrize(
    ("language", "title", "uralsk", "tab"),
    [("ru", "Сводная статистика по делам", "Уральск", "По городам"),
     ("kk", "Істер бойынша жиынтық статистика", "Орал", "Қалалар бойынша")],
)  # fmt: skip
def test_labels_in_the_screen_language(open_window, qtbot, language, title, uralsk, tab):
    window = open_window(language=language)
    dashboard = show_dashboard(window, qtbot)
    assert dashboard._title.text() == title
    assert dashboard.tabs.tabText(0) == tab
    assert uralsk in table_rows(dashboard.panels["cities"])
    window.t.set_language("en")
    assert dashboard.tabs.tabText(0) == "By city"
    assert "Uralsk" in table_rows(dashboard.panels["cities"])


def test_png_export_suppresses_small_cells_by_default(open_window, qtbot, tmp_path):
    window = open_window()
    dashboard = show_dashboard(window, qtbot)
    dashboard.tabs.setCurrentWidget(dashboard.panels["cities"])
    data = dashboard.panels["cities"].data
    terminated = dict(zip(data.categories, data.suppressed()[1], strict=True))
    assert terminated["Semey"] == "<5" and terminated["Taraz"] == 33
    target = tmp_path / "chart"
    dialogs.set_next_answer(target)
    dashboard.export_current()
    saved = tmp_path / "chart.png"
    assert saved.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    image = QImage(str(saved))
    assert image.width() >= 1000 and image.height() >= 600
    assert "chart.png" in dashboard.export_status.text()
    assert [d.kind for d in dialogs.shown()] == [dialogs.Kind.SAVE_FILE]


def test_png_export_cancelled_writes_nothing(open_window, qtbot, tmp_path):
    window = open_window()
    dashboard = show_dashboard(window, qtbot)
    dialogs.set_next_answer(None)
    dashboard.export_current()
    assert list(tmp_path.glob("*.png")) == []


def test_lock_clears_every_figure(open_window, qtbot):
    window = open_window()
    dashboard = show_dashboard(window, qtbot)
    panels = list(dashboard.panels.values())
    window.lock()
    assert dashboard.stats is None and dashboard.summary.text() == ""
    assert all(p.table.rowCount() == 0 and p.data is None for p in panels)
    assert window.case_screens is None


def _case_view(window, qtbot):  # noqa: ANN001, ANN202
    case_id = window.session.cases.list_page(0, 1)[0].id
    window.case_screens.show_history(case_id)
    return window.case_screens.case_view, case_id


def test_dossier_pdf_from_the_case_view_warns_and_writes_where_chosen(open_window, qtbot,
                                                                      tmp_path):  # fmt: skip
    window = open_window(cases=3)
    view, _case_id = _case_view(window, qtbot)
    target = tmp_path / "for the lawyer"
    dialogs.set_next_answer(True)  # the plaintext warning: go on
    dialogs.set_next_answer(target)  # where
    dialogs.set_next_answer(True)  # the "saved" message
    view.dossier_button.click()
    pdf = tmp_path / "for the lawyer.pdf"
    qtbot.waitUntil(lambda: dialogs.pending_answers() == 0, timeout=30000)
    assert pdf.read_bytes().startswith(b"%PDF")
    kinds = [d.kind for d in dialogs.shown()]
    assert kinds == [dialogs.Kind.QUESTION, dialogs.Kind.SAVE_FILE, dialogs.Kind.INFO]
    assert "NOT encrypted" in dialogs.shown()[0].text
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".pdf") == [pdf.name]


def test_dossier_declined_writes_nothing(open_window, qtbot, tmp_path):
    window = open_window(cases=3)
    view, _case_id = _case_view(window, qtbot)
    dialogs.set_next_answer(False)
    view.dossier_button.click()
    assert [d.kind for d in dialogs.shown()] == [dialogs.Kind.QUESTION]
    assert list(tmp_path.glob("*.pdf")) == []
