"""The trust registry and revocation semantics (DESIGN "Identities and trust")."""

from __future__ import annotations

import pytest

from intake_app.errors import BundleRefused, NotFound, UsageError
from intake_app.identity import trust
from intake_app.identity.card import card_of
from intake_app.identity.keys import DeviceIdentity
from intake_app.identity.trust import ContactExists, TrustRegistry, admit
from intake_app.vault import audit

H1, H2 = "1" * 64, "2" * 64


@pytest.fixture
def registry(vault) -> TrustRegistry:
    return TrustRegistry(vault)


@pytest.fixture
def monitor() -> DeviceIdentity:
    return DeviceIdentity.generate("Field monitor 7", "monitor")


def test_add_then_get_resolve_and_list(registry, monitor):
    contact, added = registry.add(card_of(monitor))
    assert added and contact.fingerprint == monitor.fingerprint
    assert contact.age_recipient == monitor.age_recipient
    assert registry.resolve("Field monitor 7") == contact
    assert registry.resolve(monitor.fingerprint_display.lower()) == contact
    assert [c.fingerprint for c in registry.contacts()] == [monitor.fingerprint]


def test_adding_the_same_card_again_changes_nothing(registry, monitor):
    registry.add(card_of(monitor))
    contact, added = registry.add(card_of(monitor), name="Other name")
    assert not added and contact.name == "Field monitor 7"


def test_own_card_is_not_added(registry, vault):
    with pytest.raises(UsageError, match="own card"):
        registry.add(card_of(vault.identity))


def test_two_contacts_cannot_share_a_name(registry, monitor):
    registry.add(card_of(monitor))
    other = DeviceIdentity.generate("Field monitor 7", "lawyer")
    with pytest.raises(ContactExists, match="--name"):
        registry.add(card_of(other))
    contact, _ = registry.add(card_of(other), name="Lawyer K")
    assert contact.name == "Lawyer K" and contact.role == "lawyer"


def test_unknown_contact_is_not_found(registry):
    with pytest.raises(NotFound):
        registry.resolve("nobody")
    with pytest.raises(NotFound):
        registry.revoke("A" * 32)


def test_trust_changes_are_audit_logged_without_names(registry, vault, monitor):
    registry.add(card_of(monitor))
    registry.revoke(monitor.fingerprint, 10)
    log = audit.entries(vault.conn)
    actions = [(e.action, e.record) for e in log]
    assert ("trust.add", monitor.fingerprint) in actions
    assert ("trust.revoke", monitor.fingerprint) in actions
    assert not any("Field monitor" in str(e) for e in log)


def _signer(registry, identity):
    return registry.signer_for_key_id(identity.minisign_key_id)


def test_signer_lookup_finds_contacts_and_this_device(registry, vault, monitor):
    registry.add(card_of(monitor))
    assert _signer(registry, monitor).contact.fingerprint == monitor.fingerprint
    own = _signer(registry, vault.identity)
    assert own.contact is None and own.fingerprint == vault.identity.fingerprint
    assert admit(own, 5, H1).signer_revoked is False


def test_unknown_signer_is_refused(registry):
    stranger = DeviceIdentity.generate("x", "monitor")
    with pytest.raises(BundleRefused, match="not in this vault's trust registry"):
        _signer(registry, stranger)


def test_not_revoked_signer_is_admitted_plainly(registry, monitor):
    registry.add(card_of(monitor))
    assert admit(_signer(registry, monitor), 10**12, H1).signer_revoked is False


def test_revoked_with_no_last_seq_refuses_everything(registry, monitor):
    registry.add(card_of(monitor))
    registry.revoke(monitor.fingerprint)
    with pytest.raises(BundleRefused, match="refused"):
        admit(_signer(registry, monitor), 0, H1)


def test_revoked_refuses_above_n_and_admits_at_or_below_n_marked(registry, monitor):
    registry.add(card_of(monitor))
    registry.revoke(monitor.fingerprint, last_seq=100)
    signer = _signer(registry, monitor)
    with pytest.raises(BundleRefused, match="after sequence 100"):
        admit(signer, 101, H1)
    assert admit(signer, 100, H1).signer_revoked is True
    assert admit(signer, 3, H2).signer_revoked is True


def test_revoked_with_hash_list_admits_only_those(registry, monitor):
    registry.add(card_of(monitor))
    contact = registry.revoke(monitor.fingerprint, last_seq=100, bundle_hashes=[H1, H1])
    assert contact.allowed_bundle_hashes == (H1,)
    signer = _signer(registry, monitor)
    assert admit(signer, 50, H1).signer_revoked is True
    with pytest.raises(BundleRefused, match="not among those"):
        admit(signer, 50, H2)
    with pytest.raises(BundleRefused, match="after sequence"):
        admit(signer, 101, H1)


def test_hash_list_needs_last_seq(registry, monitor):
    registry.add(card_of(monitor))
    with pytest.raises(UsageError, match="last-seq"):
        registry.revoke(monitor.fingerprint, bundle_hashes=[H1])


def test_revoked_key_cannot_be_trusted_again(registry, monitor):
    registry.add(card_of(monitor))
    registry.revoke(monitor.fingerprint, 1)
    with pytest.raises(ContactExists, match="revoked"):
        registry.add(card_of(monitor))


def test_each_device_sequence_at_most_once(vault, monitor):
    fp = monitor.fingerprint
    with vault.write() as conn:
        assert trust.seen_status(conn, H1, fp, 7) == "new"
        trust.record_seen(conn, H1, fp, 7, "b" * 32)
    with vault.write() as conn:
        assert trust.seen_status(conn, H1, fp, 7) == "already_imported"
        assert trust.seen_status(conn, H2, fp, 7) == "equivocation"
        assert trust.seen_status(conn, H2, fp, 6) == "new"


@pytest.mark.parametrize(
    "text,reason",
    [
        (b"", "empty"),
        (b"# only a comment\n", "empty"),
        (b"xyz\n", "Line 1"),
        (b"\xff", "UTF-8"),
        (("a" * 64 + "\n" + "g" * 64).encode(), "Line 2"),
    ],
)
def test_bad_hash_files_are_refused_naming_the_line(text, reason):
    with pytest.raises(UsageError, match=reason):
        trust.read_hash_file(text)


def test_hash_file_accepts_sha256sum_output():
    assert trust.read_hash_file(("A" * 64 + "  x.intake\n\n").encode()) == ["a" * 64]
