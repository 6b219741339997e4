"""The case list: pseudonyms only, badges for red flags and conflicts, filters and search."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QModelIndex, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from intake_app.errors import IntakeError
from ui.i18n import Translator
from ui.widgets.case_table import CaseQuery, CaseRow, CaseTableModel, Fetch
from ui.windows.vault_screen import wrapping_label
from ui.workers import TaskRunner

STATUSES = ("", "not_filed", "pending", "terminated", "in_court", "verdict", "unknown")
SEARCH_DELAY_MS = 250


class CaseListScreen(QWidget):
    openCase = Signal(str)
    historyRequested = Signal(str)
    newCaseRequested = Signal()
    searchFinished = Signal()

    def __init__(self, translator: Translator, fetch: Fetch, runner: TaskRunner, *,
                 red_flag_rules: Sequence[Any] = (), cities: Sequence[tuple[str, str]] = (),
                 city_name: Callable[[str], str] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("caseListScreen")
        self._t = translator
        self._fetch = fetch
        self._runner = runner
        self._rules = list(red_flag_rules)
        self.model = CaseTableModel(translator, city_name=city_name)
        self.model.pageRequested.connect(self._load_page)

        self._title = wrapping_label(self, "screenTitle")
        self.new_button = QPushButton(self)
        self.new_button.setObjectName("newCase")
        self.new_button.clicked.connect(self.newCaseRequested)
        self.search_box = QLineEdit(self)
        self.search_box.setObjectName("search")
        self.search_box.setClearButtonEnabled(True)
        # The filters beside it take their contents' width; the search box was squeezed to
        # a few letters ("Пои…") in a Russian window 1100 pixels wide.
        self.search_box.setMinimumWidth(self.fontMetrics().horizontalAdvance("x" * 16))
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self._run_search)
        self.search_box.textChanged.connect(lambda _t: self._search_timer.start())
        self.search_box.returnPressed.connect(self._run_search)

        self.red_flag = QComboBox(self)
        self.red_flag.setObjectName("filterRedFlag")
        # Rule labels are long sentences: let the box stay narrow and the popup show them.
        self.red_flag.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.red_flag.setMinimumContentsLength(16)
        self.conflict = QCheckBox(self)
        self.conflict.setObjectName("filterConflict")
        self.minor = QCheckBox(self)
        self.minor.setObjectName("filterMinor")
        self.status = QComboBox(self)
        self.status.setObjectName("filterStatus")
        self.city = QComboBox(self)
        self.city.setObjectName("filterCity")
        self._cities: list[tuple[str, str]] = [("", "")] + list(cities)
        for box in (self.conflict, self.minor):
            box.toggled.connect(self.apply_filters)
        self.red_flag.currentIndexChanged.connect(self.apply_filters)
        self.status.currentIndexChanged.connect(self.apply_filters)
        self.city.currentIndexChanged.connect(self.apply_filters)

        self.table = QTableView(self)
        self.table.setObjectName("caseTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setSortingEnabled(True)
        self.table.horizontalHeader().setSortIndicator(4, Qt.SortOrder.DescendingOrder)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().setVisible(False)
        self.table.activated.connect(self._activated)
        self.history_button = QPushButton(self)
        self.history_button.setObjectName("history")
        self.history_button.clicked.connect(self._history)
        self.open_button = QPushButton(self)
        self.open_button.setObjectName("openCase")
        self.open_button.clicked.connect(lambda: self._activated(self.table.currentIndex()))
        self._count = QLabel(self)

        self._layout_widgets()
        translator.languageChanged.connect(self.retranslate)
        self.retranslate()
        self.model.reload()

    def _layout_widgets(self) -> None:
        top = QHBoxLayout()
        top.addWidget(self._title, 1)
        top.addWidget(self.new_button)
        filters = QHBoxLayout()
        filters.addWidget(self.search_box, 3)
        filters.addWidget(self.red_flag, 2)
        for widget in (self.conflict, self.minor, self.status, self.city):
            filters.addWidget(widget)
        bottom = QHBoxLayout()
        bottom.addWidget(self._count, 1)
        bottom.addWidget(self.history_button)
        bottom.addWidget(self.open_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)
        layout.addLayout(bottom)
        self.setTabOrder(self.search_box, self.red_flag)
        self.setTabOrder(self.red_flag, self.conflict)
        self.setTabOrder(self.conflict, self.minor)
        self.setTabOrder(self.minor, self.status)
        self.setTabOrder(self.status, self.city)
        self.setTabOrder(self.city, self.table)

    # -- filters and search ------------------------------------------------------------------
    def _current_query(self) -> CaseQuery:
        extra = {}
        flag_index = self.red_flag.currentIndex()
        if flag_index > 0:
            extra["red_flag"] = self._rules[flag_index - 1].id
        text = self.search_box.text().strip()
        if text:
            extra["text"] = text
        return CaseQuery(
            conflict=self.conflict.isChecked(),
            minor=self.minor.isChecked(),
            status=STATUSES[max(self.status.currentIndex(), 0)],
            city=self._cities[max(self.city.currentIndex(), 0)][0],
            sort=self.model.query.sort,
            descending=self.model.query.descending,
            extra=extra,
        )

    def apply_filters(self) -> None:
        self._run_search()

    def _run_search(self) -> None:
        """Show the first page for the current filters and search text (read in a worker)."""
        self._search_timer.stop()
        self.model.set_query(self._current_query())

    def _load_page(self, query: CaseQuery, offset: int, limit: int, generation: int) -> None:
        """Answer the model's request for a page from a worker thread: a broad full-text
        search reads for hundreds of milliseconds per page on a large vault, and the window
        must stay responsive while it does."""
        fetch = self._fetch

        def work(_progress: object, _cancel: object) -> list[CaseRow]:
            return fetch(query, offset, limit)

        def done(rows: list[CaseRow]) -> None:
            if generation != self.model.generation:
                return  # a newer query (or the lock) superseded this page
            self.model.deliver(generation, offset, rows)
            if offset == 0:
                self._fit_columns()
            self._update_count()
            if offset == 0:
                self.searchFinished.emit()

        def failed(exc: BaseException) -> None:
            if generation != self.model.generation:
                return
            self.model.page_failed(generation)
            message = exc.message if isinstance(exc, IntakeError) else self._t.tr(
                "error.unexpected")
            self._count.setText(message)
            if offset == 0:
                self.searchFinished.emit()

        self._runner.start(work, on_success=done, on_failure=failed)

    def _update_count(self) -> None:
        n = self.model.rowCount()
        more = "+" if self.model.canFetchMore() else ""
        self._count.setText(self._t.tr("list.count", n=f"{n}{more}"))

    # -- opening -----------------------------------------------------------------------------
    def _selected_id(self, index: QModelIndex | None = None) -> str | None:
        index = index if index is not None else self.table.currentIndex()
        if not index.isValid():
            return None
        return self.model.row(index.row()).id

    def _activated(self, index: QModelIndex) -> None:
        case_id = self._selected_id(index)
        if case_id:
            self.openCase.emit(case_id)

    def _history(self) -> None:
        case_id = self._selected_id()
        if case_id:
            self.historyRequested.emit(case_id)

    def refresh(self) -> None:
        """Read the list again (in a worker); `searchFinished` says when the first page is in."""
        self.model.reload()

    def _fit_columns(self) -> None:
        # Sized from the rows on screen only: cheap, and Kazakh city names are not elided.
        header = self.table.horizontalHeader()
        for column in range(self.model.columnCount() - 1):
            self.table.resizeColumnToContents(column)
            header.resizeSection(column, header.sectionSize(column) + 12)

    def clear(self) -> None:
        self._search_timer.stop()
        self.search_box.blockSignals(True)
        self.search_box.clear()
        self.search_box.blockSignals(False)
        self.model.clear()

    def retranslate(self) -> None:
        t = self._t
        self._title.setText(t.tr("list.title"))
        self.new_button.setText(t.tr("action.new_case"))
        self.search_box.setPlaceholderText(t.tr("list.search"))
        self.search_box.setAccessibleName(t.tr("list.search"))
        flag_index = self.red_flag.currentIndex()
        self.red_flag.blockSignals(True)
        self.red_flag.clear()
        self.red_flag.addItems([t.tr("list.filter.any_flag")]
                               + ["⚑ " + t.pick_screen(rule.label) for rule in self._rules])
        self.red_flag.setCurrentIndex(max(flag_index, 0))
        self.red_flag.blockSignals(False)
        self.red_flag.setAccessibleName(t.tr("list.filter.red_flag"))
        self.conflict.setText(t.tr("list.filter.conflict"))
        self.minor.setText(t.tr("list.filter.minor"))
        status_index = self.status.currentIndex()
        self.status.blockSignals(True)
        self.status.clear()
        self.status.addItems([t.tr("list.filter.any_status")]
                             + [t.tr(f"status.{s}") for s in STATUSES[1:]])
        self.status.setCurrentIndex(max(status_index, 0))
        self.status.blockSignals(False)
        self.status.setAccessibleName(t.tr("list.col.status"))
        city_index = self.city.currentIndex()
        self.city.blockSignals(True)
        self.city.clear()
        self.city.addItems([t.tr("list.filter.any_city")] + [n for _i, n in self._cities[1:]])
        self.city.setCurrentIndex(max(city_index, 0))
        self.city.blockSignals(False)
        self.city.setAccessibleName(t.tr("list.col.city"))
        self.table.setAccessibleName(t.tr("list.title"))
        self.history_button.setText(t.tr("list.history"))
        self.open_button.setText(t.tr("list.open"))
        self._update_count()
