"""Passphrase prompts on a real terminal (a pty), and the GUI hand-off without a subcommand."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
import types
from pathlib import Path

import pytest

from intake_app.cli import main as cli_main

REPO = Path(__file__).resolve().parents[3]


class Terminal:
    """`intake-app ARGS` with stdin/stdout/stderr on a pty and no controlling terminal."""

    def __init__(self, args: list[str]) -> None:
        self.master, slave = pty.openpty()
        env = dict(os.environ, PYTHONPATH=str(REPO), PYTHON_KEYRING_BACKEND=(
            "keyring.backends.fail.Keyring"))
        self.proc = subprocess.Popen([sys.executable, "-m", "intake_app.cli", *args],
                                     stdin=slave, stdout=slave, stderr=slave, env=env,
                                     start_new_session=True, cwd=REPO)
        os.close(slave)
        self.seen = ""

    def expect(self, text: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.seen:
            left = deadline - time.monotonic()
            assert left > 0, f"never saw {text!r}; got {self.seen!r}"
            ready, _, _ = select.select([self.master], [], [], left)
            if ready:
                try:
                    chunk = os.read(self.master, 4096)
                except OSError:
                    chunk = b""
                assert chunk, f"ended before {text!r}; got {self.seen!r}"
                self.seen += chunk.decode("utf-8", "replace")

    def send_line(self, line: str) -> None:
        os.write(self.master, line.encode() + b"\n")

    def finish(self) -> int:
        code = self.proc.wait(timeout=60)
        while True:
            try:
                chunk = os.read(self.master, 4096)
            except OSError:
                break
            if not chunk:
                break
            self.seen += chunk.decode("utf-8", "replace")
        os.close(self.master)
        return code


def test_init_prompts_twice_then_show_prompts_once(vault_dir: Path, passphrase: str) -> None:
    term = Terminal(["--vault", str(vault_dir), "init", "--name", "Typed"])
    term.expect("New passphrase: ")
    term.send_line(passphrase)
    term.expect("Repeat it: ")
    term.send_line(passphrase)
    assert term.finish() == 0, term.seen
    assert passphrase not in term.seen  # not echoed
    show = Terminal(["--vault", str(vault_dir), "identity", "show"])
    show.expect("Passphrase: ")
    show.send_line(passphrase)
    assert show.finish() == 0, show.seen
    assert "Typed" in show.seen


def test_init_with_two_different_passphrases_changes_nothing(vault_dir: Path) -> None:
    term = Terminal(["--vault", str(vault_dir), "init"])
    term.expect("New passphrase: ")
    term.send_line("first passphrase")
    term.expect("Repeat it: ")
    term.send_line("second passphrase")
    assert term.finish() == 2
    assert "The two passphrases differ" in term.seen
    assert not vault_dir.exists()


def test_passwd_prompts_current_then_new_twice(cli_vault: Path, passphrase: str) -> None:
    term = Terminal(["--vault", str(cli_vault), "passwd"])
    term.expect("Current passphrase: ")
    term.send_line(passphrase)
    term.expect("New passphrase: ")
    term.send_line("typed new passphrase")
    term.expect("Repeat it: ")
    term.send_line("typed new passphrase")
    assert term.finish() == 0, term.seen
    from intake_app.vault import Vault

    Vault.open(cli_vault, "typed new passphrase").close()


def test_no_subcommand_hands_over_to_the_gui(monkeypatch: pytest.MonkeyPatch,
                                             tmp_path: Path) -> None:
    calls: list[str | None] = []
    fake = types.ModuleType("ui.app")

    def fake_main() -> int:
        calls.append(os.environ.get("INTAKE_VAULT"))
        return 7

    fake.main = fake_main  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "ui.app", fake)
    monkeypatch.setenv("INTAKE_VAULT", "restored after the test")  # main() sets it
    assert cli_main.main(["--vault", str(tmp_path / "v")]) == 7
    assert calls == [str(tmp_path / "v")]
