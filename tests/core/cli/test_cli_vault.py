"""The command line's vault and identity commands, exit codes and error lines.

Subprocess runs go through `run_cli`, which blocks PySide6/shiboken6/ui before the CLI loads:
every one of them also proves the commands run without Qt.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from intake_app.cli import main as cli_main
from intake_app.cli.framework import command_group, print_json
from intake_app.vault import Vault
from intake_app.vault.header import DAMAGED_MESSAGE

REPO = Path(__file__).resolve().parents[3]
NAME = "Айгүл Серікқызы 👩🏽‍⚖️ \u05e9\u05dc\u05d5\u05dd"


def _one_error_line(stderr: str) -> str:
    assert "Traceback" not in stderr
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("intake-app: ")
    return lines[0]


def _pw(tmp_path: Path, *lines: str, name: str = "pw.txt") -> Path:
    path = tmp_path / name
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def test_init_and_identity_show_json(run_cli, vault_dir: Path, passphrase_file: Path) -> None:
    init = run_cli(["--vault", vault_dir, "--passphrase-file", passphrase_file, "init",
                    "--name", NAME, "--role", "coordinator"])
    assert init.returncode == 0, init.stderr
    assert init.stderr == ""
    show = run_cli(["--vault", vault_dir, "--passphrase-file", passphrase_file, "identity",
                    "show", "--json"])
    assert show.returncode == 0, show.stderr
    data = json.loads(show.stdout)
    assert data["name"].encode() == NAME.encode()
    assert (data["role"], data["category"]) == ("coordinator", "coalition")
    assert len(data["fingerprint"]) == 32 and data["fingerprint"].isupper()
    assert data["age_recipient"].startswith("age1")
    assert data["minisign_public_key"].startswith("RW")
    assert data["fingerprint_display"].replace(" ", "") == data["fingerprint"]
    assert data["fingerprint_display"] in init.stdout
    assert show.stdout == json.dumps(data, sort_keys=True, ensure_ascii=False, indent=2) + "\n"
    again = run_cli(["--vault", vault_dir, "--passphrase-file", passphrase_file, "identity",
                     "show", "--json"])
    assert again.stdout == show.stdout  # deterministic output
    text = run_cli(["--vault", vault_dir, "--passphrase-file", passphrase_file, "identity",
                    "show"])
    assert data["fingerprint_display"] in text.stdout and NAME in text.stdout


def test_init_refuses_existing_vault(run_cli, cli_vault: Path, passphrase_file: Path) -> None:
    before = (cli_vault / "header.json").read_bytes()
    result = run_cli(["--vault", cli_vault, "--passphrase-file", passphrase_file, "init"])
    assert result.returncode == 1
    assert "already a vault" in _one_error_line(result.stderr)
    assert (cli_vault / "header.json").read_bytes() == before


def test_wrong_passphrase_exit_3_one_line(run_cli, cli_vault: Path, tmp_path: Path) -> None:
    result = run_cli(["--vault", cli_vault, "--passphrase-file", _pw(tmp_path, "nope nope nope"),
                      "identity", "show"])
    assert result.returncode == 3
    assert _one_error_line(result.stderr) == "intake-app: Wrong passphrase."
    assert result.stdout == ""


def test_failed_attempts_noted_at_next_unlock(run_cli, cli_vault: Path, tmp_path: Path,
                                              passphrase_file: Path) -> None:
    bad = _pw(tmp_path, "nope nope nope")
    for _ in range(2):
        assert run_cli(["--vault", cli_vault, "--passphrase-file", bad, "identity",
                        "show"]).returncode == 3
    good = run_cli(["--vault", cli_vault, "--passphrase-file", passphrase_file, "identity",
                    "show"])
    assert good.returncode == 0
    assert "2 failed unlock attempt(s)" in good.stderr


def test_damaged_vault_exit_1_different_message(run_cli, cli_vault: Path,
                                                passphrase_file: Path) -> None:
    db = cli_vault / "vault.db"
    data = bytearray(db.read_bytes())
    data[200:400] = bytes(200)
    db.write_bytes(bytes(data))
    result = run_cli(["--vault", cli_vault, "--passphrase-file", passphrase_file, "identity",
                      "show"])
    assert result.returncode == 1
    line = _one_error_line(result.stderr)
    assert line == f"intake-app: {DAMAGED_MESSAGE}"
    assert "Wrong passphrase" not in line


def test_foreign_folder_and_missing_vault(run_cli, tmp_path: Path, passphrase_file: Path) -> None:
    missing = run_cli(["--vault", tmp_path / "none", "--passphrase-file", passphrase_file,
                       "identity", "show"])
    assert missing.returncode == 1
    assert "There is no vault" in _one_error_line(missing.stderr)
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "vault.db").write_bytes(b"SQLite format 3\x00" + bytes(4080))
    (foreign / "header.json").write_text('{"hello": "world"}')
    result = run_cli(["--vault", foreign, "--passphrase-file", passphrase_file, "identity",
                      "show"])
    assert result.returncode == 1
    assert _one_error_line(result.stderr) == f"intake-app: {DAMAGED_MESSAGE}"


def test_no_passphrase_without_terminal_is_usage_error(run_cli, cli_vault: Path) -> None:
    result = run_cli(["--vault", cli_vault, "identity", "show"])
    assert result.returncode == 2
    assert "--passphrase-file" in _one_error_line(result.stderr)


def test_passphrase_from_stdin_and_crlf_file(run_cli, cli_vault: Path, passphrase: str,
                                             tmp_path: Path) -> None:
    via_stdin = run_cli(["--vault", cli_vault, "--passphrase-file", "-", "identity", "show"],
                        input=passphrase + "\n")
    assert via_stdin.returncode == 0, via_stdin.stderr
    crlf = tmp_path / "crlf.txt"
    crlf.write_bytes(passphrase.encode() + b"\r\n")
    assert run_cli(["--vault", cli_vault, "--passphrase-file", crlf, "identity",
                    "show"]).returncode == 0


@pytest.mark.parametrize("content", [b"\xff\xfe\x00bad", b"", b"\n"])
def test_bad_passphrase_file_is_usage_error(run_cli, cli_vault: Path, tmp_path: Path,
                                            content: bytes) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_bytes(content)
    result = run_cli(["--vault", cli_vault, "--passphrase-file", bad, "identity", "show"])
    assert result.returncode == 2
    _one_error_line(result.stderr)


def test_passwd_with_two_line_file(run_cli, cli_vault: Path, passphrase: str,
                                   tmp_path: Path) -> None:
    new = "жаңа құпия сөз, long enough"
    result = run_cli(["--vault", cli_vault, "--passphrase-file", _pw(tmp_path, passphrase, new),
                      "passwd"])
    assert result.returncode == 0, result.stderr
    old_file = _pw(tmp_path, passphrase, name="old.txt")
    assert run_cli(["--vault", cli_vault, "--passphrase-file", old_file, "identity",
                    "show"]).returncode == 3
    new_file = _pw(tmp_path, new, name="new.txt")
    assert run_cli(["--vault", cli_vault, "--passphrase-file", new_file, "identity",
                    "show"]).returncode == 0


def test_passwd_file_without_second_line(run_cli, cli_vault: Path, passphrase_file: Path) -> None:
    before = (cli_vault / "header.json").read_bytes()
    result = run_cli(["--vault", cli_vault, "--passphrase-file", passphrase_file, "passwd"])
    assert result.returncode == 2
    assert "line 2" in _one_error_line(result.stderr)
    assert (cli_vault / "header.json").read_bytes() == before


def test_audit_verify_ok_then_tampered(run_cli, cli_vault: Path, passphrase: str,
                                       passphrase_file: Path) -> None:
    ok = run_cli(["--vault", cli_vault, "--passphrase-file", passphrase_file, "audit", "verify"])
    assert ok.returncode == 0, ok.stderr
    assert "intact" in ok.stdout
    with Vault.open(cli_vault, passphrase) as v:
        v.conn.execute("DROP TRIGGER audit_no_update")
        v.conn.execute("UPDATE audit SET action = 'vault.nothing' WHERE seq = 1")
    bad = run_cli(["--vault", cli_vault, "--passphrase-file", passphrase_file, "audit",
                   "verify"])
    assert bad.returncode == 1
    assert "audit entry 1 was altered" in _one_error_line(bad.stderr)
    assert "audit entry 1 was altered" in bad.stdout


def test_keyring_remember_refused_with_fail_backend(run_cli, cli_vault: Path,
                                                    passphrase_file: Path) -> None:
    before = (cli_vault / "header.json").read_bytes()
    result = run_cli(["--vault", cli_vault, "--passphrase-file", passphrase_file, "keyring",
                      "remember"])
    assert result.returncode == 1
    assert "No secure system keyring" in _one_error_line(result.stderr)
    assert (cli_vault / "header.json").read_bytes() == before


def test_usage_errors_exit_2(run_cli, tmp_path: Path) -> None:
    assert run_cli(["no-such-command"]).returncode == 2
    assert run_cli(["identity"]).returncode == 2
    assert run_cli(["init", "--role", "admin"]).returncode == 2


def test_version(run_cli) -> None:
    result = run_cli(["--version"])
    assert result.returncode == 0 and result.stdout.startswith("intake-app ")


def test_debug_shows_traceback(run_cli, cli_vault: Path, tmp_path: Path) -> None:
    result = run_cli(["--debug", "--vault", cli_vault, "--passphrase-file",
                      _pw(tmp_path, "nope nope nope"), "identity", "show"])
    assert result.returncode == 3
    assert "Traceback" in result.stderr
    assert result.stderr.rstrip().endswith("intake-app: Wrong passphrase.")


def test_no_subcommand_without_qt_says_so(run_cli) -> None:
    result = run_cli([])
    assert result.returncode == 1
    assert "graphical interface is not available" in _one_error_line(result.stderr)


def test_core_and_cli_import_without_qt() -> None:
    """Every module of intake_app imports with PySide6, shiboken6 and ui made unimportable."""
    script = (
        "import sys, pkgutil, importlib\n"
        "for name in ('PySide6', 'shiboken6', 'ui'):\n"
        "    sys.modules[name] = None\n"
        "import intake_app\n"
        "names = [m.name for m in pkgutil.walk_packages(intake_app.__path__, 'intake_app.')]\n"
        "for name in names:\n"
        "    if name.endswith('.__main__'): continue\n"
        "    importlib.import_module(name)\n"
        "assert not [m for m in sys.modules if m.startswith(('PySide6.', 'shiboken6.'))]\n"
        "print(len(names))\n"
    )
    env = dict(os.environ, PYTHONPATH=str(REPO))
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            env=env, cwd=REPO, timeout=120)
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) > 10


def test_internal_error_is_one_line_without_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], cli_vault: Path,
    passphrase_file: Path
) -> None:
    from intake_app.cli.commands import identity_cmds

    def explode(ctx: object, args: object) -> int:
        raise KeyError("a bug")

    monkeypatch.setattr(identity_cmds, "cmd_identity_show", explode)
    code = cli_main.main(["--vault", str(cli_vault), "--passphrase-file", str(passphrase_file),
                          "identity", "show"])
    err = capsys.readouterr().err
    assert code == 1
    assert _one_error_line(err) == \
        "intake-app: internal error (KeyError); run with --debug for details."


def test_keyring_used_when_remembered_and_no_passphrase_given(
    memory_keyring, capsys: pytest.CaptureFixture[str], cli_vault: Path,  # noqa: ANN001
    passphrase_file: Path
) -> None:
    vault = ["--vault", str(cli_vault)]
    assert cli_main.main([*vault, "--passphrase-file", str(passphrase_file), "keyring",
                          "remember"]) == 0
    assert cli_main.main([*vault, "identity", "show", "--json"]) == 0
    assert json.loads(capsys.readouterr().out.split("\n", 1)[1])["role"] == "monitor"
    assert cli_main.main([*vault, "keyring", "forget"]) == 0
    assert memory_keyring.store == {}
    assert cli_main.main([*vault, "identity", "show"]) == 2  # stdin is not a terminal here


def test_print_json_deterministic(capsys: pytest.CaptureFixture[str]) -> None:
    print_json({"b": 1, "a": {"z": "қ", "y": [2, 1]}})
    assert capsys.readouterr().out == (
        '{\n  "a": {\n    "y": [\n      2,\n      1\n    ],\n    "z": "қ"\n  },\n  "b": 1\n}\n'
    )


def test_command_group_shared_between_modules() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command")
    command_group(sub, "case", "cases").add_parser("new").set_defaults(func="new")
    command_group(sub, "case", "cases").add_parser("attach").set_defaults(func="attach")
    assert parser.parse_args(["case", "attach"]).func == "attach"
    assert parser.parse_args(["case", "new"]).func == "new"


def test_every_command_module_registers(tmp_path: Path) -> None:
    parser = cli_main.build_parser()
    help_text = parser.format_help()
    for command in ("init", "identity", "passwd", "audit", "keyring"):
        assert command in help_text


def test_process_hardening_no_dumps_private_umask() -> None:
    script = (
        "import ctypes, os\n"
        "from intake_app.cli.main import harden_process\n"
        "harden_process()\n"
        "libc = ctypes.CDLL(None)\n"
        "print(libc.prctl(3, 0, 0, 0, 0), oct(os.umask(0)))\n"  # 3 = PR_GET_DUMPABLE
    )
    if not sys.platform.startswith("linux"):
        pytest.skip("PR_SET_DUMPABLE is Linux only")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            env=dict(os.environ, PYTHONPATH=str(REPO)), check=True)
    assert result.stdout.split() == ["0", "0o77"]
