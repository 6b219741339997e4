"""Nothing confidential touches the disk in plaintext (DESIGN "Threat model").

A whole session runs in subprocesses whose HOME, TMPDIR and XDG folders all point into one
temporary folder: two vaults made by `init` (the monitor's in the default place), an
interview through CaseStore with autosaved drafts, a case from a JSON file, an attachment,
search, export, verify, import into the coordinator's vault, and a dossier to a chosen path.
Then every file under that folder is searched for the session's markers (a Kazakh/Cyrillic
one and an ASCII one, in UTF-8, UTF-16-LE and UTF-16-BE). The vaults' encrypted files are
scanned too; only the dossier PDF (plaintext by design, asked for by the user) is exempt,
and the scanner is shown to find the markers there.

The inputs the user hands in (the case JSON, the photo, the passphrase file) live outside
the scanned folder: they are the user's own plaintext, not something the application wrote.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from crash_harness import REPO, harness_env

PASSPHRASE = "correct horse battery staple"

pytestmark = pytest.mark.slow

INTERVIEW = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    from intake_app.cases.store import CaseStore
    from intake_app.vault import Vault
    from intake_app.paths import default_vault_dir

    kk, ascii_marker = sys.argv[1], sys.argv[2]
    vault = Vault.open(default_vault_dir(), sys.argv[3])
    store = CaseStore(vault)
    answers = {"victim.pseudonym": "P-scan", "consent.interview": "yes",
               "consent.share.coalition": "named"}
    case_id = store.save_draft(None, answers)
    for word in ("Меня", "избили", kk, ascii_marker):   # autosave on every change
        answers["incident.narrative"] = answers.get("incident.narrative", "") + " " + word
        store.save_draft(case_id, answers)
    answers["victim.full_name"] = kk + " " + ascii_marker
    store.save_draft(case_id, answers)
    store.commit_draft(case_id)
    print(case_id)
    vault.close()
    """
)


def encodings(marker: str) -> list[bytes]:
    return [marker.encode(enc) for enc in ("utf-8", "utf-16-le", "utf-16-be")]


def scan(root: Path, needles: list[bytes], exempt: set[Path]) -> list[str]:
    """Every file under root holding any needle: 'path: encoding of the needle'."""
    found = []
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path.is_symlink() or path in exempt:
            continue
        data = path.read_bytes()
        found += [f"{path.relative_to(root)}: needle {i}" for i, n in enumerate(needles)
                  if n in data]  # fmt: skip
    return found


def test_a_whole_session_leaves_no_plaintext_on_disk(tmp_path: Path, run_cli) -> None:
    home = tmp_path / "home"
    inputs = tmp_path / "inputs"
    for folder in (home, home / "tmp", home / "usb", inputs):
        folder.mkdir(parents=True)
    tag = secrets.token_hex(4)
    kk = f"Қасымжомарт-әғқңөұүһі-{tag}"  # noqa: RUF001 - Kazakh letters on purpose
    ascii_marker = f"ZEBRA{tag.upper()}MARKER"
    env = {
        "HOME": str(home), "TMPDIR": str(home / "tmp"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_CONFIG_HOME": str(home / ".config"), "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_STATE_HOME": str(home / ".local" / "state"),
    }  # fmt: skip
    pfile = inputs / "pass.txt"
    pfile.write_text(PASSPHRASE + "\n")
    coord = home / "coordinator-vault"

    def cli(*args: object, vault: Path | None = None) -> subprocess.CompletedProcess[str]:
        where = ["--vault", vault] if vault else []
        result = run_cli([*where, "--passphrase-file", pfile, *args], env=env)
        assert result.returncode == 0, (args, result.stderr)
        return result

    # Two vaults: the monitor's in the default place, the coordinator's in a chosen one.
    cli("init", "--name", "Monitor")
    cli("init", "--name", "Coordinator", "--role", "coordinator", vault=coord)
    cli("identity", "card", "--out", home / "monitor.card")
    cli("identity", "card", "--out", home / "coord.card", vault=coord)
    cli("trust", "add", home / "coord.card", "--name", "Coord")
    cli("trust", "add", home / "monitor.card", "--name", "Mon", vault=coord)

    # An interview through CaseStore (autosaved drafts, then a revision).
    interview = subprocess.run(
        [sys.executable, "-c", INTERVIEW, kk, ascii_marker, PASSPHRASE], capture_output=True,
        text=True, env=harness_env(env), cwd=REPO, timeout=120,
    )  # fmt: skip
    assert interview.returncode == 0, interview.stderr
    case_one = interview.stdout.strip()

    # A case from a JSON file, with an attachment holding both markers.
    case_file = inputs / "case.json"
    consent = {f"consent.share.{c}": "named" for c in
               ("coalition", "lawyer", "prosecutor", "ombudsman", "un_sr")}  # fmt: skip
    case_file.write_text(json.dumps({"answers": {
        "victim.pseudonym": "P-two", "consent.interview": "yes", **consent,
        "incident.narrative": f"{kk} в ИВС {ascii_marker}"}}, ensure_ascii=False),
        encoding="utf-8")  # fmt: skip
    case_two = cli("case", "new", "--json", case_file).stdout.strip().split()[-1]
    photo = inputs / "photo.txt"
    photo.write_text(f"{kk}\n{ascii_marker}\n" * 100, encoding="utf-8")
    cli("case", "attach", case_two, photo)
    assert case_two in cli("search", kk, "--json").stdout
    assert case_two in cli("search", ascii_marker, "--json").stdout
    cli("case", "show", case_one, "--json")

    # Export to the coordinator, verify and import there; search the coordinator's vault.
    bundle = home / "usb" / "to-coordinator.intake"
    cli("export", "--to", "Coord", "--out", bundle, "--case", case_one, "--case", case_two)
    cli("verify", bundle, vault=coord)
    cli("import", bundle, "--json", vault=coord)
    assert case_two in cli("search", ascii_marker, "--json", vault=coord).stdout

    # A dossier to a chosen path: plaintext by design.
    dossier = home / "out" / "dossier.pdf"
    dossier.parent.mkdir()
    cli("dossier", case_two, "--out", dossier, "--lang", "kk", vault=coord)

    needles = encodings(kk) + encodings(ascii_marker)
    # The scanner finds what is there: the markers are in the dossier's text.
    text = subprocess.run(["pdftotext", dossier, "-"], capture_output=True, text=True).stdout
    assert ascii_marker in text.replace("\n", "")
    leaks = scan(home, needles, exempt={dossier})
    assert leaks == [], leaks
    # And it looked at the files that matter: both vaults, their WALs if any, the bundle.
    scanned = {p.name for p in home.rglob("*") if p.is_file()}
    assert {"vault.db", "header.json", "to-coordinator.intake"} <= scanned
    assert list((home / "tmp").iterdir()) == [], "temporary files left behind"
    assert not list(home.rglob("*.part")), "half-written files left behind"
    assert os.listdir(inputs)  # the inputs stayed where the user put them
