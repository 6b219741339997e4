"""Printable blank forms: generated from the protocol in three languages, read back with
pdftotext (every section title, the consent text, skip logic in words, repeat blocks)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from intake_app.errors import Cancelled, UsageError
from intake_app.progress import CancelToken
from intake_app.protocol import load_protocol
from intake_app.protocol.model import pick_label
from intake_app.reports.forms import consent_text, question_numbers, section_letters, write_forms
from intake_app.reports.skip_words import SkipWords, form_words

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler")

FOOTER = re.compile(r"^(Case code|Код дела|Іс коды): _+$|^\d+ / \d+$")


def pdf_text(path: Path) -> str:
    """The PDF's text with page footers dropped and whitespace runs collapsed."""
    raw = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True,
                         capture_output=True, text=True).stdout
    lines = [ln for ln in raw.splitlines() if not FOOTER.match(ln.strip())]
    return re.sub(r"\s+", " ", " ".join(lines).replace("\f", " "))


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@pytest.fixture(scope="module")
def protocol():  # noqa: ANN201
    return load_protocol("torture-intake")


@pytest.fixture(scope="module")
def forms(protocol, tmp_path_factory):  # noqa: ANN001, ANN201
    folder = tmp_path_factory.mktemp("forms")
    out = {}
    for lang in ("en", "ru", "kk"):
        path = folder / f"forms-{lang}.pdf"
        result = write_forms(protocol, lang, path)
        out[lang] = (path, result, pdf_text(path))
    return out


@pytest.mark.parametrize("lang", ["en", "ru", "kk"])
def test_every_section_title_is_printed_with_its_letter(forms, protocol, lang) -> None:  # noqa: ANN001
    _path, _result, text = forms[lang]
    letters = section_letters(protocol)
    for section in protocol.sections:
        title = squash(pick_label(section.title, lang))
        assert f"{letters[section.id]}. {title}" in text, section.id


@pytest.mark.parametrize("lang", ["en", "ru", "kk"])
def test_consent_text_is_printed_in_full(forms, lang) -> None:  # noqa: ANN001
    _path, _result, text = forms[lang]
    consent = consent_text()
    for key in ("title", "intro", "recorded", "who_intro", "kept", "withdraw"):
        assert squash(consent[key][lang]) in text, key
    for category, labels in consent["categories"].items():
        assert squash(labels[lang]) in text, category


@pytest.mark.parametrize("lang", ["en", "ru", "kk"])
def test_every_question_is_numbered_on_the_form(forms, protocol, lang) -> None:  # noqa: ANN001
    _path, result, text = forms[lang]
    numbers = question_numbers(protocol)
    live = [q for q in protocol.questions() if not q.retired]
    assert result.questions == len(live) == len(numbers)
    for q in live:
        assert f"{numbers[q.full_id]} " in text, q.full_id


def test_page_is_a4_and_forms_hold_no_metadata_but_the_title(forms) -> None:  # noqa: ANN001
    path, result, _text = forms["ru"]
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True).stdout
    assert "(A4)" in info and re.search(rf"^Pages: +{result.pages}$", info, re.M)
    assert "Author" not in info and "Creator" not in info and "Producer" not in info
    assert path.stat().st_mode & 0o777 == 0o600


def test_answer_shapes_tick_boxes_dates_lines_and_repeat_blocks(forms) -> None:  # noqa: ANN001
    _path, _result, text = forms["en"]
    assert "☐ Yes ☐ No ☐ Unknown" in text  # yes/no side by side
    assert "__ . __ . ______" in text  # dates to write by hand
    assert "Episode 1" in text and "Episode 3" in text and "Episode 4" not in text
    assert "Place 3" in text or "Place of detention 3" in text
    assert "Date __ . __ . ______ By whom" in text  # checklist items ask when and by whom
    assert "IVS" in text or "ИВС" in text  # detention places offered by type
    assert "Front" in text and "Back" in text  # the body outlines, to mark by hand
    assert "Signature of the person" in text and "Signature of the interviewer" in text


