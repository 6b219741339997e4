"""One editor class per protocol question TYPE (never per question): the interview is drawn
from the protocol file, so a new question needs no widget code.

Every editor has `value()` (the answer exactly as the protocol stores it, or None when
empty), `set_value(v)`, `clear()`, a `changed` signal and `relabel(pick)` for a language
switch. Text is never normalised: what the person typed is what is stored.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Protocol

from PySide6.QtCore import QMimeData, QRegularExpression, QStringListModel, Qt, Signal
from PySide6.QtGui import QRegularExpressionValidator, QWheelEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QCompleter,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

Pick = Callable[[Any], str]  # protocol label {en, ru, kk} -> text in the interview language


class Tr(Protocol):
    """Interface key (with format values) -> text in the screen language (Translator.tr)."""

    def __call__(self, key: str, /, **values: object) -> str: ...


DATE_PATTERN = r"\d{0,4}(-\d{0,2}(-\d{0,2})?)?"
NUMBER_PATTERN = r"-?\d{0,12}([.,]\d{0,6})?"


def qattr(question: Any, name: str, default: Any = None) -> Any:
    """Read a question attribute whether the protocol model is a dataclass or a mapping."""
    if isinstance(question, dict):
        return question.get(name, default)
    return getattr(question, name, default)


class AnswerEditor(QWidget):
    changed = Signal()

    def __init__(self, question: Any, pick: Pick, tr: Tr, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.question = question
        self._pick = pick
        self._tr = tr

    def value(self) -> Any:
        raise NotImplementedError

    def set_value(self, value: Any) -> None:
        raise NotImplementedError

    def clear(self) -> None:
        self.set_value(None)

    def relabel(self, pick: Pick, tr: Tr) -> None:
        self._pick, self._tr = pick, tr

    def set_accessible(self, name: str) -> None:
        self.setAccessibleName(name)


class TextEditor(AnswerEditor):
    def __init__(self, question: Any, pick: Pick, tr: Tr, parent: QWidget | None = None) -> None:
        super().__init__(question, pick, tr, parent)
        self.edit = QLineEdit(self)
        self.edit.setMaxLength(int(qattr(question, "max_length", 10000) or 10000))
        self.edit.textEdited.connect(lambda _t: self.changed.emit())
        _single(self, self.edit)

    def value(self) -> Any:
        return self.edit.text() or None

    def set_value(self, value: Any) -> None:
        self.edit.setText(value if isinstance(value, str) else "")

    def set_accessible(self, name: str) -> None:
        self.edit.setAccessibleName(name)


# Qt lays out a paragraph as one unit: a single 50,000-character line without spaces takes
# seconds, 1 MB takes minutes (measured). Longer lines are shown shortened, read-only, and
# kept exactly as given, so a pasted 1 MB answer never hangs the window.
MAX_EDITABLE_LINE = 20_000
PREVIEW_CHARS = 4_000


def _too_long_to_edit(text: str) -> bool:
    if len(text) <= MAX_EDITABLE_LINE:
        return False
    start = 0
    while start < len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end
        if end - start > MAX_EDITABLE_LINE:
            return True
        start = end + 1
    return False


class _GuardedTextEdit(QPlainTextEdit):
    """Refuses to lay out pasted text that would freeze the window; hands it over instead."""

    hugePaste = Signal(str)

    def insertFromMimeData(self, source: QMimeData) -> None:  # noqa: N802 - Qt API
        text = source.text()
        if _too_long_to_edit(text):
            cursor = self.textCursor()
            whole = self.toPlainText()
            before, after = whole[: cursor.selectionStart()], whole[cursor.selectionEnd():]
            self.hugePaste.emit(before + text + after)
            return
        super().insertFromMimeData(source)


class LongTextEditor(AnswerEditor):
    def __init__(self, question: Any, pick: Pick, tr: Tr, parent: QWidget | None = None) -> None:
        super().__init__(question, pick, tr, parent)
        self._large: str | None = None  # the whole answer while it is shown shortened
        self.edit = _GuardedTextEdit(self)
        self.edit.setTabChangesFocus(True)  # keyboard users must be able to leave the box
        self.edit.setMinimumHeight(110)
        self.edit.textChanged.connect(self._typed)
        self.edit.hugePaste.connect(self._set_large)
        self.large_note = QLabel(self)
        self.large_note.setWordWrap(True)
        self.large_note.setObjectName("note")
        self.clear_button = QPushButton(self)
        self.clear_button.setObjectName("clearLargeText")
        self.clear_button.clicked.connect(self._clear_large)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit)
        layout.addWidget(self.large_note)
        layout.addWidget(self.clear_button, 0, Qt.AlignmentFlag.AlignLeft)
        self.setFocusProxy(self.edit)
        self._show_mode()

    @property
    def shortened(self) -> bool:
        return self._large is not None

    def _typed(self) -> None:
        if self._large is None:
            self.changed.emit()

    def _set_large(self, text: str) -> None:
        self._large = text
        self._show_mode()
        self.changed.emit()

    def _clear_large(self) -> None:
        self._large = None
        self._show_mode()
        self.changed.emit()

    def _show_mode(self) -> None:
        large = self._large is not None
        self.edit.blockSignals(True)
        if large:
            assert self._large is not None
            preview = "\n".join(line[:MAX_EDITABLE_LINE // 10]
                                 for line in self._large[:PREVIEW_CHARS].split("\n"))
            self.edit.setPlainText(preview + " …")
        elif self.edit.isReadOnly():
            self.edit.clear()
        self.edit.setReadOnly(large)
        self.edit.blockSignals(False)
        self.large_note.setVisible(large)
        self.clear_button.setVisible(large)
        self._relabel_large()

    def _relabel_large(self) -> None:
        n = len(self._large) if self._large is not None else 0
        self.large_note.setText(self._tr("interview.large_text").format(n=n))
        self.clear_button.setText(self._tr("interview.clear_large_text"))

    def value(self) -> Any:
        if self._large is not None:
            return self._large
        text = self.edit.toPlainText()
        return text or None

    def set_value(self, value: Any) -> None:
        text = value if isinstance(value, str) else ""
        if _too_long_to_edit(text):
            self._large = text
            self._show_mode()
            return
        self._large = None
        self._show_mode()
        self.edit.blockSignals(True)
        self.edit.setPlainText(text)
        self.edit.blockSignals(False)

    def relabel(self, pick: Pick, tr: Tr) -> None:
        super().relabel(pick, tr)
        self._relabel_large()

    def set_accessible(self, name: str) -> None:
        self.edit.setAccessibleName(name)


class DateEditor(TextEditor):
    """YYYY, YYYY-MM or YYYY-MM-DD: partial dates are honest answers."""

    def __init__(self, question: Any, pick: Pick, tr: Tr, parent: QWidget | None = None) -> None:
        super().__init__(question, pick, tr, parent)
        self.edit.setMaxLength(10)
        self.edit.setValidator(QRegularExpressionValidator(QRegularExpression(DATE_PATTERN),
                                                           self.edit))
        self.edit.setPlaceholderText(tr("interview.date_hint"))

    def relabel(self, pick: Pick, tr: Tr) -> None:
        super().relabel(pick, tr)
        self.edit.setPlaceholderText(tr("interview.date_hint"))


class NumberEditor(TextEditor):
    def __init__(self, question: Any, pick: Pick, tr: Tr, parent: QWidget | None = None) -> None:
        super().__init__(question, pick, tr, parent)
        self.edit.setMaxLength(20)
        self.edit.setValidator(QRegularExpressionValidator(QRegularExpression(NUMBER_PATTERN),
                                                           self.edit))

    def value(self) -> Any:
        text = self.edit.text().strip().replace(",", ".")
        if not text or text in ("-", "."):
            return None
        if re.fullmatch(r"-?\d+", text):
            return int(text)
        try:
            return float(text)
        except ValueError:
            return None

    def set_value(self, value: Any) -> None:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        self.edit.setText(str(value) if ok else "")


class FormComboBox(QComboBox):
    """A combo box inside the scrolling interview: the wheel scrolls the form unless the box
    has focus. Without this, scrolling past a box silently changed its answer."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 - Qt's name
        if self.hasFocus():
            super().wheelEvent(event)
        else:
            event.ignore()  # handed on to the scroll area


