"""The first real user, end to end: two monitors and a coordinator, each in their own vault,
driving `intake-app` in subprocesses exactly as the README tells people to.

One module fixture builds the shared start (init, cards exchanged and trusted, demo cases in
both monitors, a hand-written Russian/Kazakh case with a JPEG, export, verify, import with a
receipt, the receipt imported back). Tests that only read use it as is; tests that change
something work on copies of the vault folders (a copy is the same device, which is what
those tests need). Every command must either work or fail with one clear line.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image

REPO = Path(__file__).resolve().parents[2]
PASSPHRASES = {"m1": "first monitor passphrase", "m2": "second monitor passphrase",
               "co": "coordinator passphrase"}  # fmt: skip
NAMES = {"m1": "Aigerim Uralsk", "m2": "Second monitor", "co": "Coalition coordinator"}
ROLES = {"m1": "monitor", "m2": "monitor", "co": "coordinator"}
DEMO_CASES = 30
# Blocks Qt before the CLI runs: the commands must work on a machine without the GUI.
_NO_QT_MAIN = (
    "import sys\n"
    "for name in ('PySide6', 'shiboken6', 'ui'):\n"
    "    sys.modules[name] = None\n"
    "from intake_app.cli.main import main\n"
    "sys.exit(main(sys.argv[1:]))\n"
)
HAND_CASE = {
    "answers": {
        "consent.interview": "yes",
        "consent.share.coalition": "named",
        "victim.full_name": "Әлия Қанатқызы Нұрланова",
        "victim.pseudonym": "Ә-01",
        "victim.sex": "female",
        "victim.age_at_incident": 17,
        "victim.citizenship": "KZ",
        "incident.date": "2022-01-06",
        "incident.city": "kz.city.uralsk",
        "incident.narrative": (
            "Задержана на площади, избита в ИВС дубинкой. Полицейлер ұрып-соқты, қорқытты."
        ),
        "fme.conducted": "no",
        "lawyer.type": "state_appointed",
        "lawyer.identified": "no",
        "minor.legal_rep_present": "no",
        "complaint.filed": "yes",
        "complaint.register": "kui",
        "investigation.status": "terminated",
    }
}

pytestmark = pytest.mark.skipif(
    not all(shutil.which(t) for t in ("age", "minisign", "tar", "unzip", "pdftotext")),
    reason="age/minisign/tar/unzip/pdftotext missing",
)


@dataclass
class Journey:
    root: Path
    case_id: str = ""
    bundle_m1: Path = Path()
    bundle_m2: Path = Path()
    seq_m2: int = 0
    import_json: dict | None = None
    receipt_import_out: str = ""

    def vault(self, who: str) -> Path:
        return self.root / who

    def pfile(self, who: str) -> Path:
        return self.root / f"{who}.pass"

    def run(self, who: str, *args: object, code: int = 0, vault: Path | None = None,
            pfile: Path | None = None) -> subprocess.CompletedProcess[str]:
        """`intake-app --vault V --passphrase-file P ARGS` as `who`; checks the exit code
        and that a failure is one line on stderr, never a traceback."""
        env = dict(os.environ)
        env.update({
            "INTAKE_TEST_FAST_KDF": "1",
            "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
            "PYTHONPATH": str(REPO),
            "XDG_DATA_HOME": str(self.root / "xdg"),
            "HOME": str(self.root / "home"),
        })  # fmt: skip
        env.setdefault("PYTEST_CURRENT_TEST", "journey")
        env.pop("INTAKE_VAULT", None)
        cmd = [sys.executable, "-c", _NO_QT_MAIN, "--vault", str(vault or self.vault(who)),
               "--passphrase-file", str(pfile or self.pfile(who)), *map(str, args)]  # fmt: skip
        result = subprocess.run(cmd, capture_output=True, text=True, encoding="utf-8",
                                env=env, cwd=self.root, stdin=subprocess.DEVNULL,
                                timeout=120)  # fmt: skip
        assert result.returncode == code, (args, result.stdout, result.stderr)
        assert "Traceback" not in result.stderr, result.stderr
        if code != 0:
            lines = result.stderr.strip().splitlines()
            assert len(lines) == 1 and lines[0].startswith("intake-app: "), result.stderr
        return result

    def json(self, who: str, *args: object) -> object:
        return json.loads(self.run(who, *args).stdout)


def _jpeg(path: Path) -> Path:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (180, 40, 40)).save(buffer, "JPEG")
    path.write_bytes(buffer.getvalue())
    return path


def _tool(*cmd: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    result = subprocess.run(list(cmd), input=stdin, capture_output=True, timeout=60)
    assert result.returncode == 0, (cmd, result.stderr)
    return result


@pytest.fixture(scope="module")
def journey(tmp_path_factory: pytest.TempPathFactory) -> Journey:
    j = Journey(tmp_path_factory.mktemp("journey"))
    (j.root / "home").mkdir()
    for who, secret in PASSPHRASES.items():
        j.pfile(who).write_text(secret + "\n", encoding="utf-8")
        out = j.run(who, "init", "--name", NAMES[who], "--role", ROLES[who]).stdout
        assert "Fingerprint:" in out
        j.run(who, "identity", "card", "--out", j.root / f"{who}.card")
    j.run("co", "trust", "add", j.root / "m1.card")
    j.run("co", "trust", "add", j.root / "m2.card")
    for monitor in ("m1", "m2"):
        j.run(monitor, "trust", "add", j.root / "co.card")
        # Same count and no --seed in both monitors, as a person trying it would type.
        assert f"Added {DEMO_CASES} demo cases" in j.run(
            monitor, "demo", "--cases", DEMO_CASES).stdout
    case_file = j.root / "case.json"
    case_file.write_text(json.dumps(HAND_CASE, ensure_ascii=False), encoding="utf-8")
    j.case_id = j.run("m1", "case", "new", "--json", case_file).stdout.strip()
    assert "Attached photo.jpg" in j.run(
        "m1", "case", "attach", j.case_id, _jpeg(j.root / "photo.jpg")).stdout
    j.bundle_m1, j.bundle_m2 = j.root / "m1-first.intake", j.root / "m2-first.intake"
    out = j.run("m1", "export", "--to", NAMES["co"], "--out", j.bundle_m1).stdout
    assert f"{DEMO_CASES + 2} revision(s) of {DEMO_CASES + 1} case(s), 1 attachment(s)" in out
    out = j.run("m2", "export", "--to", j.root / "co.card", "--out", j.bundle_m2).stdout
    j.seq_m2 = int(re.search(r"Sequence (\d+);", out).group(1))

    verified = j.run("co", "verify", j.bundle_m1).stdout
    assert f"Signed by: {NAMES['m1']}" in verified and "Status: trusted" in verified
    result = j.run("co", "import", j.bundle_m1, "--json", "--receipt", j.root / "r1.intake")
    j.import_json = json.loads(result.stdout)
    assert "Receipt written" in result.stderr
    j.run("co", "import", j.bundle_m2, "--receipt", j.root / "r2.intake")
    j.run("m1", "verify", j.root / "r1.intake")
    j.receipt_import_out = j.run("m1", "import", j.root / "r1.intake").stdout
    return j


def test_coordinator_imports_both_monitors_without_false_conflicts(journey):
    j = journey
    assert j.import_json["new_revisions"] == DEMO_CASES + 2
    assert j.import_json["attachments"] == 1 and j.import_json["conflicts"] == []
    listed = j.json("co", "case", "list", "--json")
    # Two monitors running the same demo command must not invent the same case ids: the
    # coordinator would see every demo case in conflict between two authors.
    assert len(listed) == 2 * DEMO_CASES + 1
    assert not any(c["conflict"] for c in listed)
    again = j.run("co", "import", j.bundle_m1).stdout
    assert again.startswith("Already imported") and "nothing was changed" in again


def test_receipt_tells_the_monitor_what_arrived(journey):
    j = journey
    assert "Receipts received: 1" in j.receipt_import_out
    co_fp = j.json("co", "identity", "show", "--json")["fingerprint"]
    assert j.json("m1", "case", "show", j.case_id, "--json")["delivered_to"] == [co_fp]


def test_case_show_list_and_search_in_russian_and_kazakh(journey):
    j = journey
    shown = j.json("co", "case", "show", j.case_id, "--json")
    assert shown["answers"] == HAND_CASE["answers"]  # byte-exact after the trip
    assert shown["red_flags"] == ["complaint_in_kui_not_erdr", "fme_not_conducted",
                                  "lawyer_not_identified", "minor_no_legal_rep"]  # fmt: skip
    assert [a["name"] for a in shown["attachments"]] == ["photo.jpg"]
    listed = {c["id"]: c for c in j.json("co", "case", "list", "--json")}
    assert listed[j.case_id]["pseudonym"] == "Ә-01"
    assert "Әлия" not in j.run("co", "case", "list").stdout  # lists show pseudonyms only
    for word in ("ұрып-соқты", "Полицейлер", "дубинкой"):
        found = [c["id"] for c in j.json("co", "search", word, "--json")]
        assert j.case_id in found, word
    assert [c["id"] for c in j.json("co", "search", "ұрып-соқты", "--json")] == [j.case_id]


def test_stats_json_csv_and_the_human_summary(journey):
    j = journey
    stats = j.json("co", "stats", "--json")
    assert stats["cases"] == 2 * DEMO_CASES + 1
    assert sum(stats["by_sex"].values()) == stats["cases"]
    assert stats["by_city"]["kz.city.uralsk"]["cases"] >= 1
    assert stats["place_names"]["kz.city.uralsk"] == {"en": "Uralsk", "kk": "Орал",
                                                      "ru": "Уральск"}  # fmt: skip
    csv_path = j.root / "stats.csv"
    j.run("co", "stats", "--csv", csv_path)
    text = csv_path.read_text(encoding="utf-8-sig")
    assert text.startswith("table,key,name_en,name_ru,name_kk,count")
    assert f"overview,cases,,,,{stats['cases']}" in text and "<5" in text
    summary = j.run("co", "stats").stdout
    assert f"FME not conducted: {stats['fme_not_conducted']}" in summary
    assert f"KUI only: {stats['kui_only']}" in summary and "Fme " not in summary


def test_dossier_in_kazakh_and_forms_in_russian(journey):
    j = journey
    dossier, forms = j.root / "d.pdf", j.root / "f.pdf"
    result = j.run("co", "dossier", j.case_id, "--out", dossier, "--lang", "kk")
    assert "plaintext copy" in result.stderr
    text = _tool("pdftotext", str(dossier), "-").stdout.decode()
    assert "Іс бойынша досье" in text and "Әлия Қанатқызы Нұрланова" in text
    assert "ұрып-соқты" in text
    j.run("co", "forms", "--out", forms, "--lang", "ru")
    assert "Информированное согласие" in _tool("pdftotext", str(forms), "-").stdout.decode()
    assert oct(dossier.stat().st_mode & 0o777) == "0o600"


def test_bundle_checked_and_opened_with_standard_tools_only(journey):
    j = journey
    work = j.root / "by-hand"
    work.mkdir()
    listing = _tool("unzip", "-Z1", str(j.bundle_m1)).stdout.decode().split()
    assert listing == ["payload.age", "payload.age.minisig"]
    _tool("unzip", "-q", str(j.bundle_m1), "-d", str(work))
    key = j.json("m1", "identity", "show", "--json")["minisign_public_key"]
    checked = _tool("minisign", "-Vm", str(work / "payload.age"), "-P", key).stdout.decode()
    assert re.search(r"Trusted comment: intake-bundle-v1 id=[0-9a-f]{32} seq=\d+$",
                     checked.strip())  # fmt: skip
    secret = j.root / "co.key"
    j.run("co", "identity", "export-secret", "--out", secret, "--plaintext")
    payload = _tool("age", "-d", "-i", str(secret), str(work / "payload.age")).stdout
    names = _tool("tar", "-tvf", "-", stdin=payload).stdout.decode().splitlines()
    assert names[0].split()[-1] == "manifest.json" and " 0/0 " in names[0]
    assert names[1].split()[-1] == "manifest.json.minisig"
    assert any("/blobs/" in f"/{n.split()[-1]}" for n in names)
    # A monitor's key does not open the other monitor's bundle; verify says who is unknown.
    j.run("m1", "verify", j.bundle_m2, code=4)


def test_audit_backup_restore_and_passwd(journey, tmp_path):
    j = journey
    assert "intact" in j.run("m1", "audit", "verify").stdout
    backup = tmp_path / "m1.backup"
    j.run("m1", "backup", "--out", backup)
    restored = tmp_path / "restored"
    j.run("m1", "restore", backup, vault=restored)
    ids = sorted(c["id"] for c in j.json("m1", "case", "list", "--json"))
    listed = j.run("m1", "case", "list", "--json", vault=restored).stdout
    assert sorted(c["id"] for c in json.loads(listed)) == ids
    change = tmp_path / "change.pass"
    change.write_text(PASSPHRASES["m1"] + "\na new passphrase for m1\n", encoding="utf-8")
    j.run("m1", "passwd", vault=restored, pfile=change)
    j.run("m1", "audit", "verify", vault=restored, code=3)  # the old passphrase
    new = tmp_path / "new.pass"
    new.write_text("a new passphrase for m1\n", encoding="utf-8")
    assert "intact" in j.run("m1", "audit", "verify", vault=restored, pfile=new).stdout


def _copies(j: Journey, tmp_path: Path, *who: str) -> Journey:
    """A journey over copies of these vaults (same devices), so the test may change them."""
    copy = Journey(tmp_path, case_id=j.case_id, seq_m2=j.seq_m2)
    (tmp_path / "home").mkdir()
    for name in who:
        shutil.copytree(j.vault(name), copy.vault(name))
        shutil.copy(j.pfile(name), copy.pfile(name))
    return copy


def test_concurrent_edit_conflict_resolved_and_sent_back(journey, tmp_path):
    j = _copies(journey, tmp_path, "m1", "co")
    j.run("m1", "case", "attach", j.case_id, _jpeg(tmp_path / "monitor.jpg"))
    j.run("co", "case", "attach", j.case_id, _jpeg(tmp_path / "coordinator.jpg"))
    j.run("m1", "export", "--to", NAMES["co"], "--out", tmp_path / "m1-second.intake")
    result = json.loads(j.run("co", "import", tmp_path / "m1-second.intake", "--json").stdout)
    assert result["conflicts"] == [j.case_id]
    shown = j.json("co", "case", "show", j.case_id, "--json")
    assert shown["conflict"] is True and len(shown["heads"]) == 2
    m1_fp = j.json("m1", "identity", "show", "--json")["fingerprint"]
    mine = next(h for h in shown["history"] if h["id"] in shown["heads"]
                and h["author"] == m1_fp)  # fmt: skip
    resolution = j.run("co", "case", "resolve", j.case_id, "--take", mine["id"]).stdout.strip()
    after = j.json("co", "case", "show", j.case_id, "--json")
    assert after["conflict"] is False and after["heads"] == [resolution]
    assert sorted(shown["heads"]) == sorted(
        next(h for h in after["history"] if h["id"] == resolution)["parents"])
    # The resolution travels back; the coordinator's receipt to m2 left a gap in the numbers
    # m1 sees, which is said as such, not as a lost bundle.
    j.run("co", "export", "--to", m1_fp, "--case", j.case_id, "--out", tmp_path / "back.intake")
    out = j.run("m1", "import", tmp_path / "back.intake").stdout
    assert "Not seen here from" in out and "other recipients" in out
    assert j.json("m1", "case", "show", j.case_id, "--json")["heads"] == [resolution]


def test_retraction_travels_and_erases_at_the_coordinator(journey, tmp_path):
    j = _copies(journey, tmp_path, "m1", "co")
    j.run("m1", "case", "retract", j.case_id, code=2)  # no terminal, no --yes: nothing done
    assert j.json("m1", "case", "show", j.case_id, "--json")["retracted"] is False
    j.run("m1", "case", "retract", j.case_id, "--yes")
    j.run("m1", "export", "--to", NAMES["co"], "--out", tmp_path / "t.intake")
    out = j.run("co", "import", tmp_path / "t.intake").stdout
    assert "Withdrawals received: 1" in out and "lack of consent" not in out
    shown = j.json("co", "case", "show", j.case_id, "--json")
    assert shown["retracted"] is True and shown["answers"] == {} and shown["attachments"] == []
    assert j.run("co", "search", "ұрып-соқты").stdout.strip() == "No cases."
    assert j.json("co", "stats", "--json")["cases"] == 2 * DEMO_CASES
    j.run("co", "dossier", j.case_id, "--out", tmp_path / "x.pdf", code=1)
    assert not (tmp_path / "x.pdf").exists()


def test_revoked_monitor_later_bundle_refused(journey, tmp_path):
    j = _copies(journey, tmp_path, "m2", "co")
    m2_fp = j.json("m2", "identity", "show", "--json")["fingerprint"]
    out = j.run("co", "trust", "revoke", m2_fp, "--last-seq", j.seq_m2).stdout
    assert "Revoked" in out
    assert "REVOKED" in j.run("co", "trust", "list").stdout
    first = j.json("m2", "case", "list", "--json")[0]["id"]
    j.run("m2", "case", "attach", first, _jpeg(tmp_path / "late.jpg"))
    j.run("m2", "export", "--to", NAMES["co"], "--out", tmp_path / "late.intake")
    before = j.json("co", "case", "show", first, "--json")
    refused = j.run("co", "import", tmp_path / "late.intake", code=4)
    assert "revoked" in refused.stderr
    j.run("co", "verify", tmp_path / "late.intake", code=4)
    assert j.json("co", "case", "show", first, "--json") == before


def test_listing_the_commands_loads_no_pdf_or_image_library():
    # Every command module is imported at every start (ARCHITECTURE): the PDF library and
    # the bundle machinery made each command, even `identity show`, a second slower.
    code = (
        "import sys\n"
        "from intake_app.cli.main import build_parser\n"
        "build_parser()\n"
        "print(sorted(m for m in ('fpdf', 'PIL', 'intake_app.bundles.export',"
        " 'intake_app.bundles.importer', 'intake_app.reports.dossier') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=REPO, timeout=60, check=True).stdout  # fmt: skip
    assert out.strip() == "[]"


def test_language_choices_of_the_commands_match_the_reports():
    from intake_app.cli.commands import forms_cmds, report_cmds
    from intake_app.reports import dossier, forms

    assert set(report_cmds.LANGS) == set(dossier.LANGS)
    assert (set(forms_cmds.LANGS), forms_cmds.PARTS) == (set(forms.LANGS), forms.PARTS)
