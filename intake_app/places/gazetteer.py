"""The built-in gazetteer: regions, cities, districts and detention-place types.

Every place has a stable id ("kz.city.uralsk") and names in English, Russian and Kazakh, plus
aliases (old names, other spellings). Statistics count by id, so Уральск, Орал and Uralsk
are one city. Matching is deliberately narrow: case-insensitive (casefold), ё read as е,
runs of spaces and hyphens read as one space; nothing else, so a near-miss stays free text
for a person to see rather than being silently merged into the wrong city.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from intake_app.errors import IntakeError
from intake_app.paths import resources_dir

LANGS = ("en", "ru", "kk")
KINDS = ("region", "city", "district", "detention_type")

# What a protocol question's `gazetteer:` word offers for completion and resolution.
PROTOCOL_KINDS: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "region": frozenset({"region"}),
        "city": frozenset({"city", "district"}),
        "detention_place": frozenset({"detention_type"}),
    }
)

_ID_RE = re.compile(r"^[a-z]{2}(\.[a-z0-9_]+){2,3}$")
# Hyphen-like characters people type for the same name: ASCII, Unicode hyphen and
# non-breaking hyphen, en and em dash.
_SEPARATORS = re.compile(r"[\s\-\u2010\u2011\u2013\u2014]+")


class GazetteerError(IntakeError):
    """The shipped gazetteer data is malformed (a developer error, reported clearly)."""


def match_key(text: str) -> str:
    """The form two spellings must share to be the same name."""
    folded = text.casefold().replace("ё", "е")
    return _SEPARATORS.sub(" ", folded).strip()


@dataclass(frozen=True)
class Place:
    """One gazetteer entry. `region` is the region id (a region's own id for a region)."""

    id: str
    kind: str
    names: Mapping[str, str] = field(compare=False, hash=False)
    aliases: tuple[str, ...] = field(default=(), compare=False, hash=False)
    region: str | None = None
    city: str | None = None
    centre: str | None = None

    def name(self, lang: str = "en") -> str:
        """The name in `lang`, English when that language has none."""
        return self.names.get(lang) or self.names["en"]

    def spellings(self) -> Iterable[str]:
        yield self.id
        yield from self.names.values()
        yield from self.aliases


class Gazetteer:
    """Places and their spellings. Build with `Gazetteer.load()` (shipped data, cached)."""

    def __init__(self, places: Iterable[Place]) -> None:
        self._places: dict[str, Place] = {}
        self._by_key: dict[str, Place] = {}
        for place in places:
            if place.id in self._places:
                raise GazetteerError(f"Gazetteer: the id {place.id} appears twice.")
            self._places[place.id] = place
        for place in self._places.values():
            self._check_refs(place)
            for spelling in place.spellings():
                key = match_key(spelling)
                other = self._by_key.setdefault(key, place)
                if other.id != place.id:
                    raise GazetteerError(
                        f"Gazetteer: {spelling!r} names both {other.id} and {place.id}."
                    )

    @classmethod
    def load(cls) -> Gazetteer:
        """The shipped gazetteer (every JSON file in resources/gazetteer), loaded once."""
        return _load_shipped()

    @classmethod
    def from_files(cls, paths: Iterable[Path]) -> Gazetteer:
        places: list[Place] = []
        for path in paths:
            places.extend(_read_file(path))
        return cls(places)

    def _check_refs(self, place: Place) -> None:
        expected = {"region": place.centre, "district": place.city}
        for ref, kinds in (
            (place.region, {"region"}),
            (place.city, {"city"}),
            (place.centre, {"city"}),
        ):
            if ref is not None and (ref not in self._places or self._places[ref].kind not in kinds):
                raise GazetteerError(f"Gazetteer: {place.id} refers to {ref}, not a place here.")
        if place.kind in ("city", "district") and place.region is None:
            raise GazetteerError(f"Gazetteer: {place.id} has no region.")
        if place.kind in expected and expected[place.kind] is None:
            raise GazetteerError(f"Gazetteer: {place.id} lacks its centre or city.")

    # Lookups -----------------------------------------------------------------------------

    def resolve(self, text_or_id: str) -> Place | None:
        """The place an id, name or alias stands for, or None when it is not in the list."""
        if not isinstance(text_or_id, str):
            return None
        return self._by_key.get(match_key(text_or_id))

    def place(self, place_id: str) -> Place | None:
        """The place with exactly this id (ids are matched exactly, not as names)."""
        return self._places.get(place_id)

    def region_of(self, place_id: str) -> str | None:
        """The region id of a region, city or district; None for other kinds or unknown ids."""
        place = self._places.get(place_id)
        if place is None:
            return None
        return place.id if place.kind == "region" else place.region

    def city_of(self, place_id: str) -> str | None:
        """The city id of a city or of a city district; None otherwise."""
        place = self._places.get(place_id)
        if place is None:
            return None
        return place.id if place.kind == "city" else place.city

    def name(self, place_id: str, lang: str = "en") -> str:
        """The place's name in `lang`; an unknown id (from a newer gazetteer) comes back as is."""
        place = self._places.get(place_id)
        return place.name(lang) if place is not None else place_id

    def search(
        self, prefix: str, lang: str = "en", kind: str | None = None, limit: int = 20
    ) -> list[Place]:
        """Places for completion: names in `lang` starting with `prefix` first, then other
        names and aliases starting with it, then names with a word starting with it.

        `kind` is a place kind or a protocol `gazetteer:` word (city, region,
        detention_place); None searches every kind.
        """
        key = match_key(prefix)
        kinds = _kinds_for(kind)
        ranked: dict[str, tuple[int, str]] = {}
        for place in self._places.values():
            if kinds is not None and place.kind not in kinds:
                continue
            rank = _rank(place, key, lang)
            if rank is not None:
                ranked[place.id] = (rank, match_key(place.name(lang)))
        order = sorted(ranked, key=lambda pid: (*ranked[pid], pid))
        return [self._places[pid] for pid in order[:limit]]

    def of_kind(self, kind: str) -> list[Place]:
        return sorted((p for p in self._places.values() if p.kind == kind), key=lambda p: p.id)

    def regions(self) -> list[Place]:
        return self.of_kind("region")

    def cities(self) -> list[Place]:
        return self.of_kind("city")

    def districts(self) -> list[Place]:
        return self.of_kind("district")

    def detention_types(self) -> list[Place]:
        return self.of_kind("detention_type")

    def __len__(self) -> int:
        return len(self._places)


def canonical_place(
    answer: object, lang: str = "en", gazetteer: Gazetteer | None = None
) -> tuple[str | None, str]:
    """Reduce a place answer to (gazetteer id or None, text to show).

    Accepts a gazetteer id string, {"text": free text}, or a plain name. A known id or a
    spelling that resolves gives the id and its name in `lang`; an id this gazetteer does not
    know (written by a newer version) is kept as the id; free text that does not resolve
    gives (None, the text exactly as typed). Anything that is not a place answer
    ({"status": "unknown"}, None, numbers) gives (None, "").
    """
    g = gazetteer or Gazetteer.load()
    if isinstance(answer, Mapping):
        text = answer.get("text")
        if not isinstance(text, str):
            return None, ""
    elif isinstance(answer, str):
        text = answer
        if _ID_RE.match(text) and g.place(text) is None:
            return text, text
    else:
        return None, ""
    place = g.resolve(text)
    if place is None:
        return None, text
    return place.id, place.name(lang)


# Internals ----------------------------------------------------------------------------------


def _kinds_for(kind: str | None) -> frozenset[str] | None:
    if kind is None:
        return None
    if kind in PROTOCOL_KINDS:
        return PROTOCOL_KINDS[kind]
    if kind in KINDS:
        return frozenset({kind})
    raise ValueError(f"unknown place kind {kind!r}")


def _rank(place: Place, key: str, lang: str) -> int | None:
    if match_key(place.name(lang)).startswith(key):
        return 0
    spellings = [match_key(s) for s in (*place.names.values(), *place.aliases)]
    if any(s.startswith(key) for s in spellings):
        return 1
    if any(word.startswith(key) for s in spellings for word in s.split(" ")[1:]):
        return 2
    return None


@functools.cache
def _load_shipped() -> Gazetteer:
    folder = resources_dir() / "gazetteer"
    files = sorted(folder.glob("*.json"))
    if not files:
        raise GazetteerError(f"The gazetteer data is missing from {folder}.")
    return Gazetteer.from_files(files)


def _read_file(path: Path) -> list[Place]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise GazetteerError(f"Gazetteer file {path.name} cannot be read: {exc}") from exc
    if not isinstance(data, dict) or data.get("format") != 1:
        raise GazetteerError(f"Gazetteer file {path.name} is not format 1.")
    entries = data.get("places")
    if not isinstance(entries, list):
        raise GazetteerError(f"Gazetteer file {path.name} has no list of places.")
    return [_parse_place(entry, path.name) for entry in entries]


def _parse_place(entry: Any, source: str) -> Place:
    if not isinstance(entry, dict):
        raise GazetteerError(f"Gazetteer file {source}: an entry is not an object.")
    pid = entry.get("id")
    if not isinstance(pid, str) or not _ID_RE.match(pid):
        raise GazetteerError(f"Gazetteer file {source}: bad id {pid!r}.")
    kind = entry.get("kind")
    if kind not in KINDS:
        raise GazetteerError(f"Gazetteer file {source}: {pid} has unknown kind {kind!r}.")
    names = entry.get("names")
    if not isinstance(names, dict) or any(
        not isinstance(names.get(lang), str) or not names[lang].strip() for lang in LANGS
    ):
        raise GazetteerError(f"Gazetteer file {source}: {pid} needs names in en, ru and kk.")
    aliases = entry.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) and a for a in aliases):
        raise GazetteerError(f"Gazetteer file {source}: {pid} has bad aliases.")
    refs = {k: entry.get(k) for k in ("region", "city", "centre")}
    if any(v is not None and not isinstance(v, str) for v in refs.values()):
        raise GazetteerError(f"Gazetteer file {source}: {pid} has a bad reference.")
    return Place(
        id=pid,
        kind=kind,
        names=MappingProxyType({lang: names[lang] for lang in LANGS}),
        aliases=tuple(aliases),
        region=pid if kind == "region" else refs["region"],
        city=refs["city"],
        centre=refs["centre"],
    )
