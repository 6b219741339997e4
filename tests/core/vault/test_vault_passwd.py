"""Changing the passphrase rewraps the key only; a kill at any moment leaves old or new."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest

from intake_app.errors import IntakeError, WrongPassphrase
from intake_app.vault import Vault
from intake_app.vault import audit as audit_log

REPO = Path(__file__).resolve().parents[3]
NEW = "новый пароль — жаңа құпия сөз"

CHILD = (
    "import sys, time\n"
    "from intake_app.vault import Vault\n"
    "path, old, new = sys.argv[1:4]\n"
    "v = Vault.open(path, old)\n"
    "print('ready', flush=True)\n"
    "t0 = time.monotonic()\n"
    "v.change_passphrase(old, new)\n"
    "print('done', time.monotonic() - t0, flush=True)\n"
)


def test_change_passphrase_rewraps_without_touching_the_database(
    vault: Vault, vault_dir: Path, passphrase: str
) -> None:
    key_before = bytes(vault._db_key)
    salt_before = (vault_dir / "vault.db").read_bytes()[:16]
    vault.change_passphrase(passphrase, NEW)
    assert audit_log.entries(vault.conn)[-1].action == "vault.passphrase_changed"
    vault.close()
    # Same database key and SQLCipher salt: the key was rewrapped, the database not rekeyed.
    assert (vault_dir / "vault.db").read_bytes()[:16] == salt_before
    with Vault.open(vault_dir, NEW) as v:
        assert bytes(v._db_key) == key_before
    with pytest.raises(WrongPassphrase):
        Vault.open(vault_dir, passphrase)
    with Vault.open(vault_dir, NEW) as v:
        assert audit_log.verify(v.conn) == []


def test_wrong_current_passphrase_changes_nothing(vault: Vault, vault_dir: Path,
                                                 passphrase: str) -> None:
    before = (vault_dir / "header.json").read_bytes()
    with pytest.raises(WrongPassphrase, match="nothing was changed"):
        vault.change_passphrase("not the passphrase", NEW)
    assert (vault_dir / "header.json").read_bytes() == before


def test_short_new_passphrase_changes_nothing(vault: Vault, vault_dir: Path,
                                              passphrase: str) -> None:
    before = (vault_dir / "header.json").read_bytes()
    with pytest.raises(IntakeError, match="too short"):
        vault.change_passphrase(passphrase, "short")
    assert (vault_dir / "header.json").read_bytes() == before


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _which_opens(vault_dir: Path, passphrases: tuple[str, str]) -> str:
    opened = []
    for candidate in passphrases:
        try:
            with Vault.open(vault_dir, candidate) as v:
                assert v.conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
                assert audit_log.verify(v.conn) == []
            opened.append(candidate)
        except WrongPassphrase:
            pass
    assert len(opened) == 1, "exactly one of the old and new passphrases must open"
    return opened[0]


@pytest.mark.slow
def test_passwd_killed_at_random_moments_leaves_old_or_new(
    vault: Vault, vault_dir: Path, passphrase: str
) -> None:
    vault.close()
    rng = random.Random(20220105)
    current, other = passphrase, NEW
    # How long an uninterrupted change takes, measured by the child itself (start-up and
    # imports do not count): kills land inside it.
    done = subprocess.run([sys.executable, "-c", CHILD, str(vault_dir), current, other],
                          capture_output=True, text=True, env=_child_env(), check=True)
    words = done.stdout.split()
    assert words[:2] == ["ready", "done"]
    window = float(words[2])
    current, other = other, current
    outcomes = {"old": 0, "new": 0}
    for _ in range(30):
        proc = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(vault_dir), current, other],
            stdout=subprocess.PIPE, text=True, env=_child_env())
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0, max(window, 0.002) * 1.2))
        proc.kill()
        proc.wait()
        opened = _which_opens(vault_dir, (current, other))
        outcomes["old" if opened == current else "new"] += 1
        current, other = (other, current) if opened == other else (current, other)
    assert outcomes["old"] and outcomes["new"], outcomes  # kills fell before and after
    assert not list(vault_dir.glob(".header.json.*.part"))  # cleaned up at unlock
