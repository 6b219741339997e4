"""One dashboard panel: a bar chart (QtCharts) with its legend under it and the same numbers
in a table beside it.

The panel on screen shows exact counts. `render_png` draws a fresh copy for export: counts
leave the vault there, so unless exact export is chosen, cells below 5 become "<5" in the
table and zero-height bars in the chart (the core's small-cell and complementary suppression,
`intake_app.reports.stats_csv.suppress_table`), with a line under the chart saying so.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtCharts import (
    QAbstractBarSeries,
    QBarCategoryAxis,
    QBarSeries,
    QBarSet,
    QChart,
    QChartView,
    QHorizontalBarSeries,
    QValueAxis,
)
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMargins, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from intake_app.reports.stats_csv import SUPPRESSED, suppress_table
from intake_app.reports.text_safety import visible
from ui.widgets.chart_legend import ChartLegend, LegendEntry

# Calm, distinguishable colours (colour-blind safe, Okabe-Ito order).
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#7f7f7f")
EXPORT_SIZE = (1400, 820)


@dataclass(frozen=True)
class Series:
    name: str
    values: tuple[int, ...]
    total: int | None = None  # the published total that the first `parts` cells partition
    parts: int | None = None  # None: every cell
    tooltip: str = ""  # the full name when `name` is a short one


@dataclass(frozen=True)
class PanelData:
    """What one panel shows. Category and series names are already in the screen language."""

    key: str
    title: str
    category_header: str
    categories: tuple[str, ...]
    series: tuple[Series, ...]
    horizontal: bool = False
    note: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    def suppressed(self) -> list[list[int | str]]:
        """Per series, each cell as exported: a count, or "<5"."""
        out = []
        for s in self.series:
            split = len(s.values) if s.parts is None else s.parts
            head = suppress_table({str(i): v for i, v in enumerate(s.values[:split])}, s.total)
            rest = suppress_table({str(i): v for i, v in enumerate(s.values[split:])}, None)
            out.append([head[str(i)] for i in range(split)]
                       + [rest[str(i)] for i in range(len(s.values) - split)])
        return out


class WrappingHeader(QHeaderView):
    """A horizontal table header whose labels wrap at word breaks: a section sized to its
    contents is as wide as its label's longest word, and the header as tall as the most
    wrapped label. Six Russian or Kazakh failure names on one line each pushed the
    procedural-failures table into a sideways scroll at 1366 px."""

    WRAP = Qt.TextFlag.TextWordWrap

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)
        self.setDefaultAlignment(Qt.AlignmentFlag.AlignCenter | self.WRAP)
        self.sectionResized.connect(lambda *_: self.updateGeometry())

    def _label(self, logical: int) -> str:
        model = self.model()
        value = model.headerData(logical, self.orientation()) if model is not None else None
        return str(value) if value is not None else ""

    def sectionSizeFromContents(self, logical: int) -> QSize:
        size = super().sectionSizeFromContents(logical)
        text = self._label(logical)
        if not text:
            return size
        font = self.font()
        font.setBold(True)  # as Qt measures header labels (a highlighted section is bold)
        metrics = QFontMetrics(font)
        padding = size.width() - metrics.horizontalAdvance(text)  # margins, sort arrow
        width = max(metrics.horizontalAdvance(word) for word in text.split()) + padding
        return QSize(width, size.height() - metrics.height() + self._wrapped_height(
            metrics, text, max(width, self.sectionSize(logical)) - padding))

    @classmethod
    def _wrapped_height(cls, metrics: QFontMetrics, text: str, width: int) -> int:
        flags = int(Qt.AlignmentFlag.AlignCenter) | int(cls.WRAP)
        return metrics.boundingRect(QRect(0, 0, max(width, 1), 10_000), flags, text).height()

    def sizeHint(self) -> QSize:
        # Qt's own hint counts one line; the wrapped labels at their current widths need more.
        hint = super().sizeHint()
        heights = [self.sectionSizeFromContents(i).height() for i in range(self.count())
                   if not self.isSectionHidden(i)]  # fmt: skip
        return QSize(hint.width(), max([hint.height(), *heights]))


def _bar_series(data: PanelData, cells: list[list[int | str]],
                horizontal: bool) -> QAbstractBarSeries:
    series: QAbstractBarSeries = QHorizontalBarSeries() if horizontal else QBarSeries()
    for number, (s, row) in enumerate(zip(data.series, cells, strict=True)):
        bar_set = QBarSet(s.name)
        bar_set.setColor(QColor(PALETTE[number % len(PALETTE)]))
        for value in row:
            bar_set.append(float(value) if isinstance(value, int) else 0.0)
        series.append(bar_set)
    return series


def build_chart(data: PanelData, cells: list[list[int | str]]) -> QChart:
    """A chart of `cells` (counts, or "<5" drawn as zero)."""
    chart = QChart()
    chart.setTitle(data.title)
    chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
    chart.setMargins(QMargins(4, 4, 4, 4))
    # The legend is a ChartLegend under the chart: QtCharts' own elides long names.
    chart.legend().setVisible(False)
    names = list(data.categories)
    # Category names under upright bars get cut to "Кәмелетке т…" when long (Kazakh and
    # Russian labels): lying bars give each name the whole left margin instead.
    horizontal = data.horizontal or (len(data.series) == 1 and
                                     max((len(n) for n in names), default=0) > 10)
    if horizontal:
        # Reading order top to bottom: a horizontal chart draws the first category at the
        # bottom, so hand it the categories and every series' values reversed.
        names.reverse()
        cells = [list(reversed(row)) for row in cells]
    series = _bar_series(data, cells, horizontal)
    chart.addSeries(series)
    axis_categories = QBarCategoryAxis()
    axis_categories.append(names)
    axis_values = QValueAxis()
    numbers = [v for row in cells for v in row if isinstance(v, int)]
    top = max(numbers, default=0)
    axis_values.setRange(0, max(4, top + max(1, top // 8)))
    axis_values.setLabelFormat("%d")
    axis_values.applyNiceNumbers()
    if horizontal:
        chart.addAxis(axis_categories, Qt.AlignmentFlag.AlignLeft)
        chart.addAxis(axis_values, Qt.AlignmentFlag.AlignBottom)
    else:
        chart.addAxis(axis_categories, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(axis_values, Qt.AlignmentFlag.AlignLeft)
    series.attachAxis(axis_categories)
    series.attachAxis(axis_values)
    return chart


def legend_entries(data: PanelData) -> list[LegendEntry]:
    """The series' names in their bars' colours, the long name as tooltip."""
    return [LegendEntry(s.name, PALETTE[number % len(PALETTE)], s.tooltip)
            for number, s in enumerate(data.series)]


def chart_column(view: QChartView, legend: ChartLegend) -> QVBoxLayout:
    """The chart with its legend under it: every name whole at the chart's width."""
    column = QVBoxLayout()
    column.setSpacing(2)
    column.addWidget(view, 1)
    column.addWidget(legend)
    return column