class ChoiceEditor(AnswerEditor):
    def __init__(self, question: Any, pick: Pick, tr: Tr, parent: QWidget | None = None) -> None:
        super().__init__(question, pick, tr, parent)
        self.box = FormComboBox(self)
        self._values: list[str | None] = [None]
        for option in qattr(question, "options", []) or []:
            self._values.append(str(qattr(option, "value")))
        self._fill()
        self.box.currentIndexChanged.connect(lambda _i: self.changed.emit())
        _single(self, self.box)

    def _fill(self) -> None:
        index = self.box.currentIndex()
        self.box.blockSignals(True)
        self.box.clear()
        self.box.addItem("—")
        for option in qattr(self.question, "options", []) or []:
            self.box.addItem(self._pick(qattr(option, "label")))
        self.box.setCurrentIndex(max(index, 0))
        self.box.blockSignals(False)

    def value(self) -> Any:
        return self._values[max(self.box.currentIndex(), 0)]

    def set_value(self, value: Any) -> None:
        index = self._values.index(value) if value in self._values else 0
        self.box.blockSignals(True)
        self.box.setCurrentIndex(index)
        self.box.blockSignals(False)

    def relabel(self, pick: Pick, tr: Tr) -> None:
        super().relabel(pick, tr)
        self._fill()

    def set_accessible(self, name: str) -> None:
        self.box.setAccessibleName(name)


