"""Statistics against hand-counted cases: every figure, filters, retraction, conflicts,
de-identification (only categorical answers read, no free text out), determinism."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import stats_cases
from stats_cases import EXPECTED, SECRET_NAME, SECRET_NOTE, SECRET_TEXT

from intake_app.cases.store import CaseStore
from intake_app.errors import Cancelled, UsageError
from intake_app.places import Gazetteer
from intake_app.progress import CancelToken
from intake_app.reports.stats import (
    CATEGORICAL_IDS,
    HEADS_QUERY,
    StatsFilter,
    compute_stats,
    facts_of,
    head_answers,
)
from intake_app.vault import Vault

PASSPHRASE = "hand counted statistics passphrase"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Vault, dict[str, str]]]:
    vault = Vault.create(tmp_path_factory.mktemp("stats") / "vault", PASSPHRASE, name="Coord",
                         role="coordinator")  # fmt: skip
    store = CaseStore(vault, clock=stats_cases.ticking_clock())
    ids = stats_cases.build(store)
    yield vault, ids
    vault.close()


@pytest.fixture(scope="module")
def rules(built: tuple[Vault, dict[str, str]]) -> list[str]:
    return [r.id for r in CaseStore(built[0]).shelf.current().red_flag_rules]


def stats_of(built: tuple[Vault, dict[str, str]], **filters: Any) -> dict[str, Any]:
    return compute_stats(built[0].conn, StatsFilter(**filters) if filters else None)


def test_every_statistic_matches_the_hand_count(built):
    stats = stats_of(built)
    for key, expected in EXPECTED.items():
        assert stats[key] == expected, key


def test_the_three_spellings_of_uralsk_are_one_city_with_names_in_three_languages(built):
    stats = stats_of(built)
    assert [k for k in stats["by_city"] if "ural" in k or "орал" in k.casefold()] == [
        "kz.city.uralsk"
    ]
    assert stats["place_names"]["kz.city.uralsk"] == {"en": "Uralsk", "ru": "Уральск",
                                                       "kk": "Орал"}  # fmt: skip
    # A district counts for its city; free text has no gazetteer names.
    assert "kz.district.almaty.medeu" not in stats["by_city"]
    assert "жаңатас ауылы" not in stats["place_names"]


def test_by_region_joins_by_city(built):
    stats = stats_of(built)
    g = Gazetteer.load()
    joined: dict[str, dict[str, int]] = {}
    for city, entry in stats["by_city"].items():
        region = g.region_of(city)
        if region is None:
            continue
        slot = joined.setdefault(region, {"cases": 0, "terminated": 0})
        for key in slot:
            slot[key] += entry[key]
    assert joined == stats["by_region"]


def test_not_conducted_counts_no_only_and_unknown_apart(built):
    stats = stats_of(built)
    # A answered "no", B "done", C "unknown"; the rest did not answer: in no count.
    assert (stats["fme_not_conducted"], stats["fme_unknown"], stats["fme_conducted"]) == (1, 1, 1)
    assert (stats["fppe_not_conducted"], stats["fppe_unknown"]) == (1, 1)


def test_retracted_case_is_left_out(built):
    vault, ids = built
    stats = stats_of(built)
    assert stats["cases"] == 8
    # H was the only retracted case and the only male age 44 in Uralsk: nothing of it counts.
    assert stats["by_city"]["kz.city.uralsk"] == {"cases": 3, "terminated": 2}
    total = vault.conn.execute("SELECT count(*) FROM case_index").fetchone()[0]
    assert total == 9


def test_conflict_counts_the_latest_head_once(built):
    vault, ids = built
    heads = vault.conn.execute("SELECT count(*) FROM heads WHERE case_id = ?",
                               (ids["I"],)).fetchone()[0]  # fmt: skip
    assert heads == 2
    stats = stats_of(built)
    assert stats["by_city"]["kz.city.taraz"] == {"cases": 1, "terminated": 0}
    assert stats["by_sex"]["female"] == 1  # B only, not I's older head


def test_red_flags_count_every_rule_with_zeros(built, rules):
    stats = compute_stats(built[0].conn, rules=rules)
    assert set(stats["red_flags"]) == set(rules)
    assert stats["red_flags"]["lawyer_not_identified"] == 1  # A
    assert stats["red_flags"]["fme_not_conducted"] == 1  # A
    assert stats["red_flags"]["minor_no_legal_rep"] == 1  # B
    assert stats["red_flags"]["complaint_in_kui_not_erdr"] == 1  # A
    assert stats["red_flags"]["state_lawyer_inactive"] == 0


@pytest.mark.parametrize(
    ("filters", "cases"),
    [
        ({"city": "Орал"}, 3),
        ({"city": "kz.city.uralsk"}, 3),
        ({"city": "kz.region.west_kazakhstan"}, 3),
        ({"city": "Западно-Казахстанская область"}, 3),
        ({"city": "ЖАҢАТАС  ауылы"}, 2),
        ({"city": "kz.district.almaty.medeu"}, 1),
        ({"city": "Алматы"}, 1),
        ({"city": "Nowhere at all"}, 0),
        ({"date_from": "2022-01", "date_to": "2022-01"}, 4),
        ({"date_from": "2022-01-06", "date_to": "2022-01-07"}, 2),
        ({"date_from": "2022"}, 6),
        ({"date_to": "2021-12-31"}, 1),
        ({"theme": "army_hazing"}, 1),
        ({"theme": "health_care_in_detention"}, 2),
        ({"theme": "january_2022", "city": "Уральск"}, 2),
    ],
)
def test_filters(built, filters, cases):
    assert stats_of(built, **filters)["cases"] == cases


def test_a_filtered_period_keeps_the_shape(built):
    stats = stats_of(built, date_from="2022-01", date_to="2022-01")
    assert list(stats["by_period"]) == ["2022-01"]
    assert stats["by_sex"] == {"male": 3, "female": 1, "other": 0, "unknown": 0}
    assert stats["themes"]["january_2022"] == 2


@pytest.mark.parametrize(
    ("filters", "words"),
    [
        ({"date_from": "2022-13"}, "--from"),
        ({"date_to": "2023-02-30"}, "--to"),
        ({"date_from": "yesterday"}, "--from"),
        ({"date_from": "2023", "date_to": "2022"}, "empty"),
        ({"theme": "elections"}, "theme"),
        ({"city": "   "}, "--city"),
    ],
)
def test_bad_filters_are_refused_with_a_message(built, filters, words):
    with pytest.raises(UsageError, match=words):
        stats_of(built, **filters)


def test_output_is_deterministic(built, rules):
    first = json.dumps(compute_stats(built[0].conn, rules=rules), sort_keys=True)
    second = json.dumps(compute_stats(built[0].conn, rules=rules), sort_keys=True)
    assert first == second


def test_stats_output_holds_no_names_narratives_or_notes(built, rules):
    text = json.dumps(compute_stats(built[0].conn, rules=rules), ensure_ascii=False)
    for secret in (SECRET_NAME, SECRET_TEXT, SECRET_NOTE, "A-1", "+7 700"):
        assert secret not in text


class _Watched(dict[str, Any]):
    """Answers that record which keys were read."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        super().__init__(data)
        self.read: set[str] = set()

    def __getitem__(self, key: str) -> Any:
        self.read.add(key)
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        self.read.add(key)
        return super().get(key, default)

    def __contains__(self, key: object) -> bool:
        self.read.add(str(key))
        return super().__contains__(key)


