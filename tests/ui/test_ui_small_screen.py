"""Windows that must fit a 1366x768 laptop in every language (docs/SCREENS.md): the export
dialog through a card review and its result; the dashboard's procedural-failures table."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from bundle_support import make_party, new_case, trust
from bundle_ui_helpers import last_dialog, open_window, wait_idle
from PySide6.QtWidgets import QWidget

from intake_app.identity.card import card_of
from ui import dialogs
from ui.app import choose_font, load_stylesheet

LAPTOP_WIDTH, LAPTOP_HEIGHT = 1366, 768
# What a 768-px screen leaves a window: a title bar and a desktop panel take about 48 px.
USABLE_HEIGHT = LAPTOP_HEIGHT - 48
LANGUAGES = ["en", "ru", "kk"]


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