class ChartPanel(QWidget):
    """A chart, its legend under it, and its table beside it; `show_data` replaces all."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.data: PanelData | None = None
        self.view = QChartView(self)
        self.view.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.view.setMinimumSize(420, 320)
        self.view.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.table = counts_table(self)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.note = QLabel(self)
        self.note.setObjectName("note")
        self.note.setWordWrap(True)
        self.note.setTextFormat(Qt.TextFormat.PlainText)
        self.legend = ChartLegend(self)
        row = QHBoxLayout()
        row.addLayout(chart_column(self.view, self.legend), 3)
        row.addWidget(self.table, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row, 1)
        layout.addWidget(self.note)

    def show_data(self, data: PanelData) -> None:
        self.data = data
        exact: list[list[int | str]] = [list(s.values) for s in data.series]
        old = self.view.chart()
        self.view.setChart(build_chart(data, exact))
        if old is not None:
            old.deleteLater()
        self.legend.set_entries(legend_entries(data))
        fill_table(self.table, data, exact)
        self.note.setText(data.note)
        self.note.setVisible(bool(data.note))

    def clear(self) -> None:
        self.data = None
        self.table.clear()
        self.table.setRowCount(0)
        self.table.setColumnCount(0)
        old = self.view.chart()
        self.view.setChart(QChart())
        if old is not None:
            old.deleteLater()
        self.legend.set_entries([])
        self.note.clear()


MIN_TABLE_WIDTH = 300
FIRST_COLUMN_WRAP = 160  # px: category names longer than this wrap in the first column


def counts_table(parent: QWidget) -> QTableWidget:
    """The table beside a chart: no row numbers, header labels that wrap."""
    table = QTableWidget(parent)
    table.setHorizontalHeader(WrappingHeader(table))
    table.verticalHeader().setVisible(False)
    table.setMinimumWidth(MIN_TABLE_WIDTH)
    return table


def fill_table(table: QTableWidget, data: PanelData, cells: list[list[int | str]]) -> None:
    table.clear()
    table.setColumnCount(1 + len(data.series))
    table.setRowCount(len(data.categories))
    table.setHorizontalHeaderLabels([data.category_header, *(s.name for s in data.series)])
    for column, s in enumerate(data.series, 1):
        header = table.horizontalHeaderItem(column)
        if header is not None and s.tooltip:
            header.setToolTip(s.tooltip)
    for r, name in enumerate(data.categories):
        table.setItem(r, 0, QTableWidgetItem(visible(name, single_line=True)))
        for c, values in enumerate(cells, 1):
            value = values[r]
            item = QTableWidgetItem(str(value))
            item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            table.setItem(r, c, item)
    # Long names (red flags, Kazakh labels) wrap in the first column; the counts stay in view.
    columns_header = table.horizontalHeader()
    columns_header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
    for n in range(1, table.columnCount()):
        columns_header.setSectionResizeMode(n, QHeaderView.ResizeMode.ResizeToContents)
    table.setWordWrap(True)
    table.resizeRowsToContents()
    # As wide as its columns need with every label wrapped, so the chart beside it gives way
    # rather than the table scrolling sideways.
    # The first column shows short names (months, cities) whole; longer ones wrap.
    metrics = QFontMetrics(table.font())
    first = max((min(metrics.horizontalAdvance(name), FIRST_COLUMN_WRAP)
                 for name in data.categories), default=0) + 12  # fmt: skip
    needed = sum(max(columns_header.sectionSizeFromContents(c).width(), table.sizeHintForColumn(c))
                 for c in range(1, table.columnCount()))  # fmt: skip
    needed += max(first, columns_header.sectionSizeFromContents(0).width())
    needed += 2 * table.frameWidth() + table.verticalScrollBar().sizeHint().width()
    table.setMinimumWidth(max(MIN_TABLE_WIDTH, needed))


def render_png(data: PanelData, *, exact: bool, suppressed_note: str, exact_note: str,
               context: str = "") -> bytes:  # fmt: skip
    """The panel drawn for export (offscreen), as PNG bytes; suppressed unless `exact`."""
    cells: list[list[int | str]] = (
        [list(s.values) for s in data.series] if exact else data.suppressed()
    )
    panel = QWidget()
    panel.setObjectName("exportPanel")
    panel.setStyleSheet("QWidget#exportPanel { background: white; }")
    view = QChartView(build_chart(data, cells), panel)
    view.setRenderHint(QPainter.RenderHint.Antialiasing)
    legend = ChartLegend(panel)
    legend.set_entries(legend_entries(data))
    table = counts_table(panel)
    fill_table(table, data, cells)
    lines = [context, exact_note if exact else suppressed_note]
    note = QLabel("\n".join(line for line in lines if line), panel)
    note.setWordWrap(True)
    note.setTextFormat(Qt.TextFormat.PlainText)
    row = QHBoxLayout()
    row.addLayout(chart_column(view, legend), 3)
    row.addWidget(table, 2)
    layout = QVBoxLayout(panel)
    layout.addLayout(row, 1)
    layout.addWidget(note)
    panel.resize(*EXPORT_SIZE)
    panel.ensurePolished()
    layout.activate()
    pixmap = panel.grab()
    raw = QByteArray()
    buffer = QBuffer(raw)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    pixmap.save(buffer, "PNG")
    buffer.close()
    panel.deleteLater()
    return bytes(raw.data())


__all__ = ["SUPPRESSED", "ChartPanel", "PanelData", "Series", "render_png"]
