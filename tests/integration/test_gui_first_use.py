"""What a first real user met in the window (Xvfb, Russian screen) and the fixes: the wheel
changed answers while scrolling the interview, Qt's own dialogs stayed English, and a card's
fingerprint was cut in half while being compared.
"""

from __future__ import annotations

import os
import sys

os.environ["QT_QPA_PLATFORM"] = "offscreen"
_REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if sys.path[:1] != [_REPO]:
    sys.path.insert(0, _REPO)  # the checkout's ui package (see tests/ui/conftest.py)

import pytest  # noqa: E402
from PySide6.QtCore import QPoint, QPointF, Qt  # noqa: E402
from PySide6.QtGui import QWheelEvent  # noqa: E402
from PySide6.QtWidgets import (  # noqa: E402
    QApplication,
    QDialogButtonBox,
    QLineEdit,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from ui.i18n import Translator, install_qt_texts  # noqa: E402
from ui.qt_runtime import protect_none  # noqa: E402
from ui.widgets.answer_editors import ChoiceEditor  # noqa: E402
from ui.widgets.fingerprint import CardReview  # noqa: E402

protect_none()

FINGERPRINT = "CKSTFI4E4HWUCTHTLPY6GO5MKOESFJWO"


class _Question:
    """The few attributes an editor reads from a protocol question."""

    def __init__(self) -> None:
        self.id = "session.setting"
        self.type = "choice"
        self.options = [{"value": v, "label": {"en": v}} for v in ("home", "office", "prison")]


def _wheel_down(widget: QWidget) -> bool:
    """Send one wheel notch; True when the widget kept the event (did not hand it on)."""
    centre = QPointF(widget.rect().center())
    event = QWheelEvent(centre, QPointF(widget.mapToGlobal(centre.toPoint())), QPoint(0, 0),
                        QPoint(0, -120), Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                        Qt.ScrollPhase.NoScrollPhase, False)  # fmt: skip
    QApplication.sendEvent(widget, event)
    return event.isAccepted()


@pytest.fixture
def scrolling_form(qtbot):  # noqa: ANN201
    t = Translator("en")
    area = QScrollArea()
    body = QWidget()
    layout = QVBoxLayout(body)
    editor = ChoiceEditor(_Question(), t.pick, t.tr)
    other = QLineEdit()  # where the person is typing, not the choice box
    layout.addWidget(other)
    layout.addSpacing(900)
    layout.addWidget(editor)
    layout.addSpacing(900)
    area.setWidget(body)
    area.resize(400, 300)
    qtbot.addWidget(area)
    area.show()
    area.ensureWidgetVisible(editor)
    other.setFocus()
    qtbot.waitUntil(other.hasFocus)
    return area, editor


def test_wheel_over_an_unfocused_choice_scrolls_the_form_not_the_answer(scrolling_form):
    area, editor = scrolling_form
    editor.set_value("office")
    kept = _wheel_down(editor.box)
    assert editor.value() == "office"
    # Handed on: Qt gives an ignored (real, spontaneous) wheel event to the parents, so the
    # scroll area scrolls; a test's own event is not propagated, so the viewport gets it here.
    assert kept is False
    before = area.verticalScrollBar().value()
    _wheel_down(area.viewport())
    assert area.verticalScrollBar().value() > before


def test_wheel_over_the_focused_choice_still_changes_it(scrolling_form, qtbot):
    _area, editor = scrolling_form
    editor.set_value("office")
    editor.box.setFocus()
    qtbot.waitUntil(editor.box.hasFocus)
    assert _wheel_down(editor.box) is True
    assert editor.value() == "prison"


def test_qt_dialog_words_follow_the_screen_language(qtbot):
    app = QApplication.instance()
    t = Translator("ru")
    qt = install_qt_texts(app, t)
    try:
        def cancel() -> str:
            box = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
            return box.button(QDialogButtonBox.StandardButton.Cancel).text()

        assert cancel() == "Отмена"
        t.set_language("kk")
        assert cancel() == "Бас тарту"
        t.set_language("en")
        assert cancel() == "Cancel"
        t.set_language("ru")
        assert install_qt_texts(app, Translator("en")) is qt  # one per application
        assert cancel() == "Cancel"
    finally:
        app.removeTranslator(qt)


def test_a_card_fingerprint_is_never_squeezed(qtbot):
    t = Translator("ru")
    review = CardReview(t)
    qtbot.addWidget(review)
    review.show_card("Coalition coordinator", "coordinator", "coalition", FINGERPRINT)
    review.resize(900, 60)  # far less height than it needs
    review.show()
    label = review.fingerprint
    qtbot.waitUntil(lambda: label.height() > 0)
    assert label.height() >= label.sizeHint().height()

