"""Windows that must fit a 1366x768 laptop in every language (docs/SCREENS.md): the export
dialog through a card review and its result, and its preferred height; the dashboard's
procedural-failures table and the chart legend beside it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from bundle_support import make_party, new_case, trust
from bundle_ui_helpers import last_dialog, open_window, wait_idle
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QWidget

from intake_app.cases.demo import insert_demo
from intake_app.cases.store import CaseStore
from intake_app.identity.card import card_of
from intake_app.vault import Vault
from ui import dialogs
from ui.app import choose_font, load_stylesheet

LAPTOP_WIDTH, LAPTOP_HEIGHT = 1366, 768
# What a 768-px screen leaves a window: a title bar and a desktop panel take about 48 px.
USABLE_HEIGHT = LAPTOP_HEIGHT - 48
LANGUAGES = ["en", "ru", "kk"]
PASSPHRASE = "correct horse battery staple"


@pytest.fixture(autouse=True)
def app_look(qapp) -> Iterator[None]:  # noqa: ANN001
    """The font and stylesheet the application runs with: sizes depend on both."""
    font, sheet = qapp.font(), qapp.styleSheet()
    choose_font(qapp)
    qapp.setStyleSheet(load_stylesheet())
    yield
    qapp.setStyleSheet(sheet)
    qapp.setFont(font)


def needed_height(window: QWidget, preferred: bool = False) -> int:
    """The height the window's layout needs at its current width (wrapped text counted):
    its minimum, or with `preferred` the height at which nothing is squeezed."""
    layout = window.layout()
    assert layout is not None
    height = (layout.totalSizeHint() if preferred else layout.totalMinimumSize()).height()
    if layout.hasHeightForWidth():
        by_width = (layout.totalHeightForWidth(window.width()) if preferred
                    else layout.totalMinimumHeightForWidth(window.width()))  # fmt: skip
        height = by_width if preferred else max(height, by_width)
    return height


@pytest.mark.parametrize("language", LANGUAGES)
def test_export_dialog_keeps_its_height_through_a_card_review_and_the_result(
        language, make_window, qtbot, monkeypatch, tmp_path: Path) -> None:  # fmt: skip
    monitor = make_party(tmp_path, "Aigerim Monitor", "monitor")
    coordinator = make_party(tmp_path, "Coordinator", "coordinator")
    stranger = make_party(tmp_path, "Ombudsman office", "coordinator")
    trust(monitor, coordinator)
    new_case(monitor, {"victim.pseudonym": "Sent-1"})
    new_case(monitor, {"consent.interview": "yes", "consent.share.coalition": "no",
                       "victim.pseudonym": "Withheld-2"})  # fmt: skip
    card = tmp_path / "card.json"
    card.write_bytes(card_of(stranger.identity).to_bytes())
    window = open_window(make_window, monitor, qtbot, monkeypatch, language=language)
    window.export_action.trigger()
    dialog = last_dialog(window)
    qtbot.waitExposed(dialog)
    start = dialog.size()
    assert start.height() <= USABLE_HEIGHT and start.width() <= LAPTOP_WIDTH
    dialog.check_recipient(coordinator.fingerprint)

    dialogs.set_next_answer([card])
    dialog.load_card_button.click()
    assert dialog.card_panel.isVisible() and not dialog.cases_box.isVisible()
    # The dialog did not grow (it went from 720 to 820 px), and even its preferred height,
    # fingerprint whole, fits the screen.
    assert dialog.size() == start
    assert needed_height(dialog, preferred=True) <= USABLE_HEIGHT

    dialog.card_review.compared.click()
    dialog.use_card_button.click()  # the card goes, the cases and destination come back
    assert dialog.cases_box.isVisible() and not dialog.card_panel.isVisible()
    assert dialog.size() == start
    assert needed_height(dialog) <= USABLE_HEIGHT

    dialogs.set_next_answer(tmp_path / "out")
    dialog.choose_button.click()
    dialog.export_button.click()
    wait_idle(dialog, qtbot)
    assert dialog.export_result is not None and dialog.withheld.isVisible()
    assert not dialog.recipients_box.isVisible()
    assert dialog.size() == start
    assert needed_height(dialog) <= USABLE_HEIGHT


def open_dashboard(make_window, vault_dir: Path, qtbot, language: str):  # noqa: ANN001, ANN201
    vault = Vault.create(vault_dir, PASSPHRASE, name="Coordinator", role="coordinator")
    try:
        insert_demo(CaseStore(vault), 60, 2022)
    finally:
        vault.close()
    window = make_window(language=language)
    with qtbot.waitSignal(window.unlocked, timeout=20000):
        window.unlock_screen.passphrase.setText(PASSPHRASE)
        window.unlock_screen.unlock_button.click()
    window.resize(LAPTOP_WIDTH, LAPTOP_HEIGHT)
    window.dashboard_action.trigger()
    dashboard = window.case_screens.dashboard
    qtbot.waitUntil(lambda: dashboard.stats is not None, timeout=20000)
    return window, dashboard


@pytest.mark.parametrize("language", LANGUAGES)
def test_procedural_failures_table_fits_beside_its_chart_with_every_label_whole(
        language, make_window, vault_dir: Path, qtbot) -> None:  # fmt: skip
    window, dashboard = open_dashboard(make_window, vault_dir, qtbot, language)
    panel = dashboard.panels["failures"]
    dashboard.tabs.setCurrentWidget(panel)
    qtbot.waitUntil(lambda: panel.table.isVisible())
    table, header = panel.table, panel.table.horizontalHeader()
    assert window.size().toTuple() == (LAPTOP_WIDTH, LAPTOP_HEIGHT)
    assert table.columnCount() == 7  # the month, then six failures
    # No sideways scrolling (it scrolled in ru and kk): every column is in view...
    assert table.horizontalScrollBar().maximum() == 0
    assert header.length() <= table.viewport().width()
    # ...and wide and tall enough for its label, wrapped at word breaks.
    bold = QFont(header.font())
    bold.setBold(True)
    metrics = QFontMetrics(bold)
    for column in range(table.columnCount()):
        label = table.horizontalHeaderItem(column).text()
        longest = max(metrics.horizontalAdvance(word) for word in label.split())
        assert header.sectionSize(column) >= longest, label
        lines = metrics.boundingRect(QRect(0, 0, header.sectionSize(column), 10_000),
                                     int(Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap),
                                     label).height()  # fmt: skip
        assert header.height() >= lines, label
    assert panel.view.width() >= panel.view.minimumWidth()  # the chart still has its room


@pytest.mark.parametrize("language", LANGUAGES)
def test_export_dialog_prefers_a_height_that_fits_the_screen(
        language, make_window, qtbot, monkeypatch, tmp_path: Path) -> None:  # fmt: skip
    monitor = make_party(tmp_path, "Aigerim Monitor", "monitor")
    coordinator = make_party(tmp_path, "Coordinator", "coordinator")
    trust(monitor, coordinator)
    new_case(monitor, {"victim.pseudonym": "Sent-1"})
    window = open_window(make_window, monitor, qtbot, monkeypatch, language=language)
    window.export_action.trigger()
    dialog = last_dialog(window)
    qtbot.waitExposed(dialog)
    assert dialog.cases_box.isVisible() and not dialog.card_panel.isVisible()
    # Preferred, not only minimum: at its preferred height nothing is squeezed (it was 831 px
    # before a card was loaded, so Qt squeezed the lists to fit 720).
    assert dialog.sizeHint().height() <= USABLE_HEIGHT
    assert needed_height(dialog, preferred=True) <= USABLE_HEIGHT
    for listed in (dialog.recipients, dialog.cases):  # each list has at least its room
        assert listed.height() >= listed.sizeHint().height()


@pytest.mark.parametrize("language", LANGUAGES)
def test_procedural_failures_legend_shows_every_name_whole(
        language, make_window, vault_dir: Path, qtbot) -> None:  # fmt: skip
    window, dashboard = open_dashboard(make_window, vault_dir, qtbot, language)
    panel = dashboard.panels["failures"]
    dashboard.tabs.setCurrentWidget(panel)
    qtbot.waitUntil(lambda: panel.legend.isVisible())
    assert window.size().toTuple() == (LAPTOP_WIDTH, LAPTOP_HEIGHT)
    # QtCharts' own legend elided the longest names ("Психол.-психиатр. сараптама ж…").
    assert not panel.view.chart().legend().isVisible()
    series = panel.data.series
    assert [label.text() for label in panel.legend.labels] == [s.name for s in series]
    for label, s in zip(panel.legend.labels, series, strict=True):
        assert label.toolTip() == s.tooltip  # the long name, as in the table's header
        # Whole: no word wider than its label, and tall enough for every wrapped line.
        metrics = QFontMetrics(label.font())
        longest = max(metrics.horizontalAdvance(word) for word in label.text().split())
        assert label.contentsRect().width() >= longest, label.text()
        assert label.height() >= label.heightForWidth(label.width()), label.text()
        assert panel.legend.rect().contains(label.geometry()), label.text()
    assert panel.table.horizontalScrollBar().maximum() == 0  # the table's fix still holds
    assert panel.view.height() >= panel.view.minimumHeight()
    # The legend is as tall as its names at its width: no more (a label's height at its
    # narrowest is no measure), no less.
    legend = panel.legend
    assert legend.height() == legend.heightForWidth(legend.width())
