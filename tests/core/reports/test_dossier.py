"""The case dossier: Istanbul Protocol order, answers in the chosen language, every Kazakh
letter, controls shown, attachments with SHA-256 and size, the record's provenance, skip
logic honoured, retracted cases refused, and the CLI writing only to --out with a warning."""

from __future__ import annotations

import hashlib
import os
import subprocess
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from intake_app.cases.store import CaseStore
from intake_app.errors import IntakeError
from intake_app.reports.dossier import (
    CaseRetracted,
    display_fingerprint,
    grouped_hash,
    write_dossier,
)
from intake_app.vault import Vault

PASSPHRASE = "dossier test passphrase, long"
KAZAKH = "ә ғ қ ң ө ұ ү һ і Ә Ғ Қ Ң Ө Ұ Ү Һ І"
NARRATIVE = f"Мені ұрды. {KAZAKH}. Меня били.\u202eevil\u202c, bell\x07 — конец."
WHEN = datetime(2024, 2, 3, 4, 5, tzinfo=UTC)
ORDER = {  # the part headings, in Istanbul Protocol order
    "en": ["1. Background", "2. Allegations", "3. Episodes", "4. Medical and psychological",
           "5. Legal representation", "6. Complaint and investigation", "7. Protection",
           "8. Red flags", "Follow-up tasks", "Attachments", "The record"],
    "ru": ["1. Общие сведения", "2. Заявленные факты", "3. Эпизоды", "4. Медицинские",
           "5. Юридическая помощь", "6. Жалоба и расследование", "7. Защита",
           "8. Тревожные признаки", "Дальнейшие действия", "Вложения", "Сведения о записи"],
    "kk": ["1. Жалпы мәліметтер", "2. Мәлімделген жағдайлар", "3. Қатыгез", "4. Медициналық",
           "5. Заң көмегі", "6. Шағым және тергеу", "7. Қорғау", "8. Қауіп белгілері",
           "Келесі әрекеттер", "Тіркемелер", "Жазба туралы мәліметтер"],
}  # fmt: skip
WORDS = {  # option labels and check words from the protocol, in each language
    "en": ["Police", "Not done", "Done", "Uralsk", "Lawyer did not identify themselves"],
    "ru": ["Полиция", "Не проведено", "Проведено", "Уральск"],
    "kk": ["Полиция", "Жүргізілмеді", "Жүргізілді", "Орал"],
}


def pdftotext(path: Path) -> str:
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True,
                         capture_output=True)  # fmt: skip
    return " ".join(out.stdout.decode("utf-8").split())


def rich_answers() -> dict:
    def uid() -> str:
        return str(uuid.uuid4())

    return {
        "consent.interview": "yes",
        "consent.share.lawyer": "named",
        "victim.full_name": "Қайрат Әлібеков",
        "victim.pseudonym": "URA-00007",
        "victim.sex": "male",
        "victim.age_at_incident": 34,
        "victim.citizenship": "KZ",
        "incident.date": "2022-01-06",
        "incident.city": {"text": "Орал"},
        "incident.narrative": NARRATIVE,
        "episodes": [{
            "_id": uid(), "place": "kz.detention.ivs", "date": "2022-01-07",
            "methods": ["beating", "asphyxiation"], "injuries": ["haematoma"],
            "perpetrators": [{"_id": uid(), "agency": "police", "role": "direct",
                              "person": {"description": "в масках"}}],
        }],
        "lawyer.type": "state_appointed",
        "lawyer.identified": "no",
        "minor.legal_rep_present": "no",  # left behind: hidden for an adult, never printed
        "fme.requested": "yes",
        "fme.conducted": {"status": "done", "date": "2022-01-21", "by": "СМЭ №3"},
        "fppe.conducted": "no",
        "complaint.filed": "yes",
        "complaint.register": "kui",
        "investigation.status": "terminated",
        "evidence.followup": [{"_id": uid(), "task": "appeal_termination", "due": "2022-03-01",
                               "state": "open", "note": "срочно"}],
    }  # fmt: skip


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("dossier") / "vault"
    vault = Vault.create(folder, PASSPHRASE, name="Lawyer", role="lawyer")
    store = CaseStore(vault)
    case_id = store.new_case(rich_answers())
    photo = folder.parent / "фото побоев.jpg"
    photo.write_bytes(b"\xff\xd8\xff\xe0" + bytes(range(256)) * 40)
    rev_id, entry = store.attach(case_id, photo)
    yield store, case_id, rev_id, entry, photo
    vault.close()


@pytest.mark.parametrize("lang", ["en", "ru", "kk"])
def test_dossier_in_each_language(case, tmp_path, lang):
    store, case_id, rev_id, entry, photo = case
    out = tmp_path / f"dossier-{lang}.pdf"
    pages = write_dossier(store, case_id, out, lang, generated_at=WHEN)
    assert pages >= 2 and out.stat().st_mode & 0o777 == 0o600
    text = pdftotext(out)
    positions = [text.find(h) for h in ORDER[lang]]
    assert all(p >= 0 for p in positions), dict(zip(ORDER[lang], positions, strict=True))
    assert positions == sorted(positions), "parts out of Istanbul Protocol order"
    for word in WORDS[lang]:
        assert word in text, word
    assert KAZAKH in text  # every Kazakh letter, both cases, from the embedded font
    assert "⟨U+202E⟩evil⟨U+202C⟩" in text and "⟨U+0007⟩" in text
    assert "\u202e" not in text
    assert "2022-01-21" in text  # FME checklist with its date
    # Table cells of one row interleave in extracted text: look for each group of 8.
    assert all(part in text for part in grouped_hash(entry["sha256"]).split())
    assert photo.name in text
    assert f"{photo.stat().st_size:,}".replace(",", "\u202f") in text.replace(" ", "\u202f")
    assert grouped_hash(rev_id) in text
    assert display_fingerprint(store.vault.identity.fingerprint) in text
    assert "2024-02-03 04:05 UTC" in text


