"""Typed errors the user can cause, each with a message written for a person.

The CLI prints `str(error)` on one line and exits with `error.exit_code`; the GUI shows the
same text in a dialog. Nothing here ever carries case content, names or secrets.
"""

from __future__ import annotations

EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_ACCESS = 3
EXIT_REFUSED = 4
EXIT_BUSY = 5


class IntakeError(Exception):
    """Base of every error a person can cause or must be told about."""

    exit_code = EXIT_FAILED

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class UsageError(IntakeError):
    exit_code = EXIT_USAGE


class NoVault(IntakeError):
    """There is no vault at the given place."""


class VaultExists(IntakeError):
    """A vault is already there; refusing to overwrite it."""


class WrongPassphrase(IntakeError):
    exit_code = EXIT_ACCESS


class VaultLocked(IntakeError):
    exit_code = EXIT_ACCESS


class VaultDamaged(IntakeError):
    """The vault's files are damaged, foreign, or not a vault at all."""


class VaultBusy(IntakeError):
    exit_code = EXIT_BUSY


class KeyringUnavailable(IntakeError):
    """No secure OS keyring is available, or it refused."""


class NotFound(IntakeError):
    """A case, revision, contact or file named by the user does not exist."""


class ValidationError(IntakeError):
    """Answers that do not fit the protocol; `problems` names each question."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []


class ProtocolError(IntakeError):
    """A protocol file is malformed (a developer or translator error, reported clearly)."""


class BundleRefused(IntakeError):
    """A bundle was refused: damaged, forged, unknown or revoked signer, not for us."""

    exit_code = EXIT_REFUSED


class Cancelled(IntakeError):
    """The user cancelled a long operation; nothing was changed."""


class StorageError(IntakeError):
    """The disk refused a write (full, read-only, permissions); nothing was changed."""
