"""A chart's legend as ordinary widgets under the chart, names wrapped at word breaks.

QtCharts draws its legend inside the chart and elides what does not fit on one line: beside
six procedural-failure bars it cut "Психол.-психиатр. сараптама ж…" (kk) and
"Несоверш. без представ…" (ru) while the table showed them whole. Here each name is a
wrapping label with the series' long name as its tooltip, and the legend takes its height
from the width it is given.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFontMetrics, QPixmap
from PySide6.QtWidgets import QGridLayout, QLabel, QSizePolicy, QWidget

from intake_app.reports.text_safety import visible

MAX_COLUMNS = 3
ENTRY_GAP = 12  # px after each name


@dataclass(frozen=True)
class LegendEntry:
    name: str
    colour: str
    tooltip: str = ""


class ChartLegend(QWidget):
    """Coloured swatches and names in a grid of up to three columns; `set_entries` replaces
    them. Hidden when there is nothing to tell apart (fewer than two entries)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("chartLegend")
        self.labels: list[QLabel] = []
        self._grid = QGridLayout(self)
        self._grid.setContentsMargins(4, 2, 4, 2)
        self._grid.setHorizontalSpacing(6)
        self._grid.setVerticalSpacing(2)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self.hide()

    def set_entries(self, entries: list[LegendEntry]) -> None:
        while (item := self._grid.takeAt(0)) is not None:
            if (widget := item.widget()) is not None:
                widget.deleteLater()
        self.labels = []
        for column in range(2 * MAX_COLUMNS):
            self._grid.setColumnStretch(column, 0)
        columns = min(MAX_COLUMNS, len(entries))
        for number, entry in enumerate(entries):
            row, column = number // columns, 2 * (number % columns)
            swatch, label = self._entry(entry)
            self._grid.addWidget(swatch, row, column, Qt.AlignmentFlag.AlignTop)
            self._grid.addWidget(label, row, column + 1)
        for column in range(columns):
            self._grid.setColumnStretch(2 * column + 1, 1)  # equal shares of the width
        self.setVisible(len(entries) > 1)

    def _entry(self, entry: LegendEntry) -> tuple[QLabel, QLabel]:
        metrics = QFontMetrics(self.font())
        side = max(8, metrics.ascent() - 2)  # a swatch as tall as a capital letter
        swatch = QLabel(self)
        pixmap = QPixmap(side, side)
        pixmap.fill(QColor(entry.colour))
        swatch.setPixmap(pixmap)
        # The swatch sits level with the first line of a wrapped name.
        swatch.setContentsMargins(0, (metrics.height() - side) // 2, 0, 0)
        label = QLabel(visible(entry.name, single_line=True), self)
        label.setTextFormat(Qt.TextFormat.PlainText)
        label.setWordWrap(True)
        label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        longest = max((metrics.horizontalAdvance(word) for word in label.text().split()),
                      default=0)  # fmt: skip
        # Wrapped at word breaks, never inside a word. A wrapping label's own minimum height
        # is its height at that narrowest width (three lines for "FME not done"); one line
        # lets the layout size it by its height at the width it actually has.
        label.setContentsMargins(0, 0, ENTRY_GAP, 0)  # apart from the next entry's swatch
        label.setMinimumSize(longest + ENTRY_GAP, metrics.height())
        if entry.tooltip:
            label.setToolTip(entry.tooltip)
            swatch.setToolTip(entry.tooltip)
        self.labels.append(label)
        return swatch, label


__all__ = ["ChartLegend", "LegendEntry"]
