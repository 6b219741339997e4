"""Shared fixtures. Every test runs with cheap Argon2 parameters and away from the real user's
data folder and keyring.

INTAKE_TEST_FAST_KDF=1 is honoured by the vault only while PYTEST_CURRENT_TEST is set (pytest
sets it for each test, and processes started by a test inherit it).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import keyring
import keyring.errors
import pytest
from keyring.backend import KeyringBackend

from intake_app.vault import Vault, keyring_slot

os.environ["INTAKE_TEST_FAST_KDF"] = "1"

REPO = Path(__file__).resolve().parent.parent
PASSPHRASE = "correct horse battery staple"

# Blocks Qt before the CLI runs, so every CLI test also proves the core imports no Qt.
_NO_QT_MAIN = (
    "import sys\n"
    "for name in ('PySide6', 'shiboken6', 'ui'):\n"
    "    sys.modules[name] = None\n"
    "from intake_app.cli.main import main\n"
    "sys.exit(main(sys.argv[1:]))\n"
)


class MemoryKeyring(KeyringBackend):
    """In-memory keyring backend for tests (accepted by the vault only after registration)."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.store.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError("not found")


keyring_slot.allow_backend_class(MemoryKeyring)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The packaged-application tests first: their build takes minutes, so under `./dev test`
    (files handed out in this order) one worker starts it at once while the other runs the
    rest, instead of starting it late and finishing alone."""
    packaging = REPO / "tests" / "packaging"
    items.sort(key=lambda item: not item.path.is_relative_to(packaging))  # stable


@pytest.fixture(autouse=True)
def _private_environment(tmp_path_factory: pytest.TempPathFactory,
                         monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may touch the real user's vault folder or use INTAKE_VAULT from outside."""
    monkeypatch.setenv("INTAKE_VAULT", "")  # recorded, so anything a test sets is undone
    monkeypatch.delenv("INTAKE_VAULT")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("xdg-data")))


@pytest.fixture
def passphrase() -> str:
    return PASSPHRASE


@pytest.fixture
def vault_dir(tmp_path: Path) -> Path:
    """Where a test's vault goes (not yet created)."""
    return tmp_path / "vault"


@pytest.fixture
def vault(vault_dir: Path, passphrase: str) -> Iterator[Vault]:
    """A new, open vault of a monitor; closed after the test."""
    v = Vault.create(vault_dir, passphrase, name="Test monitor", role="monitor")
    yield v
    v.close()


@pytest.fixture
def passphrase_file(tmp_path: Path, passphrase: str) -> Path:
    path = tmp_path / "passphrase.txt"
    path.write_text(passphrase + "\n", encoding="utf-8")
    return path


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    """Make an in-memory keyring the active backend for this test."""
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


def cli_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for a CLI subprocess: fast KDF, no real keyring, the checkout importable."""
    env = dict(os.environ)
    env["INTAKE_TEST_FAST_KDF"] = "1"
    env.setdefault("PYTEST_CURRENT_TEST", "cli subprocess")
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env.pop("INTAKE_VAULT", None)
    env.update(extra or {})
    return env


def run_intake(args: Sequence[str | os.PathLike[str]], *, input: str | None = None,
               env: dict[str, str] | None = None, block_qt: bool = True,
               timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run `intake-app ARGS` in a fresh process (Qt blocked unless block_qt=False)."""
    cmd = [sys.executable, "-c", _NO_QT_MAIN] if block_qt else [sys.executable, "-m",
                                                               "intake_app.cli"]
    return subprocess.run(
        [*cmd, *map(str, args)], input=input, capture_output=True, text=True,
        encoding="utf-8", env=cli_env(env), timeout=timeout, cwd=REPO,
        stdin=None if input is not None else subprocess.DEVNULL,
    )


@pytest.fixture
def run_cli():  # noqa: ANN201 - returns run_intake
    """`run_cli(["--vault", d, "identity", "show"])` -> CompletedProcess (text)."""
    return run_intake


@pytest.fixture
def cli_vault(vault_dir: Path, passphrase_file: Path) -> Path:
    """A vault created through `intake-app init`; returns its folder."""
    result = run_intake(["--vault", vault_dir, "--passphrase-file", passphrase_file, "init",
                         "--name", "CLI monitor"])
    assert result.returncode == 0, result.stderr
    return vault_dir
