"""'Remember on this computer': named secure keyrings only; the passphrase always still works."""

from __future__ import annotations

from pathlib import Path

import keyring
import keyring.backends.chainer
import keyring.backends.fail
import pytest
from keyring.backend import KeyringBackend

from intake_app.errors import KeyringUnavailable, VaultLocked
from intake_app.vault import Vault, keyring_slot
from intake_app.vault import audit as audit_log
from intake_app.vault.header import load_header


class PlaintextFileKeyring(KeyringBackend):
    """Stands in for keyrings.alt's file backends: a backend nobody named as secure."""

    priority = 1  # type: ignore[assignment]

    def get_password(self, service: str, username: str) -> str | None:
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        raise AssertionError("a refused backend must never receive the secret")

    def delete_password(self, service: str, username: str) -> None:
        pass


PlaintextFileKeyring.__module__ = "keyrings.alt.file"


class RefusingKeyring(KeyringBackend):
    """A secure backend that is locked or refuses (e.g. the user cancelled the prompt)."""

    priority = 1  # type: ignore[assignment]

    def get_password(self, service: str, username: str) -> str | None:
        raise keyring.errors.KeyringLocked("locked")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.PasswordSetError("refused")

    def delete_password(self, service: str, username: str) -> None:
        raise keyring.errors.PasswordDeleteError("refused")


keyring_slot.allow_backend_class(RefusingKeyring)


@pytest.fixture
def backend_restored():  # noqa: ANN201
    previous = keyring.get_keyring()
    yield
    keyring.set_keyring(previous)


def test_memory_keyring_round_trip(vault: Vault, vault_dir: Path, passphrase: str,
                                   memory_keyring) -> None:  # noqa: ANN001
    fingerprint = vault.identity.fingerprint
    vault.remember_in_keyring()
    assert vault.remembered_in_keyring
    assert ("field-intake", vault.vault_id) in memory_keyring.store
    vault.close()
    with Vault.open(vault_dir, use_keyring=True) as v:
        assert v.identity.fingerprint == fingerprint
        actions = [e.action for e in audit_log.entries(v.conn)]
        assert "vault.keyring_remembered" in actions
        assert v.forget_keyring() is True
    assert memory_keyring.store == {}
    assert "keyring" not in load_header(vault_dir).slots
    with pytest.raises(VaultLocked, match="does not remember"):
        Vault.open(vault_dir, use_keyring=True)
    Vault.open(vault_dir, passphrase).close()


def test_passphrase_still_works_when_remembered(vault: Vault, vault_dir: Path, passphrase: str,
                                                memory_keyring) -> None:  # noqa: ANN001
    vault.remember_in_keyring()
    vault.close()
    Vault.open(vault_dir, passphrase).close()


def test_slot_survives_passphrase_change(vault: Vault, vault_dir: Path, passphrase: str,
                                         memory_keyring) -> None:  # noqa: ANN001
    vault.remember_in_keyring()
    vault.change_passphrase(passphrase, "a brand new passphrase")
    vault.close()
    Vault.open(vault_dir, use_keyring=True).close()


def test_stale_keyring_secret_is_locked_not_damaged(vault: Vault, vault_dir: Path,
                                                    memory_keyring) -> None:  # noqa: ANN001
    vault.remember_in_keyring()
    vault.close()
    keyring_slot.store_secret(load_header(vault_dir).vault_id, keyring_slot.new_secret())
    with pytest.raises(VaultLocked, match="no longer fits"):
        Vault.open(vault_dir, use_keyring=True)


def test_not_remembered_and_no_passphrase_is_locked(vault: Vault, vault_dir: Path) -> None:
    vault.close()
    with pytest.raises(VaultLocked):
        Vault.open(vault_dir, use_keyring=True)
    with pytest.raises(VaultLocked):
        Vault.open(vault_dir)


def test_fail_backend_refused(vault: Vault, vault_dir: Path, backend_restored) -> None:  # noqa: ANN001
    keyring.set_keyring(keyring.backends.fail.Keyring())
    header_before = (vault_dir / "header.json").read_bytes()
    with pytest.raises(KeyringUnavailable) as info:
        vault.remember_in_keyring()
    assert "No secure system keyring" in str(info.value)
    assert "keyring.backends.fail.Keyring" in str(info.value)
    assert (vault_dir / "header.json").read_bytes() == header_before


def test_plaintext_backend_refused(vault: Vault, vault_dir: Path, backend_restored) -> None:  # noqa: ANN001
    keyring.set_keyring(PlaintextFileKeyring())
    with pytest.raises(KeyringUnavailable, match="keyrings.alt.file"):
        vault.remember_in_keyring()
    assert "keyring" not in load_header(vault_dir).slots


def test_chainer_with_an_insecure_member_refused(
    vault: Vault, backend_restored, memory_keyring, monkeypatch: pytest.MonkeyPatch  # noqa: ANN001
) -> None:
    chainer_cls = keyring.backends.chainer.ChainerBackend
    keyring.set_keyring(chainer_cls())
    monkeypatch.setattr(chainer_cls, "backends", [memory_keyring, PlaintextFileKeyring()])
    with pytest.raises(KeyringUnavailable):
        vault.remember_in_keyring()
    monkeypatch.setattr(chainer_cls, "backends", [])
    with pytest.raises(KeyringUnavailable, match="no backend"):
        vault.remember_in_keyring()
    monkeypatch.setattr(chainer_cls, "backends", [memory_keyring])
    vault.remember_in_keyring()  # a chainer of secure backends only is fine
    assert memory_keyring.store


def test_refusing_keyring_gives_clear_message_and_changes_nothing(
    vault: Vault, vault_dir: Path, passphrase: str, backend_restored  # noqa: ANN001
) -> None:
    keyring.set_keyring(RefusingKeyring())
    header_before = (vault_dir / "header.json").read_bytes()
    with pytest.raises(KeyringUnavailable, match="refused the request"):
        vault.remember_in_keyring()
    assert (vault_dir / "header.json").read_bytes() == header_before
    vault.close()
    Vault.open(vault_dir, passphrase).close()


def test_remembered_then_keyring_refuses_unlock(vault: Vault, vault_dir: Path, passphrase: str,
                                                memory_keyring, backend_restored) -> None:  # noqa: ANN001
    vault.remember_in_keyring()
    vault.close()
    keyring.set_keyring(RefusingKeyring())
    with pytest.raises(KeyringUnavailable):
        Vault.open(vault_dir, use_keyring=True)
    Vault.open(vault_dir, passphrase).close()
