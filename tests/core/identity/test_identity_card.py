"""Identity cards: self-signed, strictly parsed; every alteration refused clearly."""

from __future__ import annotations

import base64
import json

import pytest

from intake_app.identity import keys
from intake_app.identity.card import InvalidCard, card_of, parse_card
from intake_app.identity.keys import DeviceIdentity


@pytest.fixture(scope="module")
def identity() -> DeviceIdentity:
    return DeviceIdentity.generate("Айгүл Монитор", "monitor")


@pytest.fixture(scope="module")
def card_doc(identity) -> dict:
    return json.loads(card_of(identity).to_bytes())


def _parse(doc: dict):
    return parse_card(json.dumps(doc, ensure_ascii=False).encode())


def test_card_round_trip_keeps_everything(identity):
    card = parse_card(card_of(identity).to_bytes())
    assert card.fingerprint == identity.fingerprint
    assert card.age_recipient == identity.age_recipient
    assert card.minisign_public_key == identity.minisign_public_key
    assert card.name == "Айгүл Монитор" and card.role == "monitor"
    assert card.minisign_key.key_line == identity.minisign_public_key
    assert card.fingerprint_display == identity.fingerprint_display


def test_card_json_has_the_documented_fields(card_doc):
    assert sorted(card_doc) == sorted(
        [
            "format",
            "name",
            "role",
            "category",
            "ed25519_public_key",
            "age_recipient",
            "minisign_public_key",
            "fingerprint",
            "signature",
        ]
    )
    assert card_doc["format"] == "intake-card-v1"


def test_edited_name_breaks_the_self_signature(card_doc):
    with pytest.raises(InvalidCard, match="self-signature"):
        _parse({**card_doc, "name": "Someone else"})


def test_swapped_encryption_key_changes_the_fingerprint(card_doc):
    other = DeviceIdentity.generate("x", "monitor")
    with pytest.raises(InvalidCard, match="fingerprint does not match"):
        _parse({**card_doc, "age_recipient": other.age_recipient})


def test_swapped_key_with_recomputed_fingerprint_still_fails_the_signature(card_doc):
    other = DeviceIdentity.generate("x", "monitor")
    ed = base64.b64decode(card_doc["ed25519_public_key"])
    forged = {
        **card_doc,
        "age_recipient": other.age_recipient,
        "fingerprint": keys.fingerprint(ed, other.x25519_public_key),
    }
    with pytest.raises(InvalidCard, match="self-signature"):
        _parse(forged)


def test_card_resigned_by_another_key_is_refused(card_doc):
    other = DeviceIdentity.generate("x", "monitor")
    forged = {**card_doc, "signature": json.loads(card_of(other).to_bytes())["signature"]}
    with pytest.raises(InvalidCard, match="self-signature"):
        _parse(forged)


def test_minisign_key_of_another_device_is_refused(card_doc):
    other = DeviceIdentity.generate("x", "monitor")
    with pytest.raises(InvalidCard, match="minisign key"):
        _parse({**card_doc, "minisign_public_key": other.minisign_public_key})


@pytest.mark.parametrize(
    "change,reason",
    [
        ({"format": "intake-card-v2"}, "known format"),
        ({"extra": "x"}, "unexpected extra"),
        ({"role": "spy"}, "Unknown role"),
        ({"category": "press"}, "recipient category"),
        ({"name": "evil\u202eName"}, "control or formatting"),
        ({"name": ""}, "must not be empty"),
        ({"ed25519_public_key": "!!!!"}, "base64"),
        ({"ed25519_public_key": base64.b64encode(bytes(31)).decode()}, "malformed"),
        ({"age_recipient": "age1notakey"}, "age recipient"),
        ({"signature": 5}, "must be text"),
    ],
)
def test_malformed_cards_are_refused(card_doc, change, reason):
    with pytest.raises(InvalidCard, match=reason):
        _parse({**card_doc, **change})


def test_missing_field_is_named(card_doc):
    doc = dict(card_doc)
    del doc["fingerprint"]
    with pytest.raises(InvalidCard, match="missing fingerprint"):
        _parse(doc)


@pytest.mark.parametrize(
    "blob",
    [
        b"",
        b"[]",
        b"\xff\xfe",
        b'{"format": "intake-card-v1", "format": "x"}',
        b"{" * 100,
        b"{}" + b" " * 20000,
    ],
    ids=["empty", "array", "not-utf8", "duplicate-key", "deep", "too-large"],
)
def test_non_cards_are_refused(blob):
    with pytest.raises(InvalidCard):
        parse_card(blob)