def test_hidden_answers_are_not_printed(case, tmp_path):
    store, case_id, *_ = case
    out = tmp_path / "d.pdf"
    write_dossier(store, case_id, out, "en", generated_at=WHEN)
    text = pdftotext(out)
    assert "Minors" not in text  # the adult's left-behind minors answer stays out
    assert "Forensic medical examination" in text


def test_pdf_metadata_is_only_a_generic_title(case, tmp_path):
    store, case_id, *_ = case
    out = tmp_path / "d.pdf"
    write_dossier(store, case_id, out, "ru", generated_at=WHEN)
    info = subprocess.run(["pdfinfo", str(out)], check=True, capture_output=True, text=True)
    assert "Title:" in info.stdout and "Досье по делу" in info.stdout
    for leak in ("URA-00007", "Әлібеков", case_id, "Author:", "Producer:", "CreationDate:"):
        assert leak not in info.stdout


def test_dossier_is_deterministic_for_the_same_state(case, tmp_path):
    store, case_id, *_ = case
    first, second = tmp_path / "1.pdf", tmp_path / "2.pdf"
    write_dossier(store, case_id, first, "kk", generated_at=WHEN)
    write_dossier(store, case_id, second, "kk", generated_at=WHEN)
    assert hashlib.sha256(first.read_bytes()).digest() == \
        hashlib.sha256(second.read_bytes()).digest()  # fmt: skip


def test_conflict_is_said_in_the_dossier(tmp_path):
    vault = Vault.create(tmp_path / "v", PASSPHRASE, name="C", role="coordinator")
    try:
        store = CaseStore(vault)
        answers = rich_answers()
        case_id = store.new_case(answers)
        root = store.history(case_id)[0].id
        store.save(case_id, {**answers, "victim.age_at_incident": 35})
        store.save(case_id, {**answers, "victim.age_at_incident": 36}, base=root)
        out = tmp_path / "c.pdf"
        write_dossier(store, case_id, out, "en", generated_at=WHEN)
    finally:
        vault.close()
    assert "2 versions in conflict" in pdftotext(out)


def test_retracted_case_is_refused_and_nothing_written(tmp_path):
    vault = Vault.create(tmp_path / "v", PASSPHRASE, name="C", role="coordinator")
    try:
        store = CaseStore(vault)
        case_id = store.new_case(rich_answers())
        with vault.write() as conn:
            # Retraction is its own issue; the index flag it sets already exists.
            conn.execute("UPDATE case_index SET retracted = 1 WHERE case_id = ?", (case_id,))
        out = tmp_path / "r.pdf"
        with pytest.raises(CaseRetracted, match="retracted"):
            write_dossier(store, case_id, out, "ru")
    finally:
        vault.close()
    assert not out.exists() and sorted(os.listdir(tmp_path)) == ["v"]


def test_unknown_language_is_refused(case, tmp_path):
    store, case_id, *_ = case
    with pytest.raises(IntakeError, match="language"):
        write_dossier(store, case_id, tmp_path / "x.pdf", "de")
    assert not (tmp_path / "x.pdf").exists()


# -- the CLI -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cli_case(tmp_path_factory: pytest.TempPathFactory):
    """A vault made in process and closed, for the CLI (another process) to open."""
    folder = tmp_path_factory.mktemp("cli") / "vault"
    vault = Vault.create(folder, PASSPHRASE, name="Lawyer", role="lawyer")
    try:
        case_id = CaseStore(vault).new_case(rich_answers())
    finally:
        vault.close()
    secret = folder.parent / "pass.txt"
    secret.write_text(PASSPHRASE + "\n", encoding="utf-8")
    return ["--vault", folder, "--passphrase-file", secret], case_id


def test_cli_dossier_warns_and_writes_only_out(run_cli, cli_case, tmp_path):
    common, case_id = cli_case
    outdir = tmp_path / "out"
    outdir.mkdir()
    result = run_cli([*common, "dossier", case_id, "--out", outdir / "d.pdf", "--lang", "kk"])
    assert result.returncode == 0, result.stderr
    assert "plaintext" in result.stderr and result.stderr.count("\n") == 1
    assert os.listdir(outdir) == ["d.pdf"]
    assert "Іс бойынша досье" in pdftotext(outdir / "d.pdf")


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (["dossier", "not-a-uuid", "--out", "X"], 1, "is not a case id"),
        (["dossier", str(uuid.uuid4()), "--out", "X"], 1, "no case"),
        (["dossier", "CASE", "--out", "X", "--lang", "de"], 2, "invalid choice"),
        (["dossier", "CASE", "--out", "/nonexistent-h11/x.pdf"], 2, "does not exist"),
    ],
)
def test_cli_dossier_refusals(run_cli, cli_case, tmp_path, args, code, words):
    common, case_id = cli_case
    args = [case_id if a == "CASE" else a for a in args]
    args = [tmp_path / "x.pdf" if a == "X" else a for a in args]
    result = run_cli([*common, *args])
    assert result.returncode == code, result.stderr
    assert words in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "x.pdf").exists()