def test_skip_logic_in_words_names_the_minors_section_at_the_age_question(forms, protocol) -> None:  # noqa: ANN001, E501
    _path, _result, text = forms["en"]
    numbers = question_numbers(protocol)
    letters = section_letters(protocol)
    age = numbers["victim.age_at_incident"]
    minors = f"{letters['minor']} «Minors"
    assert f"section {minors}" in text
    label = protocol.question("victim.age_at_incident").label
    assert f"{age} «{label['en']}» is under 18; otherwise skip." in text
    assert "Fill in this section only if:" in text
    assert f"{age} «{label['ru']}» меньше 18" in forms["ru"][2]
    assert f"{age} «{label['kk']}» мәні 18 санынан кем" in forms["kk"][2]


def _words(protocol, lang: str = "en") -> SkipWords:  # noqa: ANN001
    return SkipWords(protocol, lang, question_numbers(protocol))


def _render(protocol, source: str, lang: str = "en", scope: str | None = None) -> str:  # noqa: ANN001
    from intake_app.protocol.expr import parse

    return _words(protocol, lang).render(parse(source), scope)


def test_skip_words_common_shapes(protocol) -> None:  # noqa: ANN001
    n = question_numbers(protocol)
    assert _render(protocol, "consent.interview == 'yes'") == \
        f"{n['consent.interview']} «Do you agree to this interview?» is «Yes»"
    out = _render(protocol, "reporter.type in ['relative', 'witness']")
    assert out.endswith("is «A relative» or «A witness»")
    assert _render(protocol, "not (lawyer.type == 'none')").endswith("is not «No lawyer»") \
        or " is not «" in _render(protocol, "not (lawyer.type == 'none')")
    assert _render(protocol, "fme.requested == 'done'").endswith("is «Done»")
    assert _render(protocol, "answered(victim.citizenship)").endswith("is answered")
    assert "includes «Other»" in _render(protocol, "has(victim.languages, 'other')")
    both = _render(protocol, "consent.interview == 'yes' and (fme.requested == 'done' or "
                             "fme.conducted == 'done')")
    assert " and (" in both and " or " in both


def test_skip_words_group_relative_names_and_fallback(protocol) -> None:  # noqa: ANN001
    n = question_numbers(protocol)
    inside = _render(protocol, "has(methods, 'other')", scope="episodes")
    assert inside.startswith(n["episodes.methods"] + " «")
    odd = _render(protocol, "days(incident.date, fme.conducted.date) > 3")
    assert "days from" in odd and n["incident.date"] in odd and "> 3" in odd
    count = _render(protocol, "count(episodes) >= 2")
    assert count.startswith("the number of") or "is 2 or more" in count
    for lang in ("ru", "kk"):
        words = _render(protocol, "victim.age_at_incident < 18 or not answered(victim.sex)", lang)
        assert "18" in words and n["victim.sex"] in words
        assert form_words()["expr"][lang]["or"] in words


def test_unknown_language_or_part_is_refused_and_writes_nothing(protocol, tmp_path) -> None:  # noqa: ANN001
    out = tmp_path / "f.pdf"
    with pytest.raises(UsageError, match="Forms exist in"):
        write_forms(protocol, "de", out)
    with pytest.raises(UsageError):
        write_forms(protocol, "en", out, parts=("cover",))
    assert list(tmp_path.iterdir()) == []


def test_cancelled_form_leaves_no_file(protocol, tmp_path) -> None:  # noqa: ANN001
    token = CancelToken()
    calls = []

    def progress(done: int, total: int, _what: str) -> None:
        calls.append(done)
        if done == 3:
            token.cancel()

    with pytest.raises(Cancelled):
        write_forms(protocol, "en", tmp_path / "f.pdf", progress=progress, cancel=token)
    assert list(tmp_path.iterdir()) == []


def test_cli_forms_runs_without_qt_or_vault(run_cli, tmp_path) -> None:  # noqa: ANN001
    out = tmp_path / "consent.pdf"
    result = run_cli(["forms", "--out", out, "--lang", "kk", "--part", "consent"])
    assert result.returncode == 0, result.stderr
    assert "Wrote" in result.stdout and out.exists()
    assert squash(consent_text()["withdraw"]["kk"]) in pdf_text(out)
    missing = run_cli(["forms", "--out", tmp_path / "nope" / "f.pdf"])
    assert missing.returncode == 2 and "does not exist" in missing.stderr
    bad = run_cli(["forms", "--out", out, "--protocol", "no-such-protocol"])
    assert bad.returncode == 1 and bad.stderr.count("\n") == 1
