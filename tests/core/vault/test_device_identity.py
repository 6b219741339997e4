"""Device keys: bech32 for age, fingerprints, minisign key line, revision signatures."""

from __future__ import annotations

import base64
import hashlib
import shutil
import subprocess
from pathlib import Path

import pyrage
import pytest

from intake_app.identity import bech32
from intake_app.identity.keys import (
    DeviceIdentity,
    InvalidKey,
    age_identity_from_secret,
    age_recipient_from_public,
    display_fingerprint,
    fingerprint,
    parse_fingerprint,
    verify_revision,
    x25519_public_from_recipient,
    x25519_secret_from_identity,
)
from intake_app.vault import Vault

REV = hashlib.sha256(b"a revision").hexdigest()


# BIP 173 test vectors (bech32, not bech32m).
@pytest.mark.parametrize("text", [
    "A12UEL5L", "a12uel5l",
    "an83characterlonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1tt5tgs",
    "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw",
    "split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w",
])
def test_bech32_valid_vectors(text: str) -> None:
    hrp, data = bech32.decode(text)
    assert bech32.encode(hrp, data) == text.lower()


@pytest.mark.parametrize("text", [
    "\x201nwldj5", "pzry9x0s0muk", "1pzry9x0s0muk", "x1b4n0q5v", "li1dgmt3",
    "A1G7SGD8", "10a06t8", "1qzzfhee", "a12UEL5L",
])
def test_bech32_invalid_vectors(text: str) -> None:
    with pytest.raises(bech32.Bech32Error):
        bech32.decode(text)


def test_age_strings_interoperate_with_pyrage() -> None:
    theirs = pyrage.x25519.Identity.generate()
    secret = x25519_secret_from_identity(str(theirs))
    assert age_identity_from_secret(secret) == str(theirs)
    pub = x25519_public_from_recipient(str(theirs.to_public()))
    assert age_recipient_from_public(pub) == str(theirs.to_public())
    ours = DeviceIdentity.generate("Мониторшы", "monitor")
    assert str(pyrage.x25519.Identity.from_str(ours.age_identity).to_public()) == \
        ours.age_recipient
    sealed = pyrage.encrypt(b"payload", [pyrage.x25519.Recipient.from_str(ours.age_recipient)])
    assert pyrage.decrypt(sealed, [pyrage.x25519.Identity.from_str(ours.age_identity)]) == \
        b"payload"


@pytest.mark.skipif(shutil.which("age") is None, reason="the age tool is not installed")
def test_age_tool_decrypts_to_our_identity(tmp_path: Path) -> None:
    ours = DeviceIdentity.generate("Coordinator", "coordinator")
    key = tmp_path / "key.txt"
    key.write_text(ours.age_identity + "\n")
    sealed = subprocess.run(["age", "-r", ours.age_recipient], input=b"secret text",
                            capture_output=True, check=True).stdout
    opened = subprocess.run(["age", "-d", "-i", str(key)], input=sealed, capture_output=True,
                            check=True).stdout
    assert opened == b"secret text"


@pytest.mark.parametrize("text", ["age1qqqq", "AGE-SECRET-KEY-1QQQQ", "", "age1" + "q" * 58,
                                  "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"])
def test_malformed_recipients_refused(text: str) -> None:
    with pytest.raises(InvalidKey):
        x25519_public_from_recipient(text)


def test_fingerprint_covers_both_keys_and_parses_both_forms() -> None:
    ident = DeviceIdentity.generate("A", "monitor")
    expected = base64.b32encode(hashlib.sha256(
        b"intake-card-v1" + ident.ed25519_public_key + ident.x25519_public_key).digest()[:20]
    ).decode()
    assert ident.fingerprint == expected and len(expected) == 32
    other = DeviceIdentity.generate("B", "monitor")
    assert fingerprint(ident.ed25519_public_key, other.x25519_public_key) != ident.fingerprint
    display = display_fingerprint(ident.fingerprint)
    assert len(display.split(" ")) == 8
    assert parse_fingerprint(display.lower()) == ident.fingerprint
    assert parse_fingerprint(ident.fingerprint) == ident.fingerprint
    for bad in ("ABCD", ident.fingerprint[:-1] + "1", ident.fingerprint + "A"):
        with pytest.raises(InvalidKey):
            parse_fingerprint(bad)


def test_minisign_key_line() -> None:
    ident = DeviceIdentity.generate("A", "lawyer")
    raw = base64.b64decode(ident.minisign_public_key)
    key_id = hashlib.sha256(b"intake-minisign-keyid" + ident.ed25519_public_key).digest()[:8]
    assert raw == b"Ed" + key_id + ident.ed25519_public_key
    assert ident.category == "lawyer"


def test_revision_signature_domain_separated() -> None:
    ident = DeviceIdentity.generate("A", "monitor")
    sig = ident.sign_revision(REV)
    assert ident.verify_revision(REV, sig)
    assert verify_revision(ident.ed25519_public_key, REV, sig)
    other = hashlib.sha256(b"other").hexdigest()
    assert not ident.verify_revision(other, sig)
    assert not verify_revision(ident.ed25519_public_key, "zz", sig)
    assert not verify_revision(ident.ed25519_public_key, REV, sig[:-1] + bytes([sig[-1] ^ 1]))
    assert ident.sign(bytes.fromhex(REV)) != sig  # raw signing is not a revision signature


def test_secrets_not_in_repr() -> None:
    ident = DeviceIdentity.generate("A", "monitor")
    assert "AGE-SECRET-KEY" not in repr(ident)
    assert ident.ed25519_secret_bytes().hex() not in repr(ident)


@pytest.mark.parametrize(("name", "role", "category"), [
    ("", "monitor", None), ("x" * 101, "monitor", None), ("a\u202eb", "monitor", None),
    ("ok", "admin", None), ("ok", "monitor", "press"),
])
def test_bad_name_role_category_refused(tmp_path: Path, name: str, role: str,
                                        category: str | None) -> None:
    with pytest.raises(Exception) as info:
        Vault.create(tmp_path / "v", "long enough passphrase", name=name, role=role,
                     category=category)
    assert info.value.exit_code == 2  # type: ignore[attr-defined]
    assert not (tmp_path / "v").exists()


def test_identity_survives_reopen(vault: Vault, vault_dir: Path, passphrase: str) -> None:
    before = vault.identity
    vault.close()
    with Vault.open(vault_dir, passphrase) as v:
        after = v.identity
    assert after.ed25519_public_key == before.ed25519_public_key
    assert after.age_identity == before.age_identity
    assert after.public_summary() == before.public_summary()
