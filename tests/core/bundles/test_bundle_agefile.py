"""age encryption and the guarded decryption path."""

from __future__ import annotations

import io
import os

import pyrage
import pytest
from pyrage import x25519

from intake_app.bundles import agefile
from intake_app.errors import BundleRefused, Cancelled
from intake_app.progress import CancelToken


@pytest.fixture(scope="module")
def ident() -> x25519.Identity:
    return x25519.Identity.generate()


def _encrypt(data: bytes, *recipients) -> bytes:
    out = io.BytesIO()
    agefile.encrypt(io.BytesIO(data), out, list(recipients))
    return out.getvalue()


def _decrypt(ct: bytes, ident, **kw) -> bytes:
    out = io.BytesIO()
    n = agefile.decrypt(io.BytesIO(ct), [ident], out, **kw)
    assert n == len(out.getvalue())
    return out.getvalue()


@pytest.mark.parametrize("size", [0, 1, 65535, 65536, 65537, 300_000])
def test_round_trip_sizes_across_chunk_boundaries(ident, size):
    data = os.urandom(size)
    assert _decrypt(_encrypt(data, str(ident.to_public())), ident) == data


def test_several_recipients_each_can_decrypt(ident):
    other = x25519.Identity.generate()
    ct = _encrypt(b"case", ident.to_public(), str(other.to_public()))
    assert _decrypt(ct, ident) == b"case" and _decrypt(ct, other) == b"case"
    header = agefile.inspect_header(io.BytesIO(ct))
    assert header.x25519_stanzas == 2


def test_not_addressed_to_us_is_refused_with_clear_message(ident):
    ct = _encrypt(b"x", x25519.Identity.generate().to_public())
    with pytest.raises(BundleRefused, match="not addressed to this device"):
        _decrypt(ct, ident)


def test_non_x25519_recipient_cannot_be_encrypted_to():
    with pytest.raises(BundleRefused, match="X25519"):
        _encrypt(b"x", "ssh-ed25519 AAAA")


def test_one_bit_flipped_anywhere_is_refused(ident):
    data = os.urandom(200_000)
    ct = _encrypt(data, ident.to_public())
    header_len = ct.index(b"\n---") + 1
    for pos in [5, header_len - 10, header_len + 60, header_len + 70_000, len(ct) - 1]:
        bad = bytearray(ct)
        bad[pos] ^= 0x01
        with pytest.raises(BundleRefused):
            _decrypt(bytes(bad), ident)


@pytest.mark.parametrize("cut", [1, 16, 65536 + 16])
def test_truncated_payload_is_refused(ident, cut):
    ct = _encrypt(os.urandom(200_000), ident.to_public())
    with pytest.raises(BundleRefused, match="damaged"):
        _decrypt(ct[:-cut], ident)


def test_truncated_at_a_chunk_boundary_is_refused(ident):
    ct = _encrypt(os.urandom(3 * 65536), ident.to_public())
    body = ct.index(b"\n---") + 1
    body = ct.index(b"\n", body) + 1 + 16  # past the MAC line and the 16-byte nonce
    with pytest.raises(BundleRefused):
        _decrypt(ct[: body + 2 * (65536 + 16)], ident)


def test_plaintext_cap_is_enforced_while_streaming(ident):
    ct = _encrypt(os.urandom(200_000), ident.to_public())
    out = io.BytesIO()
    with pytest.raises(BundleRefused, match="larger than the limit"):
        agefile.decrypt(io.BytesIO(ct), [ident], out, max_plaintext=100_000)
    assert out.tell() <= 100_000


def test_cancel_stops_decryption(ident):
    ct = _encrypt(os.urandom(200_000), ident.to_public())
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        agefile.decrypt(io.BytesIO(ct), [ident], io.BytesIO(), cancel=token)


def test_progress_reports_plaintext_bytes(ident):
    seen: list[int] = []
    ct = _encrypt(os.urandom(100_000), ident.to_public())
    agefile.decrypt(io.BytesIO(ct), [ident], io.BytesIO(), progress=lambda d, t, w: seen.append(d))
    assert seen[-1] == 100_000 and seen == sorted(seen)


