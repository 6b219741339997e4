"""The gazetteer: one id per place whatever the spelling, and nothing guessed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from intake_app.paths import resources_dir
from intake_app.places import Gazetteer, canonical_place
from intake_app.places.gazetteer import GazetteerError, match_key


@pytest.fixture(scope="module")
def g() -> Gazetteer:
    return Gazetteer.load()


def test_load_is_cached(g: Gazetteer) -> None:
    assert Gazetteer.load() is g


@pytest.mark.parametrize(
    ("spellings", "place_id"),
    [
        (["Уральск", "Орал", "Uralsk", "Oral", "URALSK", "орал"], "kz.city.uralsk"),
        (
            ["Усть-Каменогорск", "Усть Каменогорск", "Өскемен", "Oskemen", "Ust-Kamenogorsk"],
            "kz.city.ust_kamenogorsk",
        ),
        (["Капчагай", "Конаев", "Қонаев", "Qonaev", "Kapchagay", "Kapshagay"], "kz.city.konaev"),
        (["Нур-Султан", "Астана", "Nur-Sultan", "Нұр-Сұлтан", "Astana"], "kz.city.astana"),
        (["Алма-Ата", "Алматы", "Alma-Ata", "Alma Ata", "Almaty"], "kz.city.almaty"),
        (["Семипалатинск", "Семей", "Semey"], "kz.city.semey"),
        (["Жаңаөзен", "Жанаозен", "Zhanaozen"], "kz.city.zhanaozen"),
        (["Есик", "Есік", "Иссык", "Esik"], "kz.city.esik"),
        (["Петропавл", "Петропавловск", "Petropavl"], "kz.city.petropavlovsk"),
    ],
)
def test_three_spellings_are_one_place(g: Gazetteer, spellings: list[str], place_id: str) -> None:
    assert {g.resolve(s).id for s in spellings if g.resolve(s)} == {place_id}
    assert all(g.resolve(s) is not None for s in spellings)


def test_yo_and_e_match_and_dashes_collapse(g: Gazetteer) -> None:
    assert g.resolve("Спецприёмник") is g.resolve("спецприемник")
    assert g.resolve("Нур—Султан") is g.resolve("нур   султан")  # em dash, spaces
    assert g.resolve("  Шымкент\t") is g.place("kz.city.shymkent")


def test_no_other_normalisation(g: Gazetteer) -> None:
    # A near-miss stays free text for a person to see: no fuzzy matching, no transliteration.
    for text in ["Уралск", "Uralskk", "г. Уральск", "Oral city", "Алматы!", "Ural'sk"]:
        assert g.resolve(text) is None, text


def test_unknown_place_is_none(g: Gazetteer) -> None:
    assert g.resolve("Неизвестное село") is None
    assert g.resolve("") is None
    assert g.place("kz.city.atlantis") is None
    assert g.region_of("kz.city.atlantis") is None
    assert g.name("kz.city.atlantis", "ru") == "kz.city.atlantis"


def test_ids_resolve_and_are_exact_for_place(g: Gazetteer) -> None:
    assert g.resolve("kz.city.uralsk").id == "kz.city.uralsk"
    assert g.resolve("KZ.CITY.URALSK").id == "kz.city.uralsk"
    assert g.place("KZ.CITY.URALSK") is None


def test_all_regions_of_2022(g: Gazetteer) -> None:
    regions = {p.id for p in g.regions()}
    assert len(regions) == 20  # 17 oblasts and 3 cities of republican significance
    for rid in ("kz.region.abai", "kz.region.jetisu", "kz.region.ulytau"):
        assert rid in regions
    for p in g.regions():
        centre = g.place(p.centre or "")
        assert centre is not None and centre.kind == "city"
        assert g.region_of(centre.id) == p.id, p.id


def test_region_of_city_and_district(g: Gazetteer) -> None:
    assert g.region_of("kz.city.uralsk") == "kz.region.west_kazakhstan"
    assert g.region_of("kz.city.taldykorgan") == "kz.region.jetisu"
    assert g.region_of("kz.city.zhezkazgan") == "kz.region.ulytau"
    assert g.region_of("kz.city.semey") == "kz.region.abai"
    medeu = g.resolve("Медеуский район")
    assert medeu is not None
    assert g.region_of(medeu.id) == "kz.region.almaty_city"
    assert g.city_of(medeu.id) == "kz.city.almaty"
    assert g.region_of("kz.detention.ivs") is None


def test_cities_named_in_the_reports_are_known(g: Gazetteer) -> None:
    for name in [
        "Taraz", "Almaty", "Uralsk", "Kyzylorda", "Aktobe", "Taldykorgan", "Shymkent",
        "Zhanaozen", "Aktau", "Kapchagai", "Konaev", "Esik", "Tekeli", "Turkestan", "Semey",
        "Ust-Kamenogorsk", "Oskemen", "Pavlodar", "Karaganda", "Kostanay", "Petropavlovsk",
        "Kokshetau", "Atyrau", "Zhezkazgan", "Ekibastuz", "Temirtau", "Rudny",
    ]:  # fmt: skip
        place = g.resolve(name)
        assert place is not None and place.kind == "city", name


@pytest.mark.parametrize(
    ("place_id", "kk"),
    [
        ("kz.city.uralsk", "Орал"), ("kz.city.ust_kamenogorsk", "Өскемен"),
        ("kz.city.kyzylorda", "Қызылорда"), ("kz.city.aktobe", "Ақтөбе"),
        ("kz.city.taldykorgan", "Талдықорған"), ("kz.city.zhanaozen", "Жаңаөзен"),
        ("kz.city.aktau", "Ақтау"), ("kz.city.konaev", "Қонаев"), ("kz.city.esik", "Есік"),
        ("kz.city.tekeli", "Текелі"), ("kz.city.turkistan", "Түркістан"),
        ("kz.city.karaganda", "Қарағанды"), ("kz.city.kostanay", "Қостанай"),
        ("kz.city.petropavlovsk", "Петропавл"), ("kz.city.kokshetau", "Көкшетау"),
        ("kz.city.zhezkazgan", "Жезқазған"), ("kz.city.ekibastuz", "Екібастұз"),
        ("kz.city.temirtau", "Теміртау"),
    ],
)  # fmt: skip
def test_official_kazakh_names(g: Gazetteer, place_id: str, kk: str) -> None:
    assert g.name(place_id, "kk") == kk


def test_every_place_has_three_names(g: Gazetteer) -> None:
    for kind in ("region", "city", "district", "detention_type"):
        for p in g.of_kind(kind):
            assert all(p.names[lang].strip() for lang in ("en", "ru", "kk")), p.id


def test_detention_types_trilingual(g: Gazetteer) -> None:
    types = {p.id: p for p in g.detention_types()}
    assert len(types) == 10
    assert types["kz.detention.ivs"].name("ru") == "изолятор временного содержания (ИВС)"
    assert types["kz.detention.sizo"].name("kk").startswith("тергеу изоляторы")
    assert g.resolve("СИЗО КНБ").id == "kz.detention.knb_sizo"
    assert g.resolve("ИВС").id == "kz.detention.ivs"


def test_name_falls_back_to_english(g: Gazetteer) -> None:
    assert g.name("kz.city.uralsk", "de") == "Uralsk"


def test_search_for_completion(g: Gazetteer) -> None:
    assert [p.id for p in g.search("Ура", "ru", "city")][:1] == ["kz.city.uralsk"]
    # a later word of a name completes too, after names that start with the prefix
    found = [p.id for p in g.search("камен", "ru", "city")]
    assert "kz.city.ust_kamenogorsk" in found
    # kind filters: "Алматы" names a city, a region and a city-region
    assert {p.kind for p in g.search("Алмат", "ru", "region")} == {"region"}
    assert {p.kind for p in g.search("", "ru", "detention_place", limit=100)} == {"detention_type"}
    assert g.search("zzzz", "en") == []
    with pytest.raises(ValueError):
        g.search("a", "en", "planet")


def test_search_ranks_language_names_first(g: Gazetteer) -> None:
    found = g.search("Ор", "kk", "city")
    assert found[0].id == "kz.city.uralsk"  # Орал is its Kazakh name


def test_canonical_place_merges_answer_forms(g: Gazetteer) -> None:
    assert canonical_place("kz.city.uralsk", "ru", g) == ("kz.city.uralsk", "Уральск")
    assert canonical_place({"text": "Орал"}, "en", g) == ("kz.city.uralsk", "Uralsk")
    assert canonical_place("Uralsk", "kk", g) == ("kz.city.uralsk", "Орал")


def test_canonical_place_free_text_kept_exact(g: Gazetteer) -> None:
    text = "село Ақсу\u202e  (дача)"
    assert canonical_place({"text": text}, "en", g) == (None, text)


def test_canonical_place_non_answers(g: Gazetteer) -> None:
    for answer in ({"status": "unknown"}, {"status": "declined"}, None, 5, ["x"], {"text": 3}):
        assert canonical_place(answer, "en", g) == (None, "")


def test_canonical_place_id_from_newer_gazetteer_kept(g: Gazetteer) -> None:
    assert canonical_place("kz.city.new_town", "en", g) == ("kz.city.new_town", "kz.city.new_town")


def test_match_key() -> None:
    assert match_key(" Усть‑Каменогорск ") == "усть каменогорск"  # non-breaking hyphen
    assert match_key("ЁЛКА") == "елка"
    assert match_key("Ақ-тау") != match_key("Ақтау")  # no other normalisation


def _write(tmp_path: Path, places: list[dict[str, object]]) -> Path:
    path = tmp_path / "x.json"
    path.write_text(json.dumps({"format": 1, "places": places}), encoding="utf-8")
    return path


def _names(n: str) -> dict[str, str]:
    return {"en": n, "ru": n + "ру", "kk": n + "кк"}


def test_bad_data_colliding_alias_refused(tmp_path: Path) -> None:
    places = [
        {"id": "xx.region.a", "kind": "region", "centre": "xx.city.a", "names": _names("A")},
        {"id": "xx.city.a", "kind": "city", "region": "xx.region.a", "names": _names("Acity")},
        {
            "id": "xx.city.b",
            "kind": "city",
            "region": "xx.region.a",
            "names": _names("B"),
            "aliases": ["ACITY"],
        },
    ]
    with pytest.raises(GazetteerError, match="names both"):
        Gazetteer.from_files([_write(tmp_path, places)])


@pytest.mark.parametrize(
    "places",
    [
        [{"id": "Bad Id", "kind": "city", "names": _names("A")}],
        [{"id": "xx.city.a", "kind": "planet", "names": _names("A")}],
        [{"id": "xx.city.a", "kind": "city", "names": {"en": "A"}}],
        [{"id": "xx.city.a", "kind": "city", "region": "xx.region.none", "names": _names("A")}],
        [{"id": "xx.city.a", "kind": "city", "names": _names("A")}],
        ["not an object"],
    ],
)
def test_bad_data_refused(tmp_path: Path, places: list[object]) -> None:
    with pytest.raises(GazetteerError):
        Gazetteer.from_files([_write(tmp_path, places)])  # type: ignore[arg-type]


def test_shipped_file_is_valid_json_with_kazakh_letters() -> None:
    text = (resources_dir() / "gazetteer" / "kz.json").read_text(encoding="utf-8")
    json.loads(text)
    assert all(ch in text for ch in "әғқңөұүі")