def test_stats_read_only_categorical_answers():
    answers = _Watched(stats_cases.CASES["A"])
    facts_of(answers, [], Gazetteer.load())
    assert answers.read <= CATEGORICAL_IDS
    assert "victim.full_name" not in answers.read and "incident.narrative" not in answers.read


def test_free_text_in_a_choice_never_becomes_a_key():
    """An imported record could carry text where an option word belongs: counted as other."""
    answers = dict(stats_cases.CASES["A"])
    answers["victim.sex"] = SECRET_NAME
    answers["investigation.status"] = "Terminated by Judge X"
    answers["episodes"] = [{"_id": "x", "perpetrators": [{"_id": "y", "agency": SECRET_NAME}]}]
    facts = facts_of(answers, ["lawyer_not_identified", SECRET_TEXT], Gazetteer.load())
    assert facts.sex == "other" and facts.status == "other"
    assert facts.agencies == frozenset({"other"})
    assert SECRET_TEXT not in facts.red_flags and "other" in facts.red_flags


def test_empty_vault_gives_zeros(tmp_path: Path):
    vault = Vault.create(tmp_path / "v", PASSPHRASE, name="Empty", role="coordinator")
    try:
        stats = compute_stats(vault.conn, rules=["fme_not_conducted"])
    finally:
        vault.close()
    assert stats["cases"] == 0 and stats["by_city"] == {} and stats["by_period"] == {}
    assert stats["red_flags"] == {"fme_not_conducted": 0}
    assert stats["themes"] == dict.fromkeys(sorted(stats["themes"]), 0)


def test_cancel_stops_the_count(built):
    token = CancelToken()
    token.cancel()
    rows = list(head_answers(built[0].conn))
    assert len(rows) == 8
    with pytest.raises(Cancelled):
        for _ in head_answers(_Repeat(built[0].conn, 600), token):
            pass


class _Repeat:
    """A connection stand-in whose query returns the vault's rows many times over (fake case
    ids), to reach the stream's periodic cancel check without storing 500 cases."""

    def __init__(self, conn: Any, times: int) -> None:
        self.conn, self.times = conn, times

    def execute(self, sql: str) -> Iterator[tuple[Any, ...]]:
        rows = self.conn.execute(sql).fetchall()
        for n in range(self.times):
            for row in rows:
                yield (f"{n:05d}-{row[0]}", *row[1:])


def test_stream_over_heads_sorts_nothing_in_memory(built):
    """A sort would hold every revision body in a temporary B-tree (190 MB at 100,000 cases,
    measured): the query must follow the heads table's own order."""
    plan = " ".join(str(row) for row in built[0].conn.execute("EXPLAIN QUERY PLAN " + HEADS_QUERY))
    assert "TEMP B-TREE" not in plan
