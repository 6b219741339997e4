"""The packaged application (dist/field-intake/), run the way a monitor runs it.

A build takes minutes, so these tests run only with INTAKE_TEST_PACKAGING=1 (`./dev test` sets
it). They reuse dist/ when it was built from a commit whose packaged files (intake_app, ui,
resources, packaging, pyproject.toml) equal HEAD's, and run packaging/build otherwise: once per
checkout, whichever test worker gets there first (a lock in dist/).

Every run of the launcher gets a clean environment, like `env -i`: PATH=/usr/bin:/bin, an empty
HOME, no INTAKE_VAULT, no virtual environment, no PYTHONPATH. Real Argon2 parameters: the fast
test KDF is deliberately not set, so the vault the package creates is a production vault.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import tarfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DIST = ROOT / "dist"
APP = DIST / "field-intake"
LAUNCHER = APP / "field-intake"
PACKAGED_PATHS = ["intake_app", "ui", "resources", "packaging", "pyproject.toml"]
PASSPHRASE = "correct horse battery staple — қазақ"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        os.environ.get("INTAKE_TEST_PACKAGING") != "1",
        reason="builds the package (minutes); set INTAKE_TEST_PACKAGING=1",
    ),
]


def _build_info() -> dict[str, str]:
    info = APP / "BUILD-INFO.txt"
    if not info.is_file():
        return {}
    pairs = (line.split(" ", 1) for line in info.read_text().splitlines() if " " in line)
    return dict(pairs)


def _is_fresh() -> bool:
    commit = _build_info().get("commit", "")
    if not re.fullmatch(r"[0-9a-f]{40}", commit) or not LAUNCHER.is_file():
        return False  # missing, or a --worktree build that no commit describes
    if not any(DIST.glob("field-intake-*-linux-x86_64.tar.gz.minisig")):
        return False  # a build whose signing failed leaves no archive
    same = subprocess.run(["git", "diff", "--quiet", commit, "HEAD", "--", *PACKAGED_PATHS],
                          cwd=ROOT, capture_output=True)
    return same.returncode == 0


@pytest.fixture(scope="module")
def launcher() -> Iterator[Path]:
    # Whoever holds the lock exclusively checks and builds; the others wait, then find dist/
    # fresh. It is held shared while the tests read dist/, so a second test run of this
    # checkout cannot rebuild it under them. (xdist's xdist_group marker, which was to keep
    # these tests in one worker, does nothing with pytest >= 9.2: two workers each built.)
    DIST.mkdir(exist_ok=True)
    with open(DIST / ".packaging-tests.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not _is_fresh():
            subprocess.run([str(ROOT / "packaging" / "build")], cwd=ROOT, check=True,
                           timeout=1800, env={k: v for k, v in os.environ.items()
                                              if not k.startswith("MINISIGN_")})
        fcntl.flock(lock, fcntl.LOCK_SH)
        assert LAUNCHER.is_file() and os.access(LAUNCHER, os.X_OK)
        yield LAUNCHER


@pytest.fixture()
def home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    return home


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    return {"PATH": "/usr/bin:/bin", "HOME": str(home), **extra}


def run(launcher: Path, home: Path, *args: str,
        timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([str(launcher), *args], env=clean_env(home), cwd=home,
                          capture_output=True, text=True, timeout=timeout)


def ok(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, f"exit {result.returncode}: {result.stderr}"
    assert "Traceback" not in result.stderr
    return result.stdout


def version() -> str:
    text = (ROOT / "intake_app" / "__init__.py").read_text()
    found = re.search(r'^__version__ = "(.+)"$', text, re.M)
    assert found
    return found.group(1)


def test_version_runs_with_nothing_but_the_folder(launcher: Path, home: Path) -> None:
    out = ok(run(launcher, home, "--version"))
    assert out.strip() == f"intake-app {version()}"
    assert list(home.iterdir()) == []  # --version writes nothing anywhere


def test_unknown_command_is_a_usage_error_without_traceback(launcher: Path, home: Path) -> None:
    result = run(launcher, home, "no-such-command")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def _vault(launcher: Path, home: Path, name: str, role: str) -> list[str]:
    passfile = home / f"{name}.pass"
    passfile.write_text(PASSPHRASE + "\n", encoding="utf-8")
    opts = ["--vault", str(home / name), "--passphrase-file", str(passfile)]
    ok(run(launcher, home, *opts, "init", "--name", name, "--role", role))
    return opts


def test_init_case_new_and_list(launcher: Path, home: Path) -> None:
    opts = _vault(launcher, home, "monitor", "monitor")
    assert (home / "monitor" / "vault.db").is_file()
    assert oct((home / "monitor").stat().st_mode & 0o777) == "0o700"
    case = home / "case.json"
    case.write_text(json.dumps({"answers": {"victim.pseudonym": "Әлия-қ 1",
                                            "victim.sex": "female"}}, ensure_ascii=False),
                    encoding="utf-8")
    case_id = ok(run(launcher, home, *opts, "case", "new", "--json", str(case))).strip()
    listed = json.loads(ok(run(launcher, home, *opts, "case", "list", "--json")))
    assert [(c["id"], c["pseudonym"]) for c in listed] == [(case_id, "Әлия-қ 1")]
    # The plaintext never reaches the database file.
    assert "Әлия".encode() not in (home / "monitor" / "vault.db").read_bytes()


def test_wrong_passphrase_exit_3(launcher: Path, home: Path) -> None:
    opts = _vault(launcher, home, "monitor", "monitor")
    (home / "wrong.pass").write_text("not the passphrase\n")
    result = run(launcher, home, opts[0], opts[1], "--passphrase-file", str(home / "wrong.pass"),
                 "case", "list")
    assert result.returncode == 3
    assert "Traceback" not in result.stderr


def test_export_import_between_two_vaults(launcher: Path, home: Path) -> None:
    monitor = _vault(launcher, home, "monitor", "monitor")
    coordinator = _vault(launcher, home, "coordinator", "coordinator")
    for opts, card in ((monitor, "monitor.card"), (coordinator, "coordinator.card")):
        ok(run(launcher, home, *opts, "identity", "card", "--out", str(home / card)))
    ok(run(launcher, home, *monitor, "trust", "add", str(home / "coordinator.card")))
    ok(run(launcher, home, *coordinator, "trust", "add", str(home / "monitor.card")))
    case = home / "case.json"
    case.write_text(json.dumps({"answers": {"victim.pseudonym": "Ерлан ұ", "victim.sex": "male",
                                            "consent.interview": "yes",
                                            "consent.share.coalition": "named"}},
                               ensure_ascii=False), encoding="utf-8")
    case_id = ok(run(launcher, home, *monitor, "case", "new", "--json", str(case))).strip()
    bundle = home / "out.intake"
    ok(run(launcher, home, *monitor, "export", "--to", str(home / "coordinator.card"),
           "--out", str(bundle)))
    ok(run(launcher, home, *coordinator, "verify", str(bundle)))

    tampered = home / "tampered.intake"
    data = bytearray(bundle.read_bytes())
    data[len(data) // 2] ^= 0x01
    tampered.write_bytes(bytes(data))
    refused = run(launcher, home, *coordinator, "import", str(tampered))
    assert refused.returncode == 4, refused.stderr
    assert "Traceback" not in refused.stderr
    assert json.loads(ok(run(launcher, home, *coordinator, "case", "list", "--json"))) == []

    imported = json.loads(ok(run(launcher, home, *coordinator, "import", str(bundle), "--json")))
    assert imported["new_revisions"] >= 1
    listed = json.loads(ok(run(launcher, home, *coordinator, "case", "list", "--json")))
    assert [(c["id"], c["pseudonym"]) for c in listed] == [(case_id, "Ерлан ұ")]
    again = run(launcher, home, *coordinator, "import", str(bundle))
    assert again.returncode == 0, again.stderr


def test_forms_pdf_has_kazakh_text(launcher: Path, home: Path) -> None:
    # fpdf2 subsets the bundled font through fontTools modules imported by name: a frozen
    # build that missed them fails here, not in the checkout.
    opts = _vault(launcher, home, "monitor", "monitor")
    pdf = home / "forms.pdf"
    ok(run(launcher, home, *opts, "forms", "--out", str(pdf), "--lang", "kk"))
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert any(letter in text for letter in "әғқңөұүһі")


@pytest.fixture()
def xvfb_display(tmp_path: Path) -> Iterator[str]:
    if shutil.which("Xvfb") is None or shutil.which("xwininfo") is None:
        pytest.skip("Xvfb and xwininfo are needed (apt-get install xvfb x11-utils)")
    read_fd, write_fd = os.pipe()
    server = subprocess.Popen(["Xvfb", "-displayfd", str(write_fd), "-screen", "0",
                               "1280x800x24", "-nolisten", "tcp"], pass_fds=(write_fd,),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write_fd)
    with os.fdopen(read_fd) as pipe:
        number = pipe.readline().strip()
    assert number.isdigit(), "Xvfb did not report a display"
    try:
        yield f":{number}"
    finally:
        server.terminate()
        server.wait(timeout=10)


def _window_titles(display: str) -> str:
    return subprocess.run(["xwininfo", "-root", "-tree"], env={"DISPLAY": display,
                          "PATH": "/usr/bin:/bin"}, capture_output=True, text=True).stdout


def test_gui_shows_a_window_under_xvfb(launcher: Path, home: Path, xvfb_display: str) -> None:
    assert '"Field Intake"' not in _window_titles(xvfb_display)
    app = subprocess.Popen([str(launcher)], env=clean_env(home, DISPLAY=xvfb_display),
                           cwd=home, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if '"Field Intake"' in _window_titles(xvfb_display):
                break
            assert app.poll() is None, app.communicate()[1].decode(errors="replace")
            time.sleep(0.2)
        else:
            pytest.fail("no window titled 'Field Intake' within 60 s")
    finally:
        app.kill()
        _, stderr = app.communicate(timeout=10)
    assert b"Traceback" not in stderr
    assert b"Could not load the Qt platform plugin" not in stderr


def test_folder_ships_only_the_qt_parts_it_needs(launcher: Path) -> None:
    files = [p.relative_to(APP).as_posix() for p in APP.rglob("*") if p.is_file()]
    joined = "\n".join(files)
    for needed in ("plugins/platforms/libqxcb.so", "plugins/platforms/libqoffscreen.so",
                   "plugins/imageformats/libqjpeg.so", "libQt6Charts.so.6",
                   "libQt6Network.so.6", "resources/fonts/",
                   "resources/protocols/torture-intake/v1.yaml", "migrations/0001_"):
        assert needed in joined, needed
    for unwanted in ("WebEngine", "libQt6Quick", "libQt6Qml", "Qt3D",
                     "libQt6Pdf", "libQt6Multimedia", "platformthemes/", "libqwayland",
                     "libqgtk3", "_tkinter", "pytest", "hypothesis", "/tls/", "eglfs"):
        assert unwanted.lower() not in joined.lower(), unwanted


def test_desktop_entry_is_valid(launcher: Path) -> None:
    entry = APP / "share" / "applications" / "field-intake.desktop"
    assert entry.is_file()
    assert (APP / "share/icons/hicolor/256x256/apps/field-intake.png").is_file()
    if shutil.which("desktop-file-validate") is None:
        pytest.skip("desktop-file-validate (desktop-file-utils) is not installed")
    result = subprocess.run(["desktop-file-validate", str(entry)], capture_output=True, text=True)
    assert result.returncode == 0 and "error" not in result.stdout, result.stdout


def _archive() -> Path:
    found = sorted(DIST.glob("field-intake-*-linux-x86_64.tar.gz"))
    assert len(found) == 1, found
    return found[0]


def test_archive_is_deterministic_and_holds_the_folder(launcher: Path) -> None:
    epoch = int(_build_info()["source_date_epoch"])
    with tarfile.open(_archive()) as tar:
        members = tar.getmembers()
    names = [m.name for m in members]
    assert names == sorted(names, key=lambda n: n.split("/"))  # depth-first, by name
    assert all(n == "field-intake" or n.startswith("field-intake/") for n in names)
    assert all(m.uid == 0 and m.gid == 0 and m.uname in ("", "root") and m.gname in ("", "root")
               for m in members)
    assert {m.mtime for m in members} == {epoch}
    assert not any(m.mode & 0o022 for m in members)  # nothing group- or world-writable
    # PyInstaller links some Qt libraries from _internal/ into PySide6/Qt/lib: relative links
    # that stay inside the folder, nothing else.
    on_disk = sorted(p.relative_to(DIST).as_posix() for p in APP.rglob("*")
                     if p.is_symlink() or p.is_file())
    assert sorted(m.name for m in members if m.isfile() or m.issym()) == on_disk
    for link in (m for m in members if m.issym()):
        target = (Path("/x") / link.name).parent / link.linkname
        assert not link.linkname.startswith("/"), link.name
        assert os.path.normpath(target).startswith("/x/field-intake/"), link.name
    assert not any(m.islnk() or m.isdev() or m.isfifo() for m in members)
    with open(_archive(), "rb") as raw:
        header = raw.read(10)
    assert header[4:8] == b"\0\0\0\0"  # gzip -n: no timestamp


def test_archive_signature_verifies_and_a_changed_archive_does_not(
        launcher: Path, tmp_path: Path) -> None:
    if shutil.which("minisign") is None:
        pytest.skip("minisign is not installed")
    public = DIST / "THROWAWAY-test-key.pub"
    if not public.is_file():
        pytest.skip("built with a release key; its public half is not in dist/")
    archive = _archive()
    signature = Path(f"{archive}.minisig")
    verified = subprocess.run(["minisign", "-Vm", str(archive), "-x", str(signature),
                               "-p", str(public)], capture_output=True, text=True)
    assert verified.returncode == 0, verified.stderr
    assert f"commit {_build_info()['commit']}" in verified.stdout
    changed = tmp_path / archive.name
    data = bytearray(archive.read_bytes())
    data[-100] ^= 0x01
    changed.write_bytes(bytes(data))
    assert hashlib.sha256(data).digest() != hashlib.sha256(archive.read_bytes()).digest()
    refused = subprocess.run(["minisign", "-Vm", str(changed), "-x", str(signature),
                              "-p", str(public)], capture_output=True, text=True)
    assert refused.returncode != 0


KEYRING_SCRIPT = r"""
printf %s keyring-test-password | gnome-keyring-daemon --unlock --components=secrets >/dev/null
L=$0; V=$1; P=$2
"$L" --vault "$V" --passphrase-file "$P" init --name Keyring >/dev/null || exit 11
"$L" --vault "$V" --passphrase-file "$P" keyring remember || exit 12
"$L" --vault "$V" identity show --json </dev/null >/dev/null || exit 13
"$L" --vault "$V" keyring forget </dev/null || exit 14
if "$L" --vault "$V" identity show </dev/null >/dev/null 2>&1; then exit 15; fi
echo KEYRING-OK
"""


@pytest.mark.keyring
def test_keyring_remember_and_forget_with_real_secret_service(
        launcher: Path, home: Path, tmp_path: Path) -> None:
    # keyring finds its backends through package metadata (entry points); a frozen build that
    # lost keyring's dist-info, or secretstorage/jeepney, would only say "no secure keyring".
    if shutil.which("dbus-run-session") is None or shutil.which("gnome-keyring-daemon") is None:
        pytest.skip("dbus-run-session and gnome-keyring-daemon are needed")
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    passfile = home / "pass"
    passfile.write_text(PASSPHRASE + "\n", encoding="utf-8")
    result = subprocess.run(
        ["dbus-run-session", "--", "sh", "-c", KEYRING_SCRIPT, str(launcher), str(home / "v"),
         str(passfile)],
        env=clean_env(home, XDG_RUNTIME_DIR=str(runtime)), cwd=home, capture_output=True,
        text=True, timeout=180)
    assert result.returncode == 0, f"step {result.returncode}: {result.stderr}"
    assert "KEYRING-OK" in result.stdout
    assert "Traceback" not in result.stderr


def test_demo_cases_in_the_frozen_build(launcher: Path, home: Path) -> None:
    # The demo builder starts `sys.executable -m …` workers in a checkout; in the package
    # sys.executable is this launcher, so it must make the cases in-process instead.
    opts = _vault(launcher, home, "coordinator", "coordinator")
    ok(run(launcher, home, *opts, "demo", "--cases", "12", "--seed", "7", timeout=300))
    listed = json.loads(ok(run(launcher, home, *opts, "case", "list", "--json")))
    assert len(listed) == 12
    stats = json.loads(ok(run(launcher, home, *opts, "stats", "--json")))
    assert stats["cases"] == 12
