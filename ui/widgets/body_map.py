"""The body-diagram question: front and back outlines with clickable regions, and the list
of injury marks. Drawn from resources/bodymap/regions.json (intake_app.field.bodymap), the
same data the dossier and the blank form use.

Mouse: click a region to add a mark of the chosen kind there. Keyboard: choose view, region
and kind in the row under the drawing and press "Add mark"; Delete removes the selected mark.
"""

from __future__ import annotations

import uuid
from typing import Any

from PySide6.QtCore import QEvent, QObject, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QPolygonF,
)
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from intake_app.field.bodymap import VIEWS, BodyMap, Shape, body_map
from ui.widgets.answer_editors import AnswerEditor

MARK_KEYS = ("_id", "view", "region", "kind", "note", "photo")
GAP = 0.25  # space between the two figures, as a share of one figure's width


class BodyDiagram(QWidget):
    """Front and back outlines side by side; marks drawn as numbered dots."""

    regionClicked = Signal(str, str)  # view, region id

    def __init__(self, data: BodyMap, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("bodyDiagram")
        self._data = data
        self._lang = "en"
        self._marks: list[dict[str, Any]] = []
        self._hover: tuple[str, str] | None = None
        self.setMouseTracking(True)
        self.setMinimumSize(QSize(300, 300))
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt API
        return QSize(460, 420)

    def set_marks(self, marks: list[dict[str, Any]], lang: str) -> None:
        self._marks, self._lang = marks, lang
        self.update()

    # -- geometry ----------------------------------------------------------------------------
    def _frame(self, view: str) -> tuple[float, float, float]:
        """(left, top, scale): where a view's box sits in the widget."""
        box_w, box_h = self._data.box
        caption = 22.0
        scale = min(self.width() / (box_w * (2 + GAP)), (self.height() - caption) / box_h)
        total = box_w * (2 + GAP) * scale
        left = (self.width() - total) / 2 + VIEWS.index(view) * box_w * (1 + GAP) * scale
        return left, caption, scale

    def to_box(self, view: str, x: float, y: float) -> tuple[float, float]:
        left, top, scale = self._frame(view)
        return (x - left) / scale, (y - top) / scale

    def to_widget(self, view: str, x: float, y: float) -> QPointF:
        left, top, scale = self._frame(view)
        return QPointF(left + x * scale, top + y * scale)

    def hit(self, x: float, y: float) -> tuple[str, str] | None:
        for view in VIEWS:
            region = self._data.region_at(view, *self.to_box(view, x, y))
            if region is not None:
                return view, region.id
        return None

    def region_point(self, view: str, region_id: str) -> QPointF | None:
        """The widget position of a region's centre (tests click here)."""
        for region, shape in self._data.shapes(view):
            if region.id == region_id:
                return self.to_widget(view, *shape.centre())
        return None

    # -- events ------------------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt API
        found = self.hit(event.position().x(), event.position().y())
        if found is not None and event.button() == Qt.MouseButton.LeftButton:
            self.regionClicked.emit(*found)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt API
        found = self.hit(event.position().x(), event.position().y())
        if found != self._hover:
            self._hover = found
            self.setToolTip(self._data.region_name(found[1], self._lang) if found else "")
            self.update()

    def paintEvent(self, _event: QPaintEvent) -> None:  # noqa: N802 - Qt API
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), self.palette().base())
        marked = {(m.get("view"), m.get("region")) for m in self._marks}
        for view in VIEWS:
            left, _top, scale = self._frame(view)
            painter.setPen(self.palette().text().color())
            painter.drawText(QRectF(left, 0, self._data.box[0] * scale, 20),
                             Qt.AlignmentFlag.AlignCenter, self._data.view_name(view, self._lang))
            for region, shape in self._data.shapes(view):
                fill = QColor(255, 214, 214) if (view, region.id) in marked else \
                    QColor(225, 235, 250) if self._hover == (view, region.id) else \
                    QColor(250, 250, 250)
                painter.setBrush(QBrush(fill))
                painter.setPen(QPen(QColor(90, 90, 90), 1.2))
                self._draw_shape(painter, view, shape)
        self._draw_marks(painter)
        painter.end()

    def _draw_shape(self, painter: QPainter, view: str, shape: Shape) -> None:
        if shape.ellipse is not None:
            cx, cy, rx, ry = shape.ellipse
            _left, _top, scale = self._frame(view)
            painter.drawEllipse(self.to_widget(view, cx, cy), rx * scale, ry * scale)
        else:
            painter.drawPolygon(QPolygonF([self.to_widget(view, x, y) for x, y in shape.points]))

    def _draw_marks(self, painter: QPainter) -> None:
        per_region: dict[tuple[str, str], int] = {}
        for number, mark in enumerate(self._marks, 1):
            view, region_id = str(mark.get("view")), str(mark.get("region"))
            centre = self.region_point(view, region_id) if view in VIEWS else None
            if centre is None:
                continue
            k = per_region.get((view, region_id), 0)
            per_region[(view, region_id)] = k + 1
            point = centre + QPointF(0, ((k + 1) // 2) * (1 if k % 2 else -1) * 20)
            painter.setBrush(QBrush(QColor(180, 20, 20)))
            painter.setPen(QPen(Qt.GlobalColor.white, 1))
            painter.drawEllipse(point, 9, 9)
            painter.drawText(QRectF(point.x() - 9, point.y() - 9, 18, 18),
                             Qt.AlignmentFlag.AlignCenter, str(number))


class BodyMapEditor(AnswerEditor):
    """A `bodymap` answer: list of {"_id", "view", "region", "kind", "note"?, "photo"?}."""

    def __init__(self, question: Any, ctx: Any, parent: QWidget | None = None) -> None:
        super().__init__(question, ctx.pick, ctx.tr, parent)
        self._data = body_map()
        self._lang = getattr(ctx, "lang", "en")
        self._marks: list[dict[str, Any]] = []
        self.diagram = BodyDiagram(self._data, self)
        self.diagram.regionClicked.connect(self._clicked)
        self.view_box = QComboBox(self)
        self.view_box.setObjectName("bodymapView")
        self.region_box = QComboBox(self)
        self.region_box.setObjectName("bodymapRegion")
        self.kind_box = QComboBox(self)
        self.kind_box.setObjectName("bodymapKind")
        self.note_edit = QLineEdit(self)
        self.note_edit.setObjectName("bodymapNote")
        self.note_edit.setMaxLength(1000)
        self.add_button = QPushButton(self)
        self.add_button.setObjectName("bodymapAdd")
        self.add_button.clicked.connect(self._add_from_controls)
        self.marks_list = QListWidget(self)
        self.marks_list.setObjectName("bodymapMarks")
        self.remove_button = QPushButton(self)
        self.remove_button.setObjectName("bodymapRemove")
        self.remove_button.clicked.connect(self.remove_selected)
        self.marks_list.installEventFilter(self)  # Delete removes the selected mark
        self.view_box.currentIndexChanged.connect(self._fill_regions)

        controls = QGridLayout()
        for column, widget in enumerate((self.view_box, self.region_box, self.kind_box)):
            controls.addWidget(widget, 0, column)
        controls.addWidget(self.note_edit, 1, 0, 1, 2)
        controls.addWidget(self.add_button, 1, 2)
        under = QHBoxLayout()
        under.addWidget(self.marks_list, 1)
        under.addWidget(self.remove_button, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.diagram)
        layout.addLayout(controls)
        layout.addLayout(under)
        self.setFocusProxy(self.view_box)
        self.relabel(ctx.pick, ctx.tr)

    # -- value -------------------------------------------------------------------------------
    def value(self) -> Any:
        return [dict(m) for m in self._marks] or None

    def set_value(self, value: Any) -> None:
        marks = value if isinstance(value, list) else []
        # Keys this version does not edit (a photo link) are kept as they were.
        self._marks = [dict(m) for m in marks if isinstance(m, dict)]
        self._refresh()

    def add_mark(self, view: str, region: str, kind: str, note: str = "") -> None:
        mark: dict[str, Any] = {"_id": str(uuid.uuid4()), "view": view, "region": region,
                                "kind": kind}
        if note:
            mark["note"] = note
        self._marks.append(mark)
        self._refresh()
        self.changed.emit()

    def remove_selected(self) -> None:
        row = self.marks_list.currentRow()
        if 0 <= row < len(self._marks):
            del self._marks[row]
            self._refresh()
            self.marks_list.setCurrentRow(min(row, len(self._marks) - 1))
            self.changed.emit()

    # -- input -------------------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        if watched is self.marks_list and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            if event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
                self.remove_selected()
                return True
        return super().eventFilter(watched, event)

    def _clicked(self, view: str, region: str) -> None:
        self.view_box.setCurrentIndex(VIEWS.index(view))
        self._select(self.region_box, region)
        self._add_from_controls()

    def _add_from_controls(self) -> None:
        view = self.view_box.currentData()
        region = self.region_box.currentData()
        kind = self.kind_box.currentData()
        if view and region and kind:
            self.add_mark(view, region, kind, self.note_edit.text())
            self.note_edit.clear()

    @staticmethod
    def _select(box: QComboBox, data: str) -> None:
        index = box.findData(data)
        if index >= 0:
            box.setCurrentIndex(index)

    # -- labels ------------------------------------------------------------------------------
    def _fill_regions(self) -> None:
        view = self.view_box.currentData() or "front"
        current = self.region_box.currentData()
        self.region_box.blockSignals(True)
        self.region_box.clear()
        for region, _shape in self._data.shapes(view):
            self.region_box.addItem(region.name(self._lang), region.id)
        self.region_box.blockSignals(False)
        if current:
            self._select(self.region_box, current)

    def _refresh(self) -> None:
        self.marks_list.clear()
        for number, view, region, kind, note in self._data.mark_rows(self._marks, self._lang):
            text = f"{number}. {view}, {region}: {kind}" + (f" ({note})" if note else "")
            QListWidgetItem(text, self.marks_list)
        self.diagram.set_marks(self._marks, self._lang)

    def relabel(self, pick: Any, tr: Any) -> None:
        super().relabel(pick, tr)
        # pick() answers in the interview language: ask it which one that is
        self._lang = pick({"en": "en", "ru": "ru", "kk": "kk"}) or self._lang
        data = self._data
        for box, items in (
            (self.view_box, [(data.view_name(v, self._lang), v) for v in VIEWS]),
            (self.kind_box, [(data.kind_name(k, self._lang), k) for k in data.kinds]),
        ):
            current = box.currentData()
            box.blockSignals(True)
            box.clear()
            for text, value in items:
                box.addItem(text, value)
            box.blockSignals(False)
            if current:
                self._select(box, current)
        self._fill_regions()
        self.add_button.setText(tr("bodymap.add"))
        self.remove_button.setText(tr("bodymap.remove"))
        self.note_edit.setPlaceholderText(tr("bodymap.note"))
        self.view_box.setAccessibleName(tr("bodymap.view"))
        self.region_box.setAccessibleName(tr("bodymap.region"))
        self.kind_box.setAccessibleName(tr("bodymap.kind"))
        self.marks_list.setAccessibleName(tr("bodymap.marks"))
        self._refresh()

    def set_accessible(self, name: str) -> None:
        self.diagram.setAccessibleName(name)