class MultiChoiceEditor(AnswerEditor):
    def __init__(self, question: Any, pick: Pick, tr: Tr, parent: QWidget | None = None) -> None:
        super().__init__(question, pick, tr, parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self._boxes: list[tuple[str, QCheckBox]] = []
        for option in qattr(question, "options", []) or []:
            box = QCheckBox(pick(qattr(option, "label")), self)
            box.toggled.connect(lambda _c: self.changed.emit())
            layout.addWidget(box)
            self._boxes.append((str(qattr(option, "value")), box))

    def value(self) -> Any:
        chosen = [v for v, box in self._boxes if box.isChecked()]
        return chosen or None

    def set_value(self, value: Any) -> None:
        chosen = set(value) if isinstance(value, list) else set()
        for v, box in self._boxes:
            box.blockSignals(True)
            box.setChecked(v in chosen)
            box.blockSignals(False)

    def relabel(self, pick: Pick, tr: Tr) -> None:
        super().relabel(pick, tr)
        for (_v, box), option in zip(self._boxes, qattr(self.question, "options", []) or [],
                                     strict=False):
            box.setText(pick(qattr(option, "label")))

    def set_accessible(self, name: str) -> None:
        self.setAccessibleName(name)
        for _v, box in self._boxes:
            box.setAccessibleName(f"{name}: {box.text()}")


class _RadioRow(QWidget):
    """Radio buttons for a fixed set of values; none checked means unanswered."""

    changed = Signal()

    def __init__(self, values: tuple[str, ...], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.values = values
        self.group = QButtonGroup(self)
        self.group.setExclusive(False)  # so a click on the checked button can clear it
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.buttons: list[QRadioButton] = []
        for i, _v in enumerate(values):
            button = QRadioButton(self)
            self.group.addButton(button, i)
            layout.addWidget(button)
            self.buttons.append(button)
        layout.addStretch(1)
        self.group.idToggled.connect(self._toggled)

    def _toggled(self, button_id: int, checked: bool) -> None:
        if checked:
            for i, button in enumerate(self.buttons):
                if i != button_id and button.isChecked():
                    button.blockSignals(True)
                    button.setChecked(False)
                    button.blockSignals(False)
        self.changed.emit()

    def value(self) -> str | None:
        for v, button in zip(self.values, self.buttons, strict=True):
            if button.isChecked():
                return v
        return None

    def set_value(self, value: str | None) -> None:
        for v, button in zip(self.values, self.buttons, strict=True):
            button.blockSignals(True)
            button.setChecked(v == value)
            button.blockSignals(False)

    def set_texts(self, texts: list[str]) -> None:
        for button, text in zip(self.buttons, texts, strict=True):
            button.setText(text)
        self.set_accessible(self.accessibleName())

    def set_accessible(self, question: str) -> None:
        """Each button says which question it answers, not only "Yes"."""
        self.setAccessibleName(question)
        for button in self.buttons:
            button.setAccessibleName(f"{question}: {button.text()}" if question else button.text())


class YesNoEditor(AnswerEditor):
    VALUES = ("yes", "no", "unknown")

    def __init__(self, question: Any, pick: Pick, tr: Tr, parent: QWidget | None = None) -> None:
        super().__init__(question, pick, tr, parent)
        self.radios = _RadioRow(self.VALUES, self)
        self.radios.changed.connect(self.changed)
        _single(self, self.radios)
        self.relabel(pick, tr)

    def value(self) -> Any:
        return self.radios.value()

    def set_value(self, value: Any) -> None:
        self.radios.set_value(value if isinstance(value, str) else None)

    def relabel(self, pick: Pick, tr: Tr) -> None:
        super().relabel(pick, tr)
        self.radios.set_texts([tr(f"answer.{v}") for v in self.VALUES])

    def set_accessible(self, name: str) -> None:
        self.radios.set_accessible(name)


class CheckEditor(AnswerEditor):
    """A checklist item: done / not done / unknown, with date, by whom and a note."""

    VALUES = ("done", "not_done", "unknown")
    DETAILS = ("date", "by", "note")

    def __init__(self, question: Any, pick: Pick, tr: Tr, parent: QWidget | None = None) -> None:
        super().__init__(question, pick, tr, parent)
        self.radios = _RadioRow(self.VALUES, self)
        self.radios.changed.connect(self._on_status)
        self.details: dict[str, QLineEdit] = {}
        self._labels: dict[str, QLabel] = {}
        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        for key in self.DETAILS:
            edit = QLineEdit(self)
            edit.textEdited.connect(lambda _t: self.changed.emit())
            label = QLabel(self)
            label.setWordWrap(True)
            label.setBuddy(edit)
            form.addRow(label, edit)
            self.details[key], self._labels[key] = edit, label
        self.details["date"].setMaxLength(10)
        self.details["date"].setValidator(
            QRegularExpressionValidator(QRegularExpression(DATE_PATTERN), self))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.radios)
        layout.addLayout(form)
        self.relabel(pick, tr)

    def _on_status(self) -> None:
        self.changed.emit()

    def value(self) -> Any:
        status = self.radios.value()
        extra = {k: e.text() for k, e in self.details.items() if e.text()}
        if status is None and not extra:
            return None
        result: dict[str, Any] = {"status": status or "unknown"}
        result.update(extra)
        return result

    def set_value(self, value: Any) -> None:
        simple = {"yes": "done", "no": "not_done", "unknown": "unknown"}
        if isinstance(value, str):
            value = {"status": simple.get(value, "unknown")}
        value = value if isinstance(value, dict) else {}
        self.radios.set_value(value.get("status"))
        for key, edit in self.details.items():
            edit.setText(str(value.get(key, "")))

    def relabel(self, pick: Pick, tr: Tr) -> None:
        super().relabel(pick, tr)
        self.radios.set_texts([tr(f"check.{v}") for v in self.VALUES])
        for key, label in self._labels.items():
            label.setText(tr(f"check.{key}"))
            self.details[key].setAccessibleName(tr(f"check.{key}"))

    def set_accessible(self, name: str) -> None:
        self.radios.set_accessible(name)
        for key, edit in self.details.items():
            edit.setAccessibleName(f"{name}: {self._tr(f'check.{key}')}")


class PersonEditor(AnswerEditor):
    FIELDS = ("name", "position", "agency", "description")

    def __init__(self, question: Any, pick: Pick, tr: Tr, parent: QWidget | None = None) -> None:
        super().__init__(question, pick, tr, parent)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.fields: dict[str, QLineEdit] = {}
        self._labels: dict[str, QLabel] = {}
        for key in self.FIELDS:
            edit = QLineEdit(self)
            edit.textEdited.connect(lambda _t: self.changed.emit())
            label = QLabel(self)
            label.setWordWrap(True)
            label.setBuddy(edit)
            form.addRow(label, edit)
            self.fields[key], self._labels[key] = edit, label
        self.relabel(pick, tr)

    def value(self) -> Any:
        result = {k: e.text() for k, e in self.fields.items() if e.text()}
        return result or None

    def set_value(self, value: Any) -> None:
        value = value if isinstance(value, dict) else {}
        for key, edit in self.fields.items():
            edit.setText(str(value.get(key, "")))

    def relabel(self, pick: Pick, tr: Tr) -> None:
        super().relabel(pick, tr)
        for key, label in self._labels.items():
            label.setText(tr(f"person.{key}"))
            self.fields[key].setAccessibleName(tr(f"person.{key}"))

    def set_accessible(self, name: str) -> None:
        for key, edit in self.fields.items():
            edit.setAccessibleName(f"{name}: {self._tr(f'person.{key}')}")


class PlaceEditor(TextEditor):
    """A gazetteer id when the typed name is a known place (Уральск, Орал and Uralsk are one
    city), else {"text": ...}: a near-miss stays free text for a person to see."""

    def __init__(self, question: Any, pick: Pick, tr: Tr, parent: QWidget | None = None,
                 gazetteer: Any = None, lang: str = "en") -> None:
        super().__init__(question, pick, tr, parent)
        self._gazetteer = gazetteer
        self._lang = lang
        self._kinds = _PLACE_KINDS.get(str(qattr(question, "gazetteer") or ""), frozenset())
        self._completer_model = QStringListModel(self)
        completer = QCompleter(self._completer_model, self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.edit.setCompleter(completer)
        self._fill_names()

    def _fill_names(self) -> None:
        if self._gazetteer is None:
            return
        names = sorted(
            self._gazetteer.name(place.id, self._lang)
            for kind in self._kinds for place in self._gazetteer.of_kind(kind)
        )
        self._completer_model.setStringList(names)

    def value(self) -> Any:
        text = self.edit.text()
        if not text:
            return None
        if self._gazetteer is not None:
            place = self._gazetteer.resolve(text)
            if place is not None and (not self._kinds or place.kind in self._kinds):
                return place.id
        return {"text": text}

    def set_value(self, value: Any) -> None:
        if isinstance(value, dict):
            self.edit.setText(str(value.get("text", "")))
        elif isinstance(value, str) and self._gazetteer is not None:
            self.edit.setText(self._gazetteer.name(value, self._lang))
        elif isinstance(value, str):
            self.edit.setText(value)
        else:
            self.edit.setText("")

    def set_language(self, lang: str) -> None:
        value = self.value()
        self._lang = lang
        self._fill_names()
        self.set_value(value)


_PLACE_KINDS: dict[str, frozenset[str]] = {
    "region": frozenset({"region"}),
    "city": frozenset({"city", "district"}),
    "detention_place": frozenset({"detention_type"}),
}


def _single(owner: QWidget, child: QWidget) -> None:
    layout = QHBoxLayout(owner)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(child)
    owner.setFocusProxy(child)


SIMPLE_EDITORS: dict[str, type[AnswerEditor]] = {
    "text": TextEditor,
    "longtext": LongTextEditor,
    "date": DateEditor,
    "number": NumberEditor,
    "choice": ChoiceEditor,
    "multichoice": MultiChoiceEditor,
    "yesno": YesNoEditor,
    "check": CheckEditor,
    "person": PersonEditor,
}

