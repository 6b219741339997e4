"""Contacts: my card shown large and saved, cards added only after the in-person comparison,
forged and own cards refused with the core's message, revocation confirmed in words and
recorded with its last sequence number and bundle list; keyboard-only adding."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bundle_support import Party, make_party
from bundle_ui_helpers import open_window
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from intake_app.identity.card import card_of, parse_card
from intake_app.identity.trust import TrustRegistry
from ui import dialogs
from ui.widgets.fingerprint import grouped


@pytest.fixture
def me(tmp_path: Path) -> Party:
    return make_party(tmp_path, "Coordinator Әлия", "coordinator")


@pytest.fixture
def other(tmp_path: Path) -> Party:
    return make_party(tmp_path, "Monitor Қанат", "monitor")


def _contacts(make_window, party, qtbot, monkeypatch, language: str = "en"):  # noqa: ANN001, ANN202
    window = open_window(make_window, party, qtbot, monkeypatch, language=language)
    window.contacts_action.trigger()
    screen = window.case_screens.bundles.contacts
    assert window.stack.currentWidget() is screen
    return window, screen


def _card_file(tmp_path: Path, party: Party, name: str = "card.json") -> Path:
    path = tmp_path / name
    path.write_bytes(card_of(party.identity).to_bytes())
    return path


def _errors() -> list[dialogs.Shown]:
    return [s for s in dialogs.shown() if s.kind == dialogs.Kind.ERROR]


def test_my_card_is_shown_large_and_saved_under_a_generic_name(
        me, make_window, qtbot, monkeypatch, tmp_path) -> None:  # fmt: skip
    window, screen = _contacts(make_window, me, qtbot, monkeypatch)
    assert screen.my_name.text() == "Coordinator Әлия"
    assert screen.my_role.text() == "Coordinator"
    assert screen.my_fingerprint.text() == grouped(me.fingerprint)
    assert screen.my_fingerprint.font().pointSize() >= 18
    assert len(screen.my_fingerprint.text().replace("\n", " ").split(" ")) == 8
    out = tmp_path / "out.json"
    dialogs.set_next_answer(out)
    dialogs.set_next_answer(True)
    screen.save_card_button.click()
    save = [s for s in dialogs.shown() if s.kind == dialogs.Kind.SAVE_FILE][-1]
    assert save.text == "identity-card.json"  # never the person's name
    card = parse_card(out.read_bytes())
    assert card.fingerprint == me.fingerprint and card.name == "Coordinator Әлия"
    assert out.stat().st_mode & 0o077 == 0


def test_a_card_is_added_only_after_the_comparison_in_person(
        me, other, make_window, qtbot, monkeypatch, tmp_path) -> None:  # fmt: skip
    window, screen = _contacts(make_window, me, qtbot, monkeypatch)
    dialogs.set_next_answer([_card_file(tmp_path, other)])
    screen.add_button.click()
    assert screen.add_box.isVisible()
    assert screen.review.fingerprint.text() == grouped(other.fingerprint)
    assert screen.review.name.text() == "Monitor Қанат"
    assert screen.local_name.text() == "Monitor Қанат"
    assert not screen.confirm_add_button.isEnabled()
    assert TrustRegistry(window.session.vault).contacts() == []
    screen.review.compared.click()
    screen.local_name.setText("Қанат (Oral)")
    screen.confirm_add_button.click()
    assert not screen.add_box.isVisible()
    contacts = TrustRegistry(window.session.vault).contacts()
    assert [(c.fingerprint, c.name) for c in contacts] == [(other.fingerprint, "Қанат (Oral)")]
    row = [screen.table.item(0, c).text() for c in range(screen.table.columnCount())]
    assert row[:5] == ["Қанат (Oral)", "Monitor", "Coalition",
                       " ".join(grouped(other.fingerprint).split()), "trusted"]


def test_keyboard_only_adding_a_card(me, other, make_window, qtbot, monkeypatch,
                                     tmp_path) -> None:  # fmt: skip
    window, screen = _contacts(make_window, me, qtbot, monkeypatch)
    dialogs.set_next_answer([_card_file(tmp_path, other)])
    screen.add_button.setFocus()
    QTest.keyClick(screen.add_button, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: screen.review.compared.hasFocus())
    QTest.keyClick(screen.review.compared, Qt.Key.Key_Space)
    assert screen.confirm_add_button.isEnabled()
    screen.confirm_add_button.setFocus()
    QTest.keyClick(screen.confirm_add_button, Qt.Key.Key_Space)
    assert TrustRegistry(window.session.vault).get(other.fingerprint) is not None
    for widget in (screen.table, screen.my_fingerprint, screen.review.compared,
                   screen.last_seq, screen.local_name):
        assert widget.accessibleName()


def test_forged_card_is_refused_with_the_core_message(me, other, make_window, qtbot,
                                                      monkeypatch, tmp_path) -> None:  # fmt: skip
    window, screen = _contacts(make_window, me, qtbot, monkeypatch)
    card = json.loads(card_of(other.identity).to_bytes())
    card["name"] = "Someone trusted"  # the self-signature no longer matches
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(card), encoding="utf-8")
    dialogs.set_next_answer([forged])
    dialogs.set_next_answer(True)
    screen.add_button.click()
    assert _errors() and "signature" in _errors()[-1].text.lower()
    assert not screen.add_box.isVisible()
    assert TrustRegistry(window.session.vault).contacts() == []


def test_own_card_is_refused(me, make_window, qtbot, monkeypatch, tmp_path) -> None:
    window, screen = _contacts(make_window, me, qtbot, monkeypatch)
    dialogs.set_next_answer([_card_file(tmp_path, me)])
    screen.add_button.click()
    screen.review.compared.click()
    dialogs.set_next_answer(True)
    screen.confirm_add_button.click()
    assert "own card" in _errors()[-1].text
    assert TrustRegistry(window.session.vault).contacts() == []


def _trusted(me: Party, *others: Party) -> None:
    vault = me.open()
    try:
        for party in others:
            TrustRegistry(vault).add(card_of(party.identity))
    finally:
        vault.close()


def test_revoke_says_what_happens_and_records_the_last_sequence(
        me, other, make_window, qtbot, monkeypatch) -> None:  # fmt: skip
    _trusted(me, other)
    window, screen = _contacts(make_window, me, qtbot, monkeypatch)
    assert not screen.revoke_button.isEnabled()  # nothing selected
    screen.select_fingerprint(other.fingerprint)
    screen.revoke_button.click()
    assert screen.revoke_box.isVisible()
    screen.last_seq.setText("5")
    dialogs.set_next_answer(False)  # the person thinks again
    screen.confirm_revoke_button.click()
    asked = [s for s in dialogs.shown() if s.kind == dialogs.Kind.QUESTION][-1]
    assert "above 5 will be refused" in asked.text and "cannot be undone" in asked.text
    assert not TrustRegistry(window.session.vault).get(other.fingerprint).revoked
    dialogs.set_next_answer(True)
    screen.confirm_revoke_button.click()
    contact = TrustRegistry(window.session.vault).get(other.fingerprint)
    assert contact.revoked and contact.last_seq == 5 and contact.allowed_bundle_hashes is None
    status = screen.table.item(0, 4).text()
    assert status.startswith("revoked on ") and "last bundle 5" in status
    assert not screen.revoke_button.isEnabled()  # a revoked key cannot be revoked again


def test_revoke_without_a_number_refuses_everything_and_with_a_list_only_those(
        me, other, make_window, qtbot, monkeypatch, tmp_path) -> None:  # fmt: skip
    third = make_party(tmp_path, "Third", "lawyer")
    _trusted(me, other, third)
    window, screen = _contacts(make_window, me, qtbot, monkeypatch)
    screen.select_fingerprint(other.fingerprint)
    screen.revoke_button.click()
    assert not screen.load_hashes_button.isEnabled()  # a list needs the number first
    dialogs.set_next_answer(True)
    screen.confirm_revoke_button.click()
    asked = [s for s in dialogs.shown() if s.kind == dialogs.Kind.QUESTION][-1]
    assert "Every bundle signed by" in asked.text
    contact = TrustRegistry(window.session.vault).get(other.fingerprint)
    assert contact.revoked and contact.last_seq is None

    hashes = tmp_path / "sent.txt"
    hashes.write_text("# bundles\n" + "a" * 64 + "  one.intake\n" + "b" * 64 + "\n")
    screen.select_fingerprint(third.fingerprint)
    screen.revoke_button.click()
    screen.last_seq.setText("12")
    dialogs.set_next_answer([hashes])
    screen.load_hashes_button.click()
    assert "these 2 bundles" in screen.hashes_label.text()
    dialogs.set_next_answer(True)
    screen.confirm_revoke_button.click()
    asked = [s for s in dialogs.shown() if s.kind == dialogs.Kind.QUESTION][-1]
    assert "only the 2 listed bundles" in asked.text
    contact = TrustRegistry(window.session.vault).get(third.fingerprint)
    assert contact.last_seq == 12 and contact.allowed_bundle_hashes == ("a" * 64, "b" * 64)


def test_a_bad_hash_list_changes_nothing(me, other, make_window, qtbot, monkeypatch,
                                         tmp_path) -> None:  # fmt: skip
    _trusted(me, other)
    window, screen = _contacts(make_window, me, qtbot, monkeypatch)
    screen.select_fingerprint(other.fingerprint)
    screen.revoke_button.click()
    screen.last_seq.setText("3")
    bad = tmp_path / "bad.txt"
    bad.write_text("not a hash\n")
    dialogs.set_next_answer([bad])
    dialogs.set_next_answer(True)
    screen.load_hashes_button.click()
    assert "Line 1" in _errors()[-1].text
    assert "No list of bundle hashes" in screen.hashes_label.text()
    assert not TrustRegistry(window.session.vault).get(other.fingerprint).revoked


def test_contacts_in_russian_and_kazakh(me, other, make_window, qtbot, monkeypatch) -> None:
    _trusted(me, other)
    window, screen = _contacts(make_window, me, qtbot, monkeypatch, language="kk")
    assert screen.me_box.title() == "Менің сәйкестендіру карточкам"
    assert screen.table.item(0, 4).text() == "сенімді"
    window.t.set_language("ru")
    assert screen.me_box.title() == "Моя идентификационная карточка"
    assert screen.table.horizontalHeaderItem(3).text() == "Отпечаток ключа"
    window.lock()
    assert window.case_screens is None
