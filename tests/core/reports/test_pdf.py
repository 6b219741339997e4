"""PDF building blocks: every letter survives, controls are shown not obeyed, no metadata."""

from __future__ import annotations

import logging
import os
import subprocess
from datetime import datetime, tzinfo
from pathlib import Path

import pytest

from intake_app.errors import Cancelled, StorageError
from intake_app.progress import CancelToken
from intake_app.reports.pdf import PdfDocument, fit_to_font, font_coverage, wrap_lines

KAZAKH = "ә ғ қ ң ө ұ ү һ і Ә Ғ Қ Ң Ө Ұ Ү Һ І"
RUSSIAN = "Съешь же ещё этих мягких французских булок, да выпей чаю. ЁЖЗИЙ ЩЪЫЬЭЮЯ"
ENGLISH = "The quick brown fox jumps over the lazy dog"
MARKERS = {
    "en": f"MARKER-EN {ENGLISH}",
    "ru": f"МАРКЕР-RU {RUSSIAN}",
    "kk": f"МАРКЕР-KK {KAZAKH} Өскемен Жаңаөзен Қонаев",
}


def pdftotext(path: Path) -> str:
    out = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True
    )
    return out.stdout.decode("utf-8")


def flat(text: str) -> str:
    """pdftotext breaks lines where the PDF wrapped them: compare with single spaces."""
    return " ".join(text.split())


def pdfinfo(path: Path) -> dict[str, str]:
    out = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True)
    info = {}
    for line in out.stdout.decode("utf-8").splitlines():
        key, _, value = line.partition(":")
        info[key.strip()] = value.strip()
    return info


def build(tmp_path: Path, *texts: str, title: str = "Test") -> Path:
    doc = PdfDocument(title)
    for text in texts:
        doc.paragraph(text)
    out = tmp_path / "out.pdf"
    doc.save(out)
    return out


@pytest.mark.parametrize("lang", ["en", "ru", "kk"])
def test_pdftotext_round_trip(tmp_path: Path, lang: str) -> None:
    out = build(tmp_path, MARKERS[lang])
    assert MARKERS[lang] in flat(pdftotext(out))


def test_every_kazakh_letter_in_every_block(tmp_path: Path) -> None:
    # Letters run together: pdftotext guesses spaces from gaps and merges one-letter words.
    kazakh = KAZAKH.replace(" ", "")
    doc = PdfDocument("Қазақша")
    doc.heading(f"H {kazakh}")
    doc.key_values([(f"K {kazakh}", f"V {kazakh}")])
    doc.tick_boxes([(f"T {kazakh}", True), (f"U {kazakh}", False)])
    doc.answer_lines(2, f"A {kazakh}")
    doc.signature_line(f"S {kazakh}", f"D {kazakh}")
    doc.table([f"C {kazakh}", "n"], [[f"R {kazakh}", 3]])
    out = tmp_path / "kk.pdf"
    doc.save(out)
    text = flat(pdftotext(out))
    for prefix in "HKVTUASDCR":
        assert f"{prefix} {kazakh}" in text, prefix
    assert "☑" in text and "☐" in text


def test_fonts_cover_kazakh_and_russian() -> None:
    for style in ("", "B"):
        cover = font_coverage(style)
        missing = [c for c in KAZAKH + RUSSIAN if c != " " and ord(c) not in cover]
        assert missing == []


def test_u202e_visible_in_pdf_not_obeyed(tmp_path: Path) -> None:
    out = build(tmp_path, "file\u202egpj.exe and \u2066iso\u2069 \x1b[31mred")
    text = pdftotext(out)
    assert "file⟨U+202E⟩gpj.exe" in text
    assert "⟨U+2066⟩iso⟨U+2069⟩" in text
    assert "⟨U+001B⟩[31mred" in text
    assert "\u202e" not in text and "\x1b" not in text


def test_control_chars_in_title_visible(tmp_path: Path) -> None:
    out = build(tmp_path, "x", title="Dossier\u202eFDP")
    assert pdfinfo(out)["Title"] == "Dossier⟨U+202E⟩FDP"


def test_pdf_metadata_minimal(tmp_path: Path) -> None:
    out = build(tmp_path, "x", title="Досье")
    info = pdfinfo(out)
    assert info["Title"] == "Досье"
    for key in ("Author", "Creator", "Producer", "CreationDate", "ModDate", "Subject", "Keywords"):
        assert key not in info, key
    assert info["Metadata Stream"] == "no"
    raw = out.read_bytes()
    assert b"fpdf" not in raw.lower() and b"/Producer" not in raw and b"/CreationDate" not in raw


def test_pdf_is_deterministic(monkeypatch: pytest.MonkeyPatch) -> None:
    # No dates or random ids leak the moment of printing; same input, same bytes, even a
    # year apart (fpdf2 hashes its clock into the file /ID unless told otherwise).
    import fpdf.fpdf

    class LaterClock(datetime):
        @classmethod
        def now(cls, tz: tzinfo | None = None) -> datetime:
            return datetime(2031, 5, 6, 7, 8, 9, tzinfo=tz)

    a = PdfDocument("T")
    monkeypatch.setattr(fpdf.fpdf, "datetime", LaterClock)
    b = PdfDocument("T")
    for doc in (a, b):
        doc.paragraph("same")
    pa, pb = a.to_bytes(), b.to_bytes()
    # Only the page-count alias is random, and it is replaced before output.
    assert pa == pb


