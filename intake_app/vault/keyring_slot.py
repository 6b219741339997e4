"""The "remember on this computer" secret, kept in a named secure OS keyring only.

The keyring holds a random 256-bit secret (service "field-intake", user = vault id) that
unwraps the header's keyring slot. keyring's fail backend, a chainer with anything but secure
backends in it, keyrings.alt and every other unnamed backend are refused: a silent fallback to
a file would put the vault key next to the vault.
"""

from __future__ import annotations

import base64
import binascii
import secrets

import keyring
import keyring.errors
from keyring.backend import KeyringBackend

from intake_app.errors import KeyringUnavailable

SERVICE = "field-intake"
SECRET_LENGTH = 32

SECURE_BACKENDS = frozenset(
    {
        "keyring.backends.SecretService.Keyring",
        "keyring.backends.libsecret.Keyring",
        "keyring.backends.macOS.Keyring",
        "keyring.backends.Windows.WinVaultKeyring",
    }
)
_CHAINER = "keyring.backends.chainer.ChainerBackend"
# Backend classes accepted in addition, registered in-process by tests only.
_extra_secure: set[type] = set()

REFUSED_MESSAGE = (
    "No secure system keyring is available here ({backend}), so this computer cannot "
    "remember the vault. Field Intake never keeps keys in files; use the passphrase."
)


def allow_backend_class(cls: type) -> None:
    """Accept one more backend class (the test suite's in-memory keyring)."""
    _extra_secure.add(cls)


def _name(obj: object) -> str:
    cls = type(obj)
    return f"{cls.__module__}.{cls.__qualname__}"


def _is_secure(backend: object) -> bool:
    return _name(backend) in SECURE_BACKENDS or type(backend) in _extra_secure


def secure_backend() -> KeyringBackend:
    """The active keyring backend, or KeyringUnavailable if it is not a named secure one."""
    try:
        backend = keyring.get_keyring()
    except Exception as exc:  # a broken keyring configuration must not crash the caller
        raise KeyringUnavailable(REFUSED_MESSAGE.format(backend="keyring failed to load")) from exc
    if _name(backend) == _CHAINER:
        members = list(getattr(backend, "backends", []))
        if members and all(_is_secure(m) for m in members):
            return backend
        names = ", ".join(_name(m) for m in members) or "no backend"
        raise KeyringUnavailable(REFUSED_MESSAGE.format(backend=names))
    if not _is_secure(backend):
        raise KeyringUnavailable(REFUSED_MESSAGE.format(backend=_name(backend)))
    return backend


def _refused(exc: Exception) -> KeyringUnavailable:
    return KeyringUnavailable(
        f"The system keyring refused the request ({type(exc).__name__}); "
        "the passphrase still works."
    )


def new_secret() -> bytes:
    return secrets.token_bytes(SECRET_LENGTH)


def store_secret(vault_id: str, secret: bytes) -> None:
    backend = secure_backend()
    try:
        backend.set_password(SERVICE, vault_id, base64.b64encode(secret).decode("ascii"))
    except Exception as exc:  # backends raise anything from D-Bus, COM or Security.framework
        raise _refused(exc) from exc


def load_secret(vault_id: str) -> bytes | None:
    """The remembered secret, or None when this computer does not remember the vault."""
    backend = secure_backend()
    try:
        value = backend.get_password(SERVICE, vault_id)
    except Exception as exc:
        raise _refused(exc) from exc
    if value is None:
        return None
    try:
        secret = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None
    return secret if len(secret) == SECRET_LENGTH else None


def delete_secret(vault_id: str) -> None:
    """Remove the secret; absent already is fine."""
    backend = secure_backend()
    try:
        backend.delete_password(SERVICE, vault_id)
    except keyring.errors.PasswordDeleteError:
        return
    except Exception as exc:
        raise _refused(exc) from exc
