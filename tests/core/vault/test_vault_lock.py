"""One writer: a second process holding the vault waits up to 5 s, then VaultBusy (exit 5)."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from intake_app.errors import VaultBusy
from intake_app.vault import Vault
from intake_app.vault.lockfile import BUSY_MESSAGE

HOLDER = (
    "import fcntl, sys, time\n"
    "fd = open(sys.argv[1], 'r+')\n"
    "fcntl.flock(fd, fcntl.LOCK_EX)\n"
    "print('held', flush=True)\n"
    "time.sleep(60)\n"
)


@pytest.fixture
def lock_holder(vault: Vault, vault_dir: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process holding the vault's writer lock."""
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(vault_dir / "lock")],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    yield proc
    proc.kill()
    proc.wait()


def test_second_process_makes_write_wait_then_busy(vault: Vault,
                                                   lock_holder: subprocess.Popen[str]) -> None:
    start = time.monotonic()
    with pytest.raises(VaultBusy) as info, vault.write() as conn:
        conn.execute("INSERT INTO meta (key, value) VALUES ('never', 'x')")
    waited = time.monotonic() - start
    assert 4.8 <= waited < 9, waited
    assert info.value.exit_code == 5
    assert str(info.value) == BUSY_MESSAGE
    lock_holder.kill()
    lock_holder.wait()  # the kernel drops a dead holder's lock
    with vault.write() as conn:
        conn.execute("INSERT INTO meta (key, value) VALUES ('later', 'x')")
    assert vault.conn.execute("SELECT count(*) FROM meta WHERE key = 'never'").fetchone() == (0,)


def test_cli_exits_5_when_vault_busy(vault: Vault, vault_dir: Path, passphrase: str,
                                     tmp_path: Path, lock_holder: subprocess.Popen[str],
                                     run_cli) -> None:
    pw = tmp_path / "pw"
    pw.write_text(f"{passphrase}\nanother long passphrase\n")
    header_before = (vault_dir / "header.json").read_bytes()
    result = run_cli(["--vault", vault_dir, "--passphrase-file", pw, "passwd"])
    assert result.returncode == 5, result.stderr
    assert result.stderr == f"intake-app: {BUSY_MESSAGE}\n"
    assert (vault_dir / "header.json").read_bytes() == header_before


def test_two_vault_objects_in_one_process_exclude_each_other(vault: Vault, vault_dir: Path,
                                                             passphrase: str) -> None:
    with Vault.open(vault_dir, passphrase) as other:
        other._lock.wait_seconds = 0.3
        with vault.write() as conn:
            conn.execute("INSERT INTO meta (key, value) VALUES ('a', '1')")
            with pytest.raises(VaultBusy), other.write():
                pass
        with other.write() as conn:
            conn.execute("INSERT INTO meta (key, value) VALUES ('b', '2')")


def test_reading_never_waits_for_a_writer(vault: Vault, vault_dir: Path, passphrase: str,
                                          lock_holder: subprocess.Popen[str]) -> None:
    vault.close()
    start = time.monotonic()
    with Vault.open(vault_dir, passphrase) as v:
        assert v.conn.execute("SELECT count(*) FROM audit").fetchone()[0] >= 1
    # A writer makes others wait up to 5 s; a reader that waited would take at least that.
    assert time.monotonic() - start < 4.5
