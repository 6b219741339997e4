"""The case list model: fetched page by page from the vault as the view scrolls.

Only what the list shows is held: case id, pseudonym (never a full name), city, status,
red flags, conflict, last change. `fetchMore` never reads the vault itself: it emits
`pageRequested` and the list screen fetches that page in a worker, handing the rows back to
`deliver()` (a full-text page over a large vault takes hundreds of milliseconds, which would
freeze the window on the GUI thread). Every reset starts a new generation, so a page that
arrives for an older query or after `clear()` (lock) is dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
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


# fetch(query, offset, limit) -> rows; called on a worker thread only
Fetch = Callable[[CaseQuery, int, int], list[CaseRow]]

COLUMNS = ("flags", "pseudonym", "city", "status", "updated_at")
SORTABLE = {1: "pseudonym", 2: "city", 3: "status", 4: "updated_at"}
FLAG_COLOUR = QColor("#a8322d")
CONFLICT_COLOUR = QColor("#8a5a00")


class CaseTableModel(QAbstractTableModel):
    # (query, offset, limit, generation): the screen fetches it off the GUI thread
    pageRequested = Signal(object, int, int, int)
    pageLoaded = Signal()

    def __init__(self, translator: Translator, page_size: int = PAGE_SIZE,
                 city_name: Callable[[str], str] | None = None) -> None:
        super().__init__()
        self._city_name = city_name or (lambda c: c)
        self._t = translator
        self._page = page_size
        self._rows: list[CaseRow] = []
        self._exhausted = False
        self._loading = False
        self._generation = 0
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
        # Only asks; one page in flight at a time, so scrolling does not queue duplicates.
        if parent.isValid() or self._exhausted or self._loading:
            return
        self._loading = True
        self.pageRequested.emit(self.query, len(self._rows), self._page, self._generation)

    @property
    def loading(self) -> bool:
        return self._loading

    def deliver(self, generation: int, offset: int, rows: list[CaseRow]) -> None:
        """Append a page fetched by a worker; a page for an older generation is dropped."""
        if generation != self._generation or offset != len(self._rows):
            return
        self._loading = False
        if len(rows) < self._page:
            self._exhausted = True
        if rows:
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(rows) - 1)
            self._rows.extend(rows)
            self.endInsertRows()
        self.pageLoaded.emit()

    def page_failed(self, generation: int) -> None:
        """A page could not be read: stop asking (the screen says why)."""
        if generation == self._generation:
            self._loading = False
            self._exhausted = True

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

    @property
    def page_size(self) -> int:
        return self._page

    @property
    def generation(self) -> int:
        return self._generation

    def _reset(self, exhausted: bool) -> None:
        self.beginResetModel()
        self._generation += 1
        self._rows = []
        self._exhausted = exhausted
        self._loading = False
        self.endResetModel()

    def reload(self) -> None:
        """Drop every row and ask for the first page of the current query."""
        self._reset(exhausted=False)
        self.fetchMore()

    def clear(self) -> None:
        """Forget every row (on lock) and fetch nothing more."""
        self._reset(exhausted=True)

    def _relabel(self) -> None:
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, len(COLUMNS) - 1)
        if self._rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._rows) - 1,
                                                               len(COLUMNS) - 1))
