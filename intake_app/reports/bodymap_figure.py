"""The body diagram on paper: front and back outlines side by side, with numbered marks (the
dossier) or blank (the printed form, to mark by hand), and the table of marks by region."""

from __future__ import annotations

from typing import Any

from intake_app.field.bodymap import BodyMap, body_map
from intake_app.reports.pdf import Canvas, PdfDocument

SCALE = 0.42  # mm per box unit: two 42 x 86 mm figures fit across A4 with room for captions
GAP = 30.0
CAPTION_H = 6.0
MARK_R = 2.2


def draw_body_map(doc: PdfDocument, lang: str, marks: Any = None,
                  data: BodyMap | None = None) -> None:
    """Front and back outlines; each mark of `marks` (a bodymap answer) is a numbered dot on
    its region, numbered as in `body_map_table`. Marks on unknown regions are only listed."""
    data = data or body_map()
    width, height = data.box[0] * SCALE, data.box[1] * SCALE
    left = max(0.0, (doc.width - 2 * width - GAP) / 2)
    placed = _placed_marks(data, marks)

    def paint(canvas: Canvas) -> None:
        for n, view in enumerate(("front", "back")):
            x0 = left + n * (width + GAP)
            canvas.text(x0 + width / 2, 2, data.view_name(view, lang), size=9, bold=True,
                        centred=True)
            for _region, shape in data.shapes(view):
                if shape.ellipse is not None:
                    cx, cy, rx, ry = shape.ellipse
                    canvas.ellipse(x0 + cx * SCALE, CAPTION_H + cy * SCALE, rx * SCALE,
                                   ry * SCALE, grey=90)
                else:
                    canvas.polygon([(x0 + x * SCALE, CAPTION_H + y * SCALE)
                                    for x, y in shape.points], grey=90)
            for number, (mx, my) in placed.get(view, []):
                cx, cy = x0 + mx * SCALE, CAPTION_H + my * SCALE
                canvas.ellipse(cx, cy, MARK_R, MARK_R, fill=255, width=0.4)
                canvas.text(cx, cy, str(number), size=6.5, bold=True, centred=True)

    doc.figure(height + CAPTION_H + 2, paint)


def body_map_table(doc: PdfDocument, lang: str, marks: Any, headers: tuple[str, ...],
                   data: BodyMap | None = None) -> int:
    """The marks as a table (number, view, region, kind, note); returns how many rows."""
    rows = (data or body_map()).mark_rows(marks, lang)
    if rows:
        doc.table(headers, [list(r) for r in rows], col_widths=(8, 18, 40, 34, 60))
    return len(rows)


def _placed_marks(data: BodyMap, marks: Any) -> dict[str, list[tuple[int, tuple[float, float]]]]:
    """Mark number → position in box units; several marks on one region are spread out."""
    out: dict[str, list[tuple[int, tuple[float, float]]]] = {}
    if not isinstance(marks, list):
        return out
    per_region: dict[tuple[str, str], int] = {}
    number = 0
    for mark in marks:
        if not isinstance(mark, dict):
            continue
        number += 1
        view, region_id = mark.get("view"), mark.get("region")
        region = data.region(region_id) if isinstance(region_id, str) else None
        if view not in ("front", "back") or region is None or view not in region.views:
            continue
        shape = region.shape if view == "front" else region.shape.mirrored(data.box[0])
        cx, cy = shape.centre()
        k = per_region.get((view, region.id), 0)
        per_region[(view, region.id)] = k + 1
        # 0, +1, -1, +2 ... steps of 11 box units (a dot and a gap) down and up from the centre
        offset = ((k + 1) // 2) * (1 if k % 2 else -1) * 11.0
        out.setdefault(view, []).append((number, (cx, cy + offset)))
    return out
