"""The body diagram: regions, injury kinds and their outlines (resources/bodymap/regions.json).

A `bodymap` answer is a list of marks {"_id", "view": "front"|"back", "region", "kind",
"note"?, "photo"?}. The same data draws the GUI widget, the dossier figure and the blank form,
so a region a monitor clicks is the region a lawyer reads. Geometry lives here, without Qt:
shapes are in a 100 x 205 box as the front view shows the person (their right side on the
viewer's left); the back view mirrors each shape, so "right_thigh" is on the viewer's right.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from intake_app.errors import IntakeError
from intake_app.paths import resources_dir

VIEWS = ("front", "back")
LANGS = ("en", "ru", "kk")
_ID_RE = re.compile(r"^[a-z][a-z0-9_]{0,40}$")

Point = tuple[float, float]


class BodyMapDataError(IntakeError):
    """The shipped body-diagram data is malformed (a packaging error, reported clearly)."""


@dataclass(frozen=True)
class Shape:
    """A polygon (points) or an ellipse (centre and radii), in box coordinates."""

    points: tuple[Point, ...] = ()
    ellipse: tuple[float, float, float, float] | None = None

    def mirrored(self, width: float) -> Shape:
        if self.ellipse is not None:
            cx, cy, rx, ry = self.ellipse
            return Shape(ellipse=(width - cx, cy, rx, ry))
        return Shape(points=tuple((width - x, y) for x, y in self.points))

    def contains(self, x: float, y: float) -> bool:
        if self.ellipse is not None:
            cx, cy, rx, ry = self.ellipse
            return ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= 1.0
        return _in_polygon(self.points, x, y)

    def centre(self) -> Point:
        if self.ellipse is not None:
            return self.ellipse[0], self.ellipse[1]
        xs = [p[0] for p in self.points]
        ys = [p[1] for p in self.points]
        return sum(xs) / len(xs), sum(ys) / len(ys)


@dataclass(frozen=True)
class Region:
    id: str
    views: tuple[str, ...]
    shape: Shape  # front-view coordinates
    names: Mapping[str, str]

    def name(self, lang: str = "en") -> str:
        return self.names.get(lang) or self.names["en"]


@dataclass(frozen=True)
class BodyMap:
    """Regions and injury kinds, with names in English, Russian and Kazakh."""

    box: tuple[float, float]
    view_names: Mapping[str, Mapping[str, str]]
    regions: tuple[Region, ...]
    kinds: Mapping[str, Mapping[str, str]]

    def region(self, region_id: str) -> Region | None:
        return next((r for r in self.regions if r.id == region_id), None)

    def shapes(self, view: str) -> list[tuple[Region, Shape]]:
        """Every region drawn in `view`, with its shape in that view's coordinates."""
        out = []
        for region in self.regions:
            if view in region.views:
                shape = region.shape if view == "front" else region.shape.mirrored(self.box[0])
                out.append((region, shape))
        return out

    def region_at(self, view: str, x: float, y: float) -> Region | None:
        """The region under a point of `view` (box coordinates), or None off the body."""
        for region, shape in self.shapes(view):
            if shape.contains(x, y):
                return region
        return None

    def region_name(self, region_id: Any, lang: str = "en") -> str:
        """A region's name; an id this version does not know is shown as given."""
        region = self.region(region_id) if isinstance(region_id, str) else None
        return region.name(lang) if region else str(region_id or "")

    def kind_name(self, kind: Any, lang: str = "en") -> str:
        names = self.kinds.get(kind) if isinstance(kind, str) else None
        return (names.get(lang) or names["en"]) if names else str(kind or "")

    def view_name(self, view: Any, lang: str = "en") -> str:
        names = self.view_names.get(view) if isinstance(view, str) else None
        return (names.get(lang) or names["en"]) if names else str(view or "")

    def mark_rows(self, marks: Any, lang: str = "en") -> list[tuple[int, str, str, str, str]]:
        """(number, view, region, kind, note) per mark, in the answer's order; anything that
        is not a mark (a status answer, junk) gives no rows."""
        rows: list[tuple[int, str, str, str, str]] = []
        if not isinstance(marks, list):
            return rows
        for mark in marks:
            if not isinstance(mark, dict):
                continue
            note = mark.get("note")
            rows.append((
                len(rows) + 1,
                self.view_name(mark.get("view"), lang),
                self.region_name(mark.get("region"), lang),
                self.kind_name(mark.get("kind"), lang),
                note if isinstance(note, str) else "",
            ))
        return rows


