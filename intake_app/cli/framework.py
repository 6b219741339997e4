"""What every command shares: the Context (vault on demand, passphrases), JSON output, groups.

A command module in intake_app/cli/commands/ exposes `register(subparsers) -> None` and sets
`func=` on its parsers; `func(ctx: Context, args: argparse.Namespace) -> int | None` runs the
command (None means 0). Raise an IntakeError for anything a person caused: main() prints its
message on one line and exits with its code.

Passphrases never come from argv. `--passphrase-file FILE` (or `-` for stdin): line 1 is the
passphrase; for `passwd`, line 1 is the current and line 2 the new one. Without it, a terminal
prompts (a new passphrase twice); without a terminal it is a usage error (exit 2).

Keyring: when no --passphrase-file is given and this computer remembers the vault (`keyring
remember`), commands unlock with the OS keyring; if that fails they fall back to the prompt.
INTAKE_NO_KEYRING=1 turns this off. `passwd` always asks for the passphrase itself.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from pathlib import Path
from typing import Any, TypeAlias

from intake_app.errors import IntakeError, KeyringUnavailable, UsageError, VaultLocked
from intake_app.vault import Vault
from intake_app.vault.folder import check_folder

_MAX_PASSPHRASE_FILE = 64 * 1024
_GROUPS_ATTR = "_intake_groups"

# What register() receives; a string so it also works at run time (the class is not generic).
Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def print_json(obj: Any) -> None:
    """Deterministic JSON on stdout: sorted keys, indent 2, UTF-8 text as is."""
    sys.stdout.write(json.dumps(obj, sort_keys=True, ensure_ascii=False, indent=2) + "\n")


def command_group(subparsers: Subparsers, name: str, help: str) -> Subparsers:
    """The sub-command set of group `name` (e.g. "case", "identity"), shared between modules.

    Several command modules may add commands to one group: the first call creates it, later
    calls return the same one.
    """
    groups: dict[str, Subparsers]
    groups = getattr(subparsers, _GROUPS_ATTR, None) or {}
    setattr(subparsers, _GROUPS_ATTR, groups)
    if name not in groups:
        parser = subparsers.add_parser(name, help=help, description=help)
        groups[name] = parser.add_subparsers(dest=f"{name}_command", metavar="COMMAND")
        groups[name].required = True
    return groups[name]


def _read_limited(stream: Any) -> bytes:
    data = stream.read(_MAX_PASSPHRASE_FILE + 1)
    if len(data) > _MAX_PASSPHRASE_FILE:
        raise UsageError("The passphrase file is too large; it should hold one line.")
    return bytes(data)


class Context:
    """Global options and the vault, opened on first use and closed by main()."""

    def __init__(self, vault_dir: Path, passphrase_file: str | None, debug: bool = False) -> None:
        self.vault_dir = vault_dir
        self.passphrase_file = passphrase_file
        self.debug = debug
        self._vault: Vault | None = None
        self._lines: list[str] | None = None

    # ---- passphrases ----------------------------------------------------------------

    def _file_lines(self) -> list[str]:
        if self._lines is None:
            assert self.passphrase_file is not None
            try:
                if self.passphrase_file == "-":  # noqa: S105 - stdin, not a password
                    raw = _read_limited(sys.stdin.buffer)
                else:
                    with open(self.passphrase_file, "rb") as fh:
                        raw = _read_limited(fh)
            except OSError as exc:
                raise UsageError(
                    f"Cannot read the passphrase file {self.passphrase_file}: {exc.strerror}."
                ) from exc
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise UsageError("The passphrase file is not UTF-8 text.") from exc
            self._lines = [line.removesuffix("\r") for line in text.split("\n")]
        return self._lines

    def _file_line(self, index: int, what: str) -> str:
        lines = self._file_lines()
        if index >= len(lines) or not lines[index]:
            raise UsageError(f"The passphrase file has no {what} on line {index + 1}.")
        return lines[index]

    def _prompt(self, prompt: str) -> str:
        if not sys.stdin.isatty():
            raise UsageError(
                "A passphrase is needed: give --passphrase-file FILE (before the command) "
                "or run in a terminal."
            )
        try:
            return getpass.getpass(prompt)
        except EOFError:
            raise UsageError("No passphrase was entered.") from None

    def _prompt_new(self, prompt: str) -> str:
        first = self._prompt(prompt)
        if self._prompt("Repeat it: ") != first:
            raise UsageError("The two passphrases differ; nothing was changed.")
        return first

    def passphrase(self) -> str:
        """The vault passphrase: line 1 of the file, else a prompt."""
        if self.passphrase_file is not None:
            return self._file_line(0, "passphrase")
        return self._prompt("Passphrase: ")

    def new_passphrase(self) -> str:
        """A passphrase for a new vault: line 1 of the file, else typed twice."""
        if self.passphrase_file is not None:
            return self._file_line(0, "passphrase")
        return self._prompt_new("New passphrase: ")

    def passphrase_change(self) -> tuple[str, str]:
        """(current, new): lines 1 and 2 of the file, else prompts."""
        if self.passphrase_file is not None:
            return self._file_line(0, "current passphrase"), self._file_line(1, "new passphrase")
        return self._prompt("Current passphrase: "), self._prompt_new("New passphrase: ")

    # ---- the vault ------------------------------------------------------------------

    def open_vault(self) -> Vault:
        """The unlocked vault (keyring first when remembered and no file was given)."""
        if self._vault is not None:
            return self._vault
        vault: Vault | None = None
        if self.passphrase_file is None and self._keyring_allowed():
            try:
                vault = Vault.open(self.vault_dir, use_keyring=True)
            except (VaultLocked, KeyringUnavailable):
                vault = None
        if vault is None:
            check_folder(self.vault_dir)  # no prompt for a vault that is not there
            vault = Vault.open(self.vault_dir, self.passphrase())
        if vault.failed_unlocks_reported:
            sys.stderr.write(
                f"Note: {vault.failed_unlocks_reported} failed unlock attempt(s) since the "
                "last unlock (recorded in the audit log).\n"
            )
        self._vault = vault
        return vault

    def _keyring_allowed(self) -> bool:
        if os.environ.get("INTAKE_NO_KEYRING") == "1" or not Vault.exists(self.vault_dir):
            return False
        try:
            from intake_app.vault.header import SLOT_KEYRING, load_header

            return SLOT_KEYRING in load_header(self.vault_dir).slots
        except IntakeError:
            return False

    def adopt_vault(self, vault: Vault) -> None:
        """Make `vault` (e.g. just created) the context's vault, closed by close()."""
        self.close()
        self._vault = vault

    def close(self) -> None:
        if self._vault is not None:
            self._vault.close()
            self._vault = None


def confirm(question: str, assume_yes: bool) -> None:
    """For destructive commands: proceed with --yes, else ask on a terminal, else refuse."""
    if assume_yes:
        return
    if not sys.stdin.isatty():
        raise UsageError("This changes the vault for good: confirm with --yes.")
    answer = input(f"{question} [y/N] ").strip().lower()
    if answer not in ("y", "yes"):
        raise IntakeError("Cancelled; nothing was changed.")
