"""Revision ids, chains and author signatures."""

from __future__ import annotations

import json
import uuid

import pytest
from cases_support import HOSTILE_TEXT

from intake_app.canonical import canonical_json
from intake_app.cases.revision import (
    build_body,
    make_revision,
    parse_body,
    revision_id,
    verify_revision,
)
from intake_app.errors import BundleRefused, ValidationError

PROTOCOL = {"id": "torture-intake", "version": 1, "sha256": "ab" * 32}
CASE = str(uuid.UUID(int=7, version=4))


def _rev(identity, answers, parents=(), created_at="2022-01-11T08:00:00.000Z"):
    body = build_body(
        case_id=CASE,
        parents=list(parents),
        author=identity.fingerprint,
        created_at=created_at,
        protocol=PROTOCOL,
        answers=answers,
        attachments=[],
    )
    return make_revision(body, identity)


def test_revision_id_is_sha256_of_exact_canonical_body(identity):
    rev = _rev(identity, {"victim.sex": "male"})
    assert rev.body_bytes == canonical_json(rev.body)
    assert rev.id == revision_id(rev.body_bytes)
    again = verify_revision(rev.body_bytes, rev.signature, identity.ed25519_public_key)
    assert again.id == rev.id and again.body == rev.body


def test_chain_names_parent_and_parents_are_sorted(identity):
    a = _rev(identity, {"victim.sex": "male"})
    b = _rev(identity, {"victim.sex": "male"}, created_at="2022-01-11T08:00:00.001Z")
    child = _rev(identity, {"victim.sex": "female"}, parents=[b.id, a.id, a.id])
    assert child.parents == sorted({a.id, b.id})


def test_reverting_an_answer_makes_a_new_id(identity):
    first = _rev(identity, {"victim.sex": "male"})
    second = _rev(identity, {"victim.sex": "female"}, parents=[first.id])
    reverted = _rev(identity, {"victim.sex": "male"}, parents=[second.id])
    assert len({first.id, second.id, reverted.id}) == 3


def test_same_content_by_another_author_has_another_id(identity, other_identity):
    assert _rev(identity, {"a": "1"}).id != _rev(other_identity, {"a": "1"}).id


def test_signature_fails_on_one_changed_byte(identity):
    rev = _rev(identity, {"incident.narrative": "били дубинками"})
    tampered = rev.body_bytes.replace("дубинками".encode(), "кулаками".encode())
    with pytest.raises(BundleRefused, match="signature"):
        verify_revision(tampered, rev.signature, identity.ed25519_public_key)
    bad_sig = bytes([rev.signature[0] ^ 1]) + rev.signature[1:]
    with pytest.raises(BundleRefused, match="signature"):
        verify_revision(rev.body_bytes, bad_sig, identity.ed25519_public_key)


def test_revision_signed_by_another_key_is_refused(identity, other_identity):
    rev = _rev(identity, {"a": "1"})
    with pytest.raises(BundleRefused, match="signature"):
        verify_revision(rev.body_bytes, rev.signature, other_identity.ed25519_public_key)


def test_revision_author_must_match_expected_signer(identity, other_identity):
    rev = _rev(identity, {"a": "1"})
    with pytest.raises(BundleRefused, match="another author"):
        verify_revision(
            rev.body_bytes,
            rev.signature,
            identity.ed25519_public_key,
            expected_author=other_identity.fingerprint,
        )


def test_revision_whose_content_does_not_match_its_id(identity):
    rev = _rev(identity, {"a": "1"})
    with pytest.raises(BundleRefused, match="does not match its id"):
        verify_revision(
            rev.body_bytes, rev.signature, identity.ed25519_public_key, expected_id="00" * 32
        )


@pytest.mark.parametrize(
    "mangle",
    [
        lambda b: b + b" ",
        lambda b: json.dumps(json.loads(b), indent=1).encode(),
        lambda b: b.replace(b'{"answers"', b'{"answers":{},"answers"', 1),
        lambda b: b"\xff" + b,
        lambda b: b"[" * 100 + b"]" * 100,
        lambda b: b"",
    ],
    ids=["trailing-space", "not-canonical", "duplicate-key", "invalid-utf8", "deep", "empty"],
)
def test_malformed_revision_bytes_are_refused(identity, mangle):
    rev = _rev(identity, {"a": "1"})
    with pytest.raises(BundleRefused):
        verify_revision(mangle(rev.body_bytes), rev.signature, identity.ed25519_public_key)


def test_revision_with_unsorted_parents_is_refused(identity):
    rev = _rev(identity, {"a": "1"})
    body = dict(rev.body, parents=["ff" * 32, "00" * 32])
    with pytest.raises(BundleRefused, match="parent"):
        parse_body(canonical_json(body))


def test_hostile_text_is_byte_exact_through_a_revision(identity):
    answers = {"incident.narrative": HOSTILE_TEXT, "victim.pseudonym": "Ұлан 👩‍⚕️"}
    rev = _rev(identity, answers)
    back = verify_revision(rev.body_bytes, rev.signature, identity.ed25519_public_key)
    assert back.answers == answers
    assert back.answers["incident.narrative"].encode() == HOSTILE_TEXT.encode()


def test_unrepresentable_answers_are_refused_with_a_message(identity):
    with pytest.raises(ValidationError, match="cannot be stored exactly"):
        _rev(identity, {"n": float("nan")})
    with pytest.raises(ValidationError, match="cannot be stored exactly"):
        _rev(identity, {"t": "\ud800 lone surrogate"})


def test_oversized_record_is_refused_quickly(identity):
    with pytest.raises(ValidationError, match="too large"):
        _rev(identity, {"incident.narrative": "я" * (5 * 1024 * 1024)})


@pytest.mark.parametrize(
    "entry",
    [
        {"sha256": "ab" * 32, "size": -1, "media_type": "x", "name": "n", "captured_at": None},
        {"sha256": "ab" * 32, "size": True, "media_type": "x", "name": "n", "captured_at": None},
        {"sha256": "AB" * 32, "size": 1, "media_type": "x", "name": "n", "captured_at": None},
        {"sha256": "ab" * 32, "size": 1, "media_type": "x", "name": 5, "captured_at": None},
        {"sha256": "ab" * 32, "size": 1, "media_type": "x", "name": "n"},
    ],
    ids=["negative-size", "bool-size", "upper-hex", "name-not-text", "missing-key"],
)
def test_malformed_attachment_entry_in_a_revision_is_refused(identity, entry):
    rev = _rev(identity, {"a": "1"})
    body = dict(rev.body, attachments=[entry])
    with pytest.raises(BundleRefused, match="attachment"):
        parse_body(canonical_json(body))