def _in_polygon(points: Sequence[Point], x: float, y: float) -> bool:
    inside = False
    j = len(points) - 1
    for i, (xi, yi) in enumerate(points):
        xj, yj = points[j]
        if (yi > y) != (yj > y) and x < (xj - xi) * (y - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


@functools.cache
def body_map() -> BodyMap:
    """The shipped body diagram (cached)."""
    path = resources_dir() / "bodymap" / "regions.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BodyMapDataError(f"Cannot read the body diagram data ({path.name}).") from exc
    return parse_body_map(data)


def parse_body_map(data: Any) -> BodyMap:
    """Check and build the body-diagram data; BodyMapDataError names what is wrong."""
    if not isinstance(data, dict) or data.get("format") != 1:
        raise BodyMapDataError("Body diagram data: expected format 1.")
    box = data.get("box")
    if not (isinstance(box, list) and len(box) == 2 and all(_num(v) for v in box)):
        raise BodyMapDataError("Body diagram data: 'box' must be [width, height].")
    views = data.get("views")
    if not isinstance(views, dict) or set(views) != set(VIEWS):
        raise BodyMapDataError("Body diagram data: 'views' must name front and back.")
    regions = tuple(_region(r) for r in _list(data.get("regions"), "regions"))
    ids = [r.id for r in regions]
    if len(set(ids)) != len(ids):
        raise BodyMapDataError("Body diagram data: two regions share an id.")
    kinds: dict[str, Mapping[str, str]] = {}
    for entry in _list(data.get("kinds"), "kinds"):
        kind_id = entry.get("id") if isinstance(entry, dict) else None
        if not isinstance(kind_id, str) or not _ID_RE.match(kind_id) or kind_id in kinds:
            raise BodyMapDataError(f"Body diagram data: bad or repeated kind id {kind_id!r}.")
        kinds[kind_id] = _names(entry.get("names"), kind_id)
    return BodyMap(
        box=(float(box[0]), float(box[1])),
        view_names={v: _names(views[v], v) for v in VIEWS},
        regions=regions,
        kinds=kinds,
    )


def _num(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and 0 <= v <= 1000


def _list(v: Any, what: str) -> list[Any]:
    if not isinstance(v, list) or not v:
        raise BodyMapDataError(f"Body diagram data: '{what}' must be a non-empty list.")
    return v


def _names(v: Any, owner: str) -> Mapping[str, str]:
    if not isinstance(v, dict) or any(not isinstance(v.get(lang), str) or not v[lang]
                                       for lang in LANGS):
        raise BodyMapDataError(f"Body diagram data: {owner!r} needs names in en, ru and kk.")
    return {lang: v[lang] for lang in LANGS}


def _region(entry: Any) -> Region:
    if not isinstance(entry, dict):
        raise BodyMapDataError("Body diagram data: a region must be an object.")
    region_id = entry.get("id")
    if not isinstance(region_id, str) or not _ID_RE.match(region_id):
        raise BodyMapDataError(f"Body diagram data: bad region id {region_id!r}.")
    views = entry.get("views")
    if not isinstance(views, list) or not views or any(v not in VIEWS for v in views):
        raise BodyMapDataError(f"Body diagram data: region {region_id!r} has bad views.")
    return Region(region_id, tuple(views), _shape(entry.get("shape"), region_id),
                  _names(entry.get("names"), region_id))


def _shape(v: Any, owner: str) -> Shape:
    if isinstance(v, dict) and set(v) == {"ellipse"}:
        e = v["ellipse"]
        if isinstance(e, list) and len(e) == 4 and all(_num(n) for n in e) and e[2] and e[3]:
            return Shape(ellipse=(float(e[0]), float(e[1]), float(e[2]), float(e[3])))
    if isinstance(v, dict) and set(v) == {"poly"}:
        pts = v["poly"]
        if isinstance(pts, list) and len(pts) >= 3 and all(
            isinstance(p, list) and len(p) == 2 and all(_num(n) for n in p) for p in pts
        ):
            return Shape(points=tuple((float(p[0]), float(p[1])) for p in pts))
    raise BodyMapDataError(f"Body diagram data: region {owner!r} has a bad shape.")
