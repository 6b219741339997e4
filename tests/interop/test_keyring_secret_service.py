"""'Remember on this computer' against a REAL Secret Service (gnome-keyring).

The test starts its own private D-Bus session and an unlocked gnome-keyring inside it, in a
subprocess, so it works whether or not the outer pytest has a session bus, and never touches
the user's own keyring (HOME and XDG folders point into tmp_path).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

INNER = r'''
import json, subprocess, sys
from pathlib import Path

import keyring
from intake_app.vault import Vault, keyring_slot

vault_dir, pw_file = Path(sys.argv[1]), sys.argv[2]
backend = keyring.get_keyring()
assert type(backend).__module__ == "keyring.backends.SecretService", backend
keyring_slot.secure_backend()  # accepted as a named secure backend


def cli(*args):
    return subprocess.run([sys.executable, "-m", "intake_app.cli", "--vault", str(vault_dir),
                           *args], capture_output=True, text=True, stdin=subprocess.DEVNULL)


r = cli("--passphrase-file", pw_file, "init", "--name", "Secret Service test")
assert r.returncode == 0, r.stderr
fingerprint = json.loads(cli("--passphrase-file", pw_file, "identity", "show",
                             "--json").stdout)["fingerprint"]
r = cli("--passphrase-file", pw_file, "keyring", "remember")
assert r.returncode == 0, r.stderr
vault_id = json.loads((vault_dir / "header.json").read_text())["vault_id"]
stored = keyring.get_password("field-intake", vault_id)
assert stored and len(stored) == 44, "a base64 256-bit secret is in the real keyring"

r = cli("identity", "show", "--json")  # no passphrase anywhere: the keyring unlocks
assert r.returncode == 0, r.stderr
assert json.loads(r.stdout)["fingerprint"] == fingerprint
with Vault.open(vault_dir, use_keyring=True) as v:
    assert v.identity.fingerprint == fingerprint

r = cli("keyring", "forget")
assert r.returncode == 0, r.stderr
assert keyring.get_password("field-intake", vault_id) is None
assert "keyring" not in json.loads((vault_dir / "header.json").read_text())["slots"]
r = cli("identity", "show")
assert r.returncode == 2, (r.returncode, r.stderr)  # only the passphrase unlocks now
r = cli("--passphrase-file", pw_file, "identity", "show")
assert r.returncode == 0, r.stderr
print("ROUND-TRIP-OK")
'''


@pytest.mark.keyring
@pytest.mark.skipif(
    shutil.which("dbus-run-session") is None or shutil.which("gnome-keyring-daemon") is None,
    reason="dbus-run-session and gnome-keyring-daemon are needed (Debian: dbus, gnome-keyring)",
)
def test_remember_unlock_forget_with_real_secret_service(tmp_path: Path,
                                                          passphrase_file: Path) -> None:
    home = tmp_path / "home"
    runtime = tmp_path / "run"
    home.mkdir()
    runtime.mkdir(mode=0o700)
    inner = tmp_path / "inner.py"
    inner.write_text(INNER, encoding="utf-8")
    env = {k: v for k, v in os.environ.items()
           if k not in ("DBUS_SESSION_BUS_ADDRESS", "PYTHON_KEYRING_BACKEND", "INTAKE_VAULT")}
    env.update(HOME=str(home), XDG_DATA_HOME=str(home / "data"),
               XDG_CONFIG_HOME=str(home / "config"), XDG_RUNTIME_DIR=str(runtime),
               PYTHONPATH=str(REPO), INTAKE_TEST_FAST_KDF="1")
    script = (
        "printf %s keyring-test-password | gnome-keyring-daemon --unlock --components=secrets"
        " >/dev/null && exec \"$0\" \"$1\" \"$2\" \"$3\""
    )
    result = subprocess.run(
        ["dbus-run-session", "--", "sh", "-c", script, sys.executable, str(inner),
         str(tmp_path / "vault"), str(passphrase_file)],
        capture_output=True, text=True, env=env, timeout=120, cwd=REPO,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ROUND-TRIP-OK" in result.stdout
