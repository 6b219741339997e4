"""minisign signatures: round trips, streaming, strict parsing, every tampering refused."""

from __future__ import annotations

import base64
import io

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from intake_app.bundles import minisign
from intake_app.errors import BundleRefused

KEY_ID = bytes.fromhex("0102030405060708")


@pytest.fixture()
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def test_sign_verify_round_trip_returns_trusted_comment(key):
    pub = minisign.public_key_of(key, KEY_ID)
    text = minisign.sign(key, KEY_ID, b"payload", "intake-bundle-v1 id=ab seq=7")
    assert minisign.verify(text, pub, b"payload") == "intake-bundle-v1 id=ab seq=7"


def test_signature_file_has_minisign_layout(key):
    text = minisign.sign(key, KEY_ID, b"x", "tc", "uc")
    lines = text.split("\n")
    assert lines[0] == "untrusted comment: uc"
    assert lines[2] == "trusted comment: tc"
    assert lines[4] == "" and len(lines) == 5
    raw = base64.b64decode(lines[1])
    assert raw[:2] == b"ED" and raw[2:10] == KEY_ID and len(raw) == 74


def test_streaming_file_and_iterable_give_same_signature_input(key):
    data = bytes(range(256)) * 10_000
    pub = minisign.public_key_of(key, KEY_ID)
    text = minisign.sign(key, KEY_ID, io.BytesIO(data), "tc")
    assert minisign.verify(text, pub, iter([data[:1000], data[1000:]])) == "tc"
    assert minisign.verify(text, pub, data) == "tc"


def test_data_changed_by_one_bit_is_refused(key):
    pub = minisign.public_key_of(key, KEY_ID)
    text = minisign.sign(key, KEY_ID, b"payload", "tc")
    with pytest.raises(BundleRefused, match="does not match the data"):
        minisign.verify(text, pub, b"paylobd")


def test_trusted_comment_edited_is_refused(key):
    pub = minisign.public_key_of(key, KEY_ID)
    text = minisign.sign(key, KEY_ID, b"p", "intake-bundle-v1 id=ab seq=7")
    forged = text.replace("seq=7", "seq=8")
    with pytest.raises(BundleRefused, match="trusted comment"):
        minisign.verify(forged, pub, b"p")


def test_signature_by_another_key_with_same_key_id_is_refused(key):
    other = Ed25519PrivateKey.generate()
    text = minisign.sign(other, KEY_ID, b"p", "tc")
    with pytest.raises(BundleRefused):
        minisign.verify(text, minisign.public_key_of(key, KEY_ID), b"p")


def test_signature_with_other_key_id_is_refused_naming_both(key):
    text = minisign.sign(key, bytes(8), b"p", "tc")
    with pytest.raises(BundleRefused, match="another key"):
        minisign.verify(text, minisign.public_key_of(key, KEY_ID), b"p")


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: "",
        lambda t: t.replace("\n", "\r\n"),
        lambda t: t + "extra line\n",
        lambda t: "\n".join(t.split("\n")[1:]),
        lambda t: t.replace("untrusted comment: ", "comment: "),
        lambda t: t.replace("trusted comment: ", "trusted: "),
        lambda t: t.replace(t.split("\n")[1], t.split("\n")[1][:-4]),
        lambda t: t.replace(t.split("\n")[1], t.split("\n")[1][:-1] + "!"),
        lambda t: "x" * 5000,
    ],
    ids=[
        "empty",
        "crlf",
        "five-lines",
        "three-lines",
        "no-untrusted",
        "no-trusted",
        "short-signature",
        "bad-base64",
        "huge",
    ],
)
def test_malformed_signature_files_are_refused(key, mangle):
    text = minisign.sign(key, KEY_ID, b"p", "tc")
    with pytest.raises(BundleRefused):
        minisign.verify(mangle(text), minisign.public_key_of(key, KEY_ID), b"p")


def test_legacy_unhashed_algorithm_is_refused(key):
    text = minisign.sign(key, KEY_ID, b"p", "tc")
    line = text.split("\n")[1]
    raw = base64.b64decode(line)
    legacy = base64.b64encode(b"Ed" + raw[2:]).decode()
    with pytest.raises(BundleRefused, match="legacy"):
        minisign.verify(text.replace(line, legacy), minisign.public_key_of(key, KEY_ID), b"p")


def test_non_utf8_signature_bytes_are_refused(key):
    with pytest.raises(BundleRefused, match="UTF-8"):
        minisign.parse_signature(b"untrusted comment: \xff\n")


def test_signature_without_final_newline_still_parses(key):
    text = minisign.sign(key, KEY_ID, b"p", "tc")
    assert minisign.verify(text.rstrip("\n"), minisign.public_key_of(key, KEY_ID), b"p") == "tc"


def test_comments_with_newlines_cannot_be_signed(key):
    with pytest.raises(ValueError):
        minisign.sign(key, KEY_ID, b"p", "a\nb")
    with pytest.raises(ValueError):
        minisign.sign(key, KEY_ID, b"p", "x" * 1025)


def test_public_key_line_and_file_round_trip(key):
    pub = minisign.public_key_of(key, KEY_ID)
    assert minisign.parse_public_key_line(pub.key_line) == pub
    text = minisign.public_key_file(pub)
    assert text.startswith("untrusted comment: minisign public key 0807060504030201\n")
    assert minisign.parse_public_key_file(text) == pub


@pytest.mark.parametrize(
    "line",
    [
        "",
        "RWQ",
        "!!!!",
        base64.b64encode(b"Ex" + bytes(40)).decode(),
        base64.b64encode(b"Ed" + bytes(39)).decode(),
    ],
)
def test_bad_public_keys_are_refused(line):
    with pytest.raises(BundleRefused):
        minisign.parse_public_key_line(line)


def test_public_key_file_needs_two_lines(key):
    pub = minisign.public_key_of(key, KEY_ID)
    with pytest.raises(BundleRefused):
        minisign.parse_public_key_file(pub.key_line)