def test_passphrase_file_is_refused_before_any_scrypt_work(ident, monkeypatch):
    ct = pyrage.passphrase.encrypt(b"secret", "pw")
    called = []
    monkeypatch.setattr(pyrage, "decrypt_io", lambda *a: called.append(a))
    with pytest.raises(BundleRefused, match="passphrase-protected"):
        _decrypt(ct, ident)
    assert called == []


def test_scrypt_stanza_with_absurd_work_factor_is_refused_without_parsing_it(ident):
    header = (
        b"age-encryption.org/v1\n-> scrypt AAAAAAAAAAAAAAAAAAAAAA 99999999999999\n"
        b"AAAA\n--- " + b"A" * 43 + b"\n"
    )
    with pytest.raises(BundleRefused, match="passphrase-protected"):
        _decrypt(header + bytes(32), ident)


def test_armored_file_is_refused(ident):
    with pytest.raises(BundleRefused, match="armored"):
        _decrypt(b"-----BEGIN AGE ENCRYPTED FILE-----\nYWdl\n", ident)


def test_plugin_stanza_is_refused(ident):
    ct = _encrypt(b"x", ident.to_public())
    bad = ct.replace(b"-> X25519", b"-> piv-p256 abc\nAAAA\n-> X25519", 1)
    with pytest.raises(BundleRefused, match="recipient type"):
        _decrypt(bad, ident)


def test_header_over_the_cap_is_refused_without_reading_on(ident):
    grease = b"".join(b"-> x-grease\n" + b"A" * 64 + b"\n\n" for _ in range(1000))
    huge = b"age-encryption.org/v1\n" + grease

    class Counting(io.BytesIO):
        read_total = 0

        def read(self, n=-1):
            data = super().read(n)
            Counting.read_total += len(data)
            return data

    with pytest.raises(BundleRefused, match="header is larger"):
        agefile.decrypt(Counting(huge + bytes(10**6)), [ident], io.BytesIO())
    assert Counting.read_total <= 64 * 1024


def test_too_many_stanzas_are_refused(ident):
    many = b"".join(b"-> x-grease\n\n" for _ in range(65))
    ct = b"age-encryption.org/v1\n" + many + b"--- " + b"A" * 43 + b"\n"
    with pytest.raises(BundleRefused, match="more than 64"):
        _decrypt(ct, ident)


@pytest.mark.parametrize(
    "blob,reason",
    [(b"", "truncated"), (b"PK\x03\x04", "not an age v1"), (b"age-encryption.org/v2\n", "version")],
)
def test_foreign_files_are_refused(ident, blob, reason):
    with pytest.raises(BundleRefused, match=reason):
        _decrypt(blob, ident)


def test_no_identities_is_a_programming_error():
    with pytest.raises(ValueError):
        agefile.decrypt(io.BytesIO(b""), [], io.BytesIO())


def _with_stanza_before_x25519(ct: bytes, stanza: bytes) -> bytes:
    return ct.replace(b"-> X25519", stanza + b"-> X25519", 1)


@pytest.mark.parametrize("name", [b"pq-grease", b"mlkem-grease", b"a-grease"])
def test_grease_stanzas_pass_the_header_check_whatever_their_name(ident, name):
    # age adds one randomly named "*-grease" stanza to every file; about 1 in 1,000 names
    # begins with "pq", which an early prefix check took for a post-quantum recipient.
    ct = _with_stanza_before_x25519(_encrypt(b"x", ident.to_public()), b"-> " + name + b"\n\n")
    header = agefile.inspect_header(io.BytesIO(ct))
    assert header.grease_stanzas >= 1 and header.x25519_stanzas == 1


@pytest.mark.parametrize("name", [b"mlkem768x25519", b"MLKEM768X25519"])
def test_post_quantum_stanzas_are_refused_before_decryption(ident, name):
    ct = _with_stanza_before_x25519(_encrypt(b"x", ident.to_public()), b"-> " + name + b"\n\n")
    with pytest.raises(BundleRefused, match="post-quantum"):
        agefile.inspect_header(io.BytesIO(ct))
