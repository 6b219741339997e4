"""The statistics as one CSV table for spreadsheets, with small cells suppressed.

Aggregates leave the vault in this file, so counts below 5 are shown as "<5" (DESIGN.md)
unless the coordinator turns that off; the header row says which. Where a table splits a
published total (cases by sex, by city, by month…), one suppressed cell could be recovered by
subtraction, so the smallest other cell of that table is suppressed too (complementary
suppression).

Layout ("long" form, one count per row, easy to pivot): table, key, the place's names in
English, Russian and Kazakh (empty for anything that is not a gazetteer place), count.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from intake_app.progress import CancelToken
from intake_app.reports.csvout import write_csv
from intake_app.reports.stats import MEASURES, PERIOD_MEASURES

THRESHOLD = 5
SUPPRESSED = "<5"
UNKNOWN_PLACE = "(unknown)"
HEADER = ("table", "key", "name_en", "name_ru", "name_kk")
COUNT_SUPPRESSED = "count (cells below 5 shown as <5)"
COUNT_EXACT = "count (exact, not suppressed)"

Row = tuple[str, str, str, str, str, int | str]


def suppress_table(cells: Mapping[str, int], total: int | None) -> dict[str, int | str]:
    """Cells below the threshold become "<5"; when `total` is published and exactly one cell
    of this partition of it is hidden, the smallest other cell is hidden as well."""
    hidden = {key for key, n in cells.items() if n < THRESHOLD}
    if total is not None and total >= THRESHOLD and len(hidden) == 1:
        others = sorted((n, key) for key, n in cells.items() if key not in hidden)
        if others:
            hidden.add(others[0][1])
    return {key: SUPPRESSED if key in hidden else n for key, n in cells.items()}


def _tables(stats: Mapping[str, Any]) -> Iterator[tuple[str, dict[str, int], int | None]]:
    """(table name, cells, the total they partition or None) in a fixed order."""
    cases = stats["cases"]
    yield "overview", {"cases": cases, **{m: stats[m] for m in MEASURES}}, None
    yield "by_sex", dict(stats["by_sex"]), cases
    yield "by_status", dict(stats["by_status"]), cases
    for table, unknown in (("by_city", "city_unknown"), ("by_region", "region_unknown")):
        for measure, total in (("cases", cases), ("terminated", stats["terminated"])):
            cells = {key: entry[measure] for key, entry in stats[table].items()}
            prefix = "" if measure == "cases" else "terminated_"
            # Typed free text "(unknown)" means no place either: added, never overwritten.
            cells[UNKNOWN_PLACE] = cells.get(UNKNOWN_PLACE, 0) + stats[prefix + unknown]
            yield f"{table}.{measure}", cells, total
    for measure in ("cases", *PERIOD_MEASURES):
        cells = {month: entry[measure] for month, entry in stats["by_period"].items()}
        yield f"by_period.{measure}", cells, stats[measure] if measure != "cases" else cases
    yield "by_agency", dict(stats["by_agency"]), None
    yield "by_detention_place_type", dict(stats["by_detention_place_type"]), None
    yield "red_flags", dict(stats["red_flags"]), None
    yield "themes", dict(stats["themes"]), None


def stats_rows(stats: Mapping[str, Any], *, suppress: bool = True) -> Iterator[Row]:
    """Every row of the CSV (without the header)."""
    names: Mapping[str, Mapping[str, str]] = stats.get("place_names", {})
    for table, cells, total in _tables(stats):
        shown: Mapping[str, int | str] = suppress_table(cells, total) if suppress else cells
        for key, count in shown.items():
            place = names.get(key, {})
            yield (table, key, place.get("en", ""), place.get("ru", ""), place.get("kk", ""),
                   count)  # fmt: skip


def write_stats_csv(
    path: Path,
    stats: Mapping[str, Any],
    *,
    suppress: bool = True,
    cancel: CancelToken | None = None,
) -> int:
    """Write the statistics CSV atomically (UTF-8 with BOM, formula-escaped); returns rows."""
    header = (*HEADER, COUNT_SUPPRESSED if suppress else COUNT_EXACT)
    return write_csv(path, header, stats_rows(stats, suppress=suppress), cancel=cancel)
