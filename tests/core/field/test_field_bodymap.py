"""The body diagram: shipped data, hit testing, protocol validation, and the round trip
save → show → dossier text (region names in the dossier's language, numbered marks)."""

from __future__ import annotations

import copy
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from intake_app.cases.store import CaseStore
from intake_app.errors import ValidationError
from intake_app.field.bodymap import BodyMapDataError, body_map, parse_body_map
from intake_app.paths import resources_dir
from intake_app.reports.dossier import write_dossier

BASE = {"consent.interview": "yes", "victim.pseudonym": "Ерлан-3", "victim.sex": "male",
        "incident.date": "2022-01-06"}
MARKS = [
    {"_id": "m1", "view": "front", "region": "right_thigh", "kind": "bruise",
     "note": "көгерген, 5 см ‮x"},
    {"_id": "m2", "view": "back", "region": "lower_back", "kind": "electrical"},
    {"_id": "m3", "view": "back", "region": "lower_back", "kind": "burn", "note": "2 шт."},
]


def _episode(marks: object) -> dict[str, object]:
    return {**BASE, "episodes": [{"_id": "e1", "injury_map": marks}]}


def test_shipped_data_names_every_region_and_the_required_kinds_in_three_languages() -> None:
    bm = body_map()
    assert set(bm.kinds) >= {"bruise", "abrasion", "laceration", "burn", "fracture",
                             "electrical", "other"}
    ids = {r.id for r in bm.regions}
    assert {"head", "neck", "chest", "abdomen", "upper_back", "lower_back", "genitals",
            "right_hand", "left_foot", "right_forearm", "left_thigh"} <= ids
    for region in bm.regions:
        assert all(region.names[lang] for lang in ("en", "ru", "kk"))
    assert bm.region_name("right_thigh", "kk") == "Оң сан"


def test_back_view_mirrors_sides_so_each_side_keeps_its_id() -> None:
    bm = body_map()
    left_of_viewer = (22.0, 50.0)
    assert bm.region_at("front", *left_of_viewer).id == "right_upper_arm"
    assert bm.region_at("back", *left_of_viewer).id == "left_upper_arm"
    assert bm.region_at("front", 50, 80).id == "abdomen"
    assert bm.region_at("back", 50, 80).id == "lower_back"
    assert bm.region_at("front", 2, 2) is None  # off the body


def test_every_region_centre_hits_its_own_region() -> None:
    bm = body_map()
    for view in ("front", "back"):
        for region, shape in bm.shapes(view):
            assert bm.region_at(view, *shape.centre()) is region, (view, region.id)


@pytest.mark.parametrize("broken", [
    {"format": 2},
    {"regions": []},
    {"regions": [{"id": "Head!", "views": ["front"], "shape": {"ellipse": [1, 1, 1, 1]},
                  "names": {"en": "a", "ru": "b", "kk": "c"}}]},
    {"regions": [{"id": "head", "views": ["side"], "shape": {"ellipse": [1, 1, 1, 1]},
                  "names": {"en": "a", "ru": "b", "kk": "c"}}]},
    {"regions": [{"id": "head", "views": ["front"], "shape": {"poly": [[1, 1], [2, 2]]},
                  "names": {"en": "a", "ru": "b", "kk": "c"}}]},
    {"kinds": [{"id": "bruise", "names": {"en": "Bruise", "ru": "", "kk": "x"}}]},
])
def test_malformed_body_data_is_refused_with_a_message(broken: dict[str, object]) -> None:
    import json

    data = json.loads((resources_dir() / "bodymap" / "regions.json").read_text("utf-8"))
    data = {**copy.deepcopy(data), **broken}
    with pytest.raises(BodyMapDataError, match="Body diagram data"):
        parse_body_map(data)


@pytest.mark.parametrize("bad", [
    "right_thigh",
    [{"view": "front", "region": "head", "kind": "bruise"}],  # no _id
    [{"_id": "a", "view": "side", "region": "head", "kind": "bruise"}],
    [{"_id": "a", "view": "front", "region": "head", "kind": "bruise"},
     {"_id": "a", "view": "back", "region": "neck", "kind": "burn"}],  # _id twice
    [{"_id": "a", "view": "front", "region": "head", "kind": "bruise", "colour": "red"}],
    [{"_id": "a", "view": "front", "region": "head", "kind": "bruise", "photo": "nope"}],
])
def test_bad_marks_are_refused_by_the_protocol_and_change_nothing(vault, bad) -> None:  # noqa: ANN001
    store = CaseStore(vault)
    case = store.new_case(BASE)
    heads = store.get(case).heads
    with pytest.raises(ValidationError, match="injury_map"):
        store.save(case, _episode(bad))
    assert store.get(case).heads == heads


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler")
def test_round_trip_save_show_dossier(vault, tmp_path: Path) -> None:  # noqa: ANN001
    store = CaseStore(vault)
    case = store.new_case(_episode(MARKS))
    shown = store.get(case).answers["episodes"][0]["injury_map"]
    assert shown == MARKS  # byte-exact, order kept
    for lang, expected in {
        "en": ["1. Front, Right thigh, Bruise (көгерген, 5 см ⟨U+202E⟩x)",
               "2. Back, Lower back and kidneys, Electrical mark",
               "3. Back, Lower back and kidneys, Burn (2 шт.)"],
        "kk": ["1. Алдыңғы жағы, Оң сан, Қанталау (көгерген жер)"],
        "ru": ["2. Сзади, Поясница и почки, След от электрического тока"],
    }.items():
        out = tmp_path / f"dossier-{lang}.pdf"
        write_dossier(store, case, out, lang)
        text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(out), "-"], check=True,
                              capture_output=True, text=True).stdout
        flat = re.sub(r"\s+", " ", text)
        for line in expected:
            assert line in flat, (lang, line)
        assert "\u202e" not in text
        # the drawn outlines: both view captions above the figure, numbered dots 1-3
        views = body_map().view_names
        assert views["front"][lang] in text and views["back"][lang] in text
        assert re.search(r"(?m)^\s*3\s*$", text)