def test_emoji_replaced_visibly_not_crashing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "Секретное имя 👩‍👩‍👧 👍🏽"
    with caplog.at_level(logging.DEBUG):
        out = build(tmp_path, secret)
    text = flat(pdftotext(out))
    assert "⟨U+1F469 U+200D U+1F469 U+200D U+1F467⟩" in text
    assert "⟨U+1F44D U+1F3FD⟩" in text
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "Секретное" not in logged and "👩" not in logged


def test_fit_to_font() -> None:
    cover = font_coverage("")
    assert fit_to_font("Орал", cover) == "Орал"
    assert fit_to_font("a\tb", cover) == "a    b"
    assert 0x1F984 not in cover and 0x1F600 in cover  # DejaVu has a few emoticons
    assert fit_to_font("x🦄y😀", cover) == "x⟨U+1F984⟩y😀"
    assert fit_to_font("🦄🦄", cover) == "⟨U+1F984 U+1F984⟩"


def test_page_alias_in_user_text_not_substituted(tmp_path: Path) -> None:
    out = build(tmp_path, "literal {nb} stays")
    assert "literal {nb} stays" in pdftotext(out)


def test_page_numbers(tmp_path: Path) -> None:
    doc = PdfDocument("T")
    doc.paragraph("line\n" * 150)
    out = tmp_path / "p.pdf"
    doc.save(out)
    pages = int(pdfinfo(out)["Pages"])
    assert pages == doc.page_count >= 2
    text = pdftotext(out).replace(" ", "")
    for n in range(1, pages + 1):
        assert f"{n}/{pages}" in text


def test_long_value_flows_across_pages(tmp_path: Path) -> None:
    doc = PdfDocument("T")
    words = [f"слово{i}" for i in range(3000)]
    doc.key_values([("Рассказ", " ".join(words)), ("После", "конец")])
    out = tmp_path / "long.pdf"
    doc.save(out)
    text = pdftotext(out)
    assert doc.page_count > 2
    got = [w for w in text.split() if w.startswith("слово")]
    assert got == words  # nothing lost, nothing reordered across page breaks
    assert "конец" in text


def test_long_word_is_cut_not_lost(tmp_path: Path) -> None:
    word = "Ж" * 400
    out = build(tmp_path, word)
    assert "".join(pdftotext(out).split()).count("Ж") == 400


def test_wrap_lines_widths() -> None:
    widths = {ord(c): 500.0 for c in "ab "}
    # 10 pt font, 25 pt wide: 5 units of 5 pt each
    assert wrap_lines("aa bb", widths, 10, 25) == ["aa bb"]
    assert wrap_lines("aaa bbb", widths, 10, 25) == ["aaa", "bbb"]
    assert wrap_lines("aaaaaaa", widths, 10, 25) == ["aaaaa", "aa"]
    assert wrap_lines("a\n\nb", widths, 10, 25) == ["a", "", "b"]


@pytest.mark.slow
def test_megabyte_text_is_fast_enough(tmp_path: Path) -> None:
    import time

    text = ("Қазақстан тергеу изоляторы ұрып-соғу " * 28000)[:1_000_000]
    doc = PdfDocument("T")
    start = time.perf_counter()
    doc.paragraph(text)
    assert time.perf_counter() - start < 30  # measured ~5 s; fpdf2's own breaker took 30 s


def test_saved_atomically_0600_only_at_path(tmp_path: Path) -> None:
    out = build(tmp_path, "x")
    assert os.listdir(tmp_path) == ["out.pdf"]
    assert out.stat().st_mode & 0o777 == 0o600
    assert out.read_bytes().startswith(b"%PDF-")


def test_cancel_raises_and_writes_nothing(tmp_path: Path) -> None:
    token = CancelToken()
    doc = PdfDocument("T", cancel=token)
    doc.paragraph("first")
    token.cancel()
    with pytest.raises(Cancelled):
        doc.paragraph("second")
    with pytest.raises(Cancelled):
        doc.save(tmp_path / "x.pdf")
    assert os.listdir(tmp_path) == []


def test_unwritable_target_is_a_clear_error(tmp_path: Path) -> None:
    doc = PdfDocument("T")
    with pytest.raises(StorageError):
        doc.save(tmp_path / "missing" / "x.pdf")


def test_answer_lines_and_signature_render(tmp_path: Path) -> None:
    doc = PdfDocument("Form")
    doc.answer_lines(30, "Опишите")
    doc.signature_line("Подпись", "Дата")
    out = tmp_path / "f.pdf"
    doc.save(out)
    assert doc.page_count == 2  # 30 lines of 8 mm do not fit one page
    text = pdftotext(out)
    assert "Подпись" in text and "Дата" in text


def test_table_numbers_and_injection_text(tmp_path: Path) -> None:
    doc = PdfDocument("Stats")
    doc.table(["Город", "Случаи"], [['=HYPERLINK("x")', 5], ["Орал\u202e", 12]])
    out = tmp_path / "t.pdf"
    doc.save(out)
    text = pdftotext(out)
    assert "Орал⟨U+202E⟩" in text and "12" in text


def test_table_cell_too_long_for_a_page_is_cut_visibly(tmp_path: Path) -> None:
    doc = PdfDocument("T")
    doc.table(["Текст", "n"], [["слово " * 3000, 1]], col_widths=[1, 1])
    out = tmp_path / "t.pdf"
    doc.save(out)  # fpdf2 alone raises "row too high"
    text = flat(pdftotext(out))
    assert "⟨…+" in text and "слово" in text
