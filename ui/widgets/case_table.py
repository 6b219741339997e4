"""The case list model: fetched page by page from the vault as the view scrolls.

Only what the list shows is held: case id, pseudonym (never a full name), city, status,
red flags, conflict, last change. `canFetchMore`/`fetchMore` pull the next page, so the first
page paints at once even with 100,000 cases. Locking calls `clear()`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from ui.i18n import Translator

PAGE_SIZE = 200
ModelIndex = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class CaseRow:
    id: str
    pseudonym: str
    updated_at: str
    red_flags: tuple[str, ...] = ()
    conflict: bool = False
    city: str = ""
    status: str = ""
    minor: bool = False


@dataclass
class CaseQuery:
    """What the list shows: filters, sort and (optionally) the ids a search matched."""

    conflict: bool = False
    minor: bool = False
    status: str = ""
    city: str = ""
    sort: str = "updated_at"
    descending: bool = True
    extra: dict[str, str] = field(default_factory=dict)  # red_flag rule id, search text


# fetch(query, offset, limit) -> rows
Fetch = Callable[[CaseQuery, int, int], list[CaseRow]]

COLUMNS = ("flags", "pseudonym", "city", "status", "updated_at")
SORTABLE = {1: "pseudonym", 2: "city", 3: "status", 4: "updated_at"}
FLAG_COLOUR = QColor("#a8322d")
CONFLICT_COLOUR = QColor("#8a5a00")


class CaseTableModel(QAbstractTableModel):
    def __init__(self, translator: Translator, fetch: Fetch, page_size: int = PAGE_SIZE,
                 city_name: Callable[[str], str] | None = None) -> None:
        super().__init__()
        self._city_name = city_name or (lambda c: c)
        self._t = translator
        self._fetch = fetch
        self._page = page_size
        self._rows: list[CaseRow] = []
        self._exhausted = False
        self.query = CaseQuery()
        translator.languageChanged.connect(self._relabel)

    # -- data ------------------------------------------------------------------------------
    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(COLUMNS)

    def row(self, index: int) -> CaseRow:
        return self._rows[index]

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        row = self._rows[index.row()]
        column = COLUMNS[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, column)
        if role == Qt.ItemDataRole.ForegroundRole and column == "flags":
            return QBrush(FLAG_COLOUR if row.red_flags else CONFLICT_COLOUR)
        if role == Qt.ItemDataRole.ToolTipRole and column == "flags":
            return self._flag_tip(row)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return self._flag_tip(row) if column == "flags" else self._display(row, column)
        if role == Qt.ItemDataRole.UserRole:
            return row.id
        return None

    def _display(self, row: CaseRow, column: str) -> str:
        if column == "flags":
            parts = []
            if row.red_flags:
                parts.append(f"⚑ {len(row.red_flags)}")
            if row.conflict:
                parts.append("⇄")
            return " ".join(parts)
        if column == "pseudonym":
            return row.pseudonym or self._t.tr("list.no_pseudonym")
        if column == "status":
            return self._t.tr(f"status.{row.status}") if row.status else ""
        if column == "updated_at":
            return row.updated_at[:16].replace("T", " ")
        if column == "city":
            return self._city_name(row.city) if row.city else ""
        return str(getattr(row, column))

    def _flag_tip(self, row: CaseRow) -> str:
        parts = []
        if row.red_flags:
            parts.append(self._t.tr("list.red_flags", n=len(row.red_flags)))
        if row.conflict:
            parts.append(self._t.tr("list.conflict"))
        return "; ".join(parts)

    def headerData(  # noqa: N802
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self._t.tr(f"list.col.{COLUMNS[section]}")
        return None

    # -- lazy fetching -----------------------------------------------------------------------
    def canFetchMore(self, parent: ModelIndex = QModelIndex()) -> bool:  # noqa: N802, B008
        return not parent.isValid() and not self._exhausted

    def fetchMore(self, parent: ModelIndex = QModelIndex()) -> None:  # noqa: N802, B008
        if parent.isValid() or self._exhausted:
            return
        rows = self._fetch(self.query, len(self._rows), self._page)
        if len(rows) < self._page:
            self._exhausted = True
        if rows:
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(rows) - 1)
            self._rows.extend(rows)
            self.endInsertRows()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        key = SORTABLE.get(column)
        if key is None:
            return
        self.query.sort = key
        self.query.descending = order == Qt.SortOrder.DescendingOrder
        self.reload()

    def set_query(self, query: CaseQuery) -> None:
        self.query = query
        self.reload()

    def set_query_with_rows(self, query: CaseQuery, rows: list[CaseRow]) -> None:
        """Show a first page fetched elsewhere (a search run in a worker)."""
        self.beginResetModel()
        self.query = query
        self._rows = list(rows)
        self._exhausted = len(rows) < self._page
        self.endResetModel()

    @property
    def page_size(self) -> int:
        return self._page

    def reload(self) -> None:
        self.beginResetModel()
        self._rows = []
        self._exhausted = False
        self.endResetModel()
        self.fetchMore()

    def clear(self) -> None:
        """Forget every row (on lock) and fetch nothing more."""
        self.beginResetModel()
        self._rows = []
        self._exhausted = True
        self.endResetModel()

    def _relabel(self) -> None:
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, len(COLUMNS) - 1)
        if self._rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._rows) - 1,
                                                               len(COLUMNS) - 1))
