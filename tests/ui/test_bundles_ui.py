"""Export and import through the GUI on real vaults: recipients, cases, a random file name,
progress and cancel, the withheld list, the signer shown before decrypting, counts, receipts,
refusals shown with the core's own message (and nothing changed), drops on the window."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from bundle_support import (
    Party,
    export,
    import_,
    make_party,
    new_case,
    trust,
)
from bundle_ui_helpers import flip_byte, last_dialog, open_window, unlock_on, wait_idle
from PySide6.QtCore import QMimeData, QPoint, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from intake_app.bundles.verify import verify_bundle
from intake_app.errors import BundleRefused
from intake_app.identity.card import card_of
from ui import bundle_services, dialogs
from ui.widgets.fingerprint import grouped


@pytest.fixture
def parties(tmp_path: Path) -> dict[str, Party]:
    monitor = make_party(tmp_path, "Aigerim Monitor", "monitor")
    coordinator = make_party(tmp_path, "Coordinator Ұлан", "coordinator")
    outsider = make_party(tmp_path, "Outsider", "coordinator")
    trust(monitor, coordinator, outsider)
    trust(coordinator, monitor)
    return {"monitor": monitor, "coordinator": coordinator, "outsider": outsider}


def _shown(kind: dialogs.Kind) -> list[dialogs.Shown]:
    return [s for s in dialogs.shown() if s.kind == kind]


def _export_through_dialog(window, qtbot, to: Party, out: Path):  # noqa: ANN001, ANN202
    window.export_action.trigger()
    dialog = last_dialog(window)
    dialog.check_recipient(to.fingerprint)
    dialogs.set_next_answer(out)
    dialog.choose_button.click()
    assert dialog.export_button.isEnabled()
    dialog.export_button.click()
    wait_idle(dialog, qtbot)
    return dialog


def test_export_from_one_vault_and_import_into_another_through_the_dialogs(
        parties, make_window, qtbot, monkeypatch, tmp_path) -> None:  # fmt: skip
    monitor, coordinator = parties["monitor"], parties["coordinator"]
    new_case(monitor, {"victim.pseudonym": "Сәуле-1"})
    new_case(monitor, {"victim.pseudonym": "Арман-2"})
    new_case(monitor, {"consent.interview": "yes", "consent.share.coalition": "no",
                       "victim.pseudonym": "Withheld-3"})  # fmt: skip
    window = open_window(make_window, monitor, qtbot, monkeypatch, language="en")
    out_dir = tmp_path / "usb"
    out_dir.mkdir()
    dialog = _export_through_dialog(window, qtbot, coordinator, out_dir / "chosen")

    # The name offered is random: never a case, a pseudonym or the monitor.
    suggested = _shown(dialogs.Kind.SAVE_FILE)[-1].text
    assert re.fullmatch(r"[0-9a-f]{16}\.intake", suggested)
    result = dialog.export_result
    assert result is not None and result.path == out_dir / "chosen.intake"
    assert result.path.is_file() and not list(out_dir.glob(".intake-export-*"))
    assert result.case_count == 2 and len(result.withheld) == 1
    assert "2 case(s)" in dialog.result_text.text()
    assert "Withheld (not sent): 1 case(s)." in dialog.result_text.text()
    withheld = dialog.withheld.item(0).text()
    assert "Withheld-3" in withheld and "did not agree" in withheld
    assert not dialog.export_button.isVisible()
    dialog.cancel_button.click()  # now "Close"
    qtbot.waitUntil(lambda: not window.case_screens.bundles.dialogs)

    unlock_on(window, coordinator, qtbot)
    dialogs.set_next_answer([result.path])
    window.import_action.trigger()
    dialog = last_dialog(window)
    wait_idle(dialog, qtbot)
    # The signer, before anything is decrypted.
    assert dialog.check is not None and dialog.import_result is None
    assert dialog.signer_name.text() == "Aigerim Monitor"
    assert dialog.signer_fingerprint.text() == grouped(monitor.fingerprint)
    assert dialog.signer_status.text() == "trusted contact"
    assert window.session.cases.count() == 0
    dialog.import_button.click()
    wait_idle(dialog, qtbot)
    assert dialog.import_result is not None
    counts = dialog.counts.text()
    assert "New versions: 2" in counts and "Versions already here: 0" in counts
    assert "Cases with conflicting versions: 0" in counts
    assert "The sender withheld 1 case(s)" in counts
    assert window.session.cases.count() == 2

    # A receipt for the sender, which the sender's vault accepts.
    assert dialog.receipt_button.isVisible()
    dialogs.set_next_answer(tmp_path / "receipt")
    dialog.receipt_button.click()
    wait_idle(dialog, qtbot)
    assert dialog.receipt is not None and dialog.receipt.path == tmp_path / "receipt.intake"
    window.lock()
    back = import_(monitor, dialog.receipt.path)
    assert back.receipts


def test_a_repeated_import_says_so_and_offers_no_receipt(
        parties, make_window, qtbot, monkeypatch, tmp_path) -> None:  # fmt: skip
    monitor, coordinator = parties["monitor"], parties["coordinator"]
    new_case(monitor)
    bundle = export(monitor, tmp_path / "b.intake", coordinator.fingerprint)
    import_(coordinator, bundle)
    window = open_window(make_window, coordinator, qtbot, monkeypatch, language="en")
    dialogs.set_next_answer([bundle])
    window.import_action.trigger()
    dialog = last_dialog(window)
    wait_idle(dialog, qtbot)
    dialog.import_button.click()
    wait_idle(dialog, qtbot)
    assert dialog.import_result.already_imported
    assert dialog.status.text() == "This bundle was imported before; nothing was changed."
    assert not dialog.receipt_button.isVisible()


def test_tampered_bundle_is_refused_with_the_core_message_and_nothing_changes(
        parties, make_window, qtbot, monkeypatch, tmp_path) -> None:  # fmt: skip
    monitor, coordinator = parties["monitor"], parties["coordinator"]
    new_case(monitor)
    bundle = export(monitor, tmp_path / "t.intake", coordinator.fingerprint)
    flip_byte(bundle, bundle.stat().st_size // 2)  # one bit inside payload.age
    window = open_window(make_window, coordinator, qtbot, monkeypatch, language="en")
    with pytest.raises(BundleRefused) as refused:
        verify_bundle(window.session.vault, bundle)
    dialogs.set_next_answer([bundle])  # the file dialog, then the error dialog
    dialogs.set_next_answer(True)
    window.import_action.trigger()
    dialog = last_dialog(window)
    wait_idle(dialog, qtbot)
    errors = _shown(dialogs.Kind.ERROR)
    assert errors and errors[-1].text == refused.value.message
    assert "Traceback" not in errors[-1].text
    assert dialog.check is None and not dialog.import_button.isEnabled()
    assert dialog.status.text() == "The bundle was refused; nothing was changed."
    assert window.session.cases.count() == 0


def test_bundle_not_addressed_to_this_vault_is_refused_at_import(
        parties, make_window, qtbot, monkeypatch, tmp_path) -> None:  # fmt: skip
    monitor, coordinator, outsider = (parties[k] for k in ("monitor", "coordinator",
                                                           "outsider"))
    new_case(monitor)
    bundle = export(monitor, tmp_path / "o.intake", outsider.fingerprint)
    window = open_window(make_window, coordinator, qtbot, monkeypatch, language="en")
    seen_before = window.session.vault.conn.execute("SELECT count(*) FROM bundles_seen").fetchone()
    dialogs.set_next_answer([bundle])
    window.import_action.trigger()
    dialog = last_dialog(window)
    wait_idle(dialog, qtbot)
    assert dialog.check is not None  # the signature is good and the signer trusted...
    dialogs.set_next_answer(True)
    dialog.import_button.click()
    wait_idle(dialog, qtbot)
    errors = _shown(dialogs.Kind.ERROR)  # ...but it cannot be opened here
    assert errors and errors[-1].title == "Bundle refused"
    assert "addressed" in errors[-1].text or "recipient" in errors[-1].text
    assert dialog.import_result is None and dialog.error_message == errors[-1].text
    conn = window.session.vault.conn
    assert conn.execute("SELECT count(*) FROM bundles_seen").fetchone() == seen_before
    assert window.session.cases.count() == 0


def _drop(window, path: Path) -> tuple[bool, bool]:  # noqa: ANN001
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    actions = Qt.DropAction.CopyAction
    buttons, mods = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(QPoint(10, 10), actions, mime, buttons, mods)
    QApplication.sendEvent(window, enter)
    drop = QDropEvent(QPoint(10, 10).toPointF(), actions, mime, buttons, mods)
    QApplication.sendEvent(window, drop)
    return enter.isAccepted(), drop.isAccepted()


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # QDragEnterEvent(QPoint, …)
def test_dropping_a_bundle_on_the_window_opens_the_import_dialog(
        parties, make_window, qtbot, monkeypatch, tmp_path) -> None:  # fmt: skip
    monitor, coordinator = parties["monitor"], parties["coordinator"]
    new_case(monitor)
    bundle = export(monitor, tmp_path / "d.intake", coordinator.fingerprint)
    other = tmp_path / "notes.txt"
    other.write_text("not a bundle")
    window = open_window(make_window, coordinator, qtbot, monkeypatch, language="en")
    assert _drop(window, other) == (False, False)
    assert not window.case_screens.bundles.dialogs
    assert _drop(window, bundle)[1]
    dialog = last_dialog(window)
    assert dialog.path == bundle
    wait_idle(dialog, qtbot)
    assert dialog.signer_name.text() == "Aigerim Monitor"
    window.lock()  # closes the dialog; the window stops taking drops
    assert not window.acceptDrops()


def test_card_file_recipient_needs_the_comparison_and_a_swapped_card_sends_nothing(
        parties, make_window, qtbot, monkeypatch, tmp_path) -> None:  # fmt: skip
    monitor, coordinator, outsider = (parties[k] for k in ("monitor", "coordinator",
                                                           "outsider"))
    new_case(monitor)
    stranger = make_party(tmp_path, "Stranger", "lawyer")
    card = tmp_path / "card.json"
    card.write_bytes(card_of(stranger.identity).to_bytes())
    window = open_window(make_window, monitor, qtbot, monkeypatch, language="en")
    window.export_action.trigger()
    dialog = last_dialog(window)
    dialogs.set_next_answer([card])
    dialog.load_card_button.click()
    assert dialog.card_panel.isVisible()
    assert dialog.card_review.fingerprint.text() == grouped(stranger.fingerprint)
    assert not dialog.use_card_button.isEnabled()  # not before the comparison
    dialog.card_review.compared.click()
    assert dialog.use_card_button.isEnabled()
    dialog.use_card_button.click()
    assert dialog.chosen_card_files() == [(card, stranger.fingerprint)]
    # The file is swapped after the comparison: nothing may go to the new key.
    card.write_bytes(card_of(outsider.identity).to_bytes())
    out = tmp_path / "swap.intake"
    dialogs.set_next_answer(out)
    dialog.choose_button.click()
    dialogs.set_next_answer(True)
    dialog.export_button.click()
    wait_idle(dialog, qtbot)
    assert "changed after you compared" in _shown(dialogs.Kind.ERROR)[-1].text
    assert not out.exists() and dialog.export_result is None
    del coordinator


def test_cancelled_export_leaves_no_file(parties, make_window, qtbot, monkeypatch,
                                         tmp_path) -> None:  # fmt: skip
    monitor, coordinator = parties["monitor"], parties["coordinator"]
    case_id = new_case(monitor)
    big = tmp_path / "scan.bin"
    big.write_bytes(b"\x00" * (24 * 1024 * 1024))
    from bundle_support import attach

    attach(monitor, case_id, big)
    window = open_window(make_window, monitor, qtbot, monkeypatch, language="en")
    window.export_action.trigger()
    dialog = last_dialog(window)
    dialog.check_recipient(coordinator.fingerprint)
    out = tmp_path / "out" / "c.intake"
    out.parent.mkdir()
    dialogs.set_next_answer(out)
    dialog.choose_button.click()
    dialog.export_button.click()
    dialog.reject()  # Escape / Cancel while it runs: cancels, keeps the dialog open
    assert dialog.isVisible()
    wait_idle(dialog, qtbot)
    assert dialog.status.text() == "Export cancelled; nothing was written."
    assert list(out.parent.iterdir()) == []
    assert dialog.export_button.isEnabled()  # the person may try again


def test_revoked_contacts_are_not_offered_as_recipients(parties, make_window, qtbot,
                                                        monkeypatch) -> None:  # fmt: skip
    from intake_app.identity.trust import TrustRegistry

    monitor, outsider = parties["monitor"], parties["outsider"]
    vault = monitor.open()
    try:
        TrustRegistry(vault).revoke(outsider.fingerprint)
    finally:
        vault.close()
    window = open_window(make_window, monitor, qtbot, monkeypatch, language="en")
    window.export_action.trigger()
    dialog = last_dialog(window)
    offered = [dialog.recipients.item(i).data(Qt.ItemDataRole.UserRole)
               for i in range(dialog.recipients.count())]  # fmt: skip
    assert offered == [parties["coordinator"].fingerprint]


def test_removable_drives_are_listed_as_quick_places(tmp_path: Path) -> None:
    for root, name in (("media", "USB STICK"), ("run/media", "Disk")):
        (tmp_path / root / "aigerim" / name).mkdir(parents=True)
    (tmp_path / "media" / "someone-else" / "Theirs").mkdir(parents=True)
    places = bundle_services.removable_places(
        "aigerim", (tmp_path / "media", tmp_path / "run" / "media"))
    assert places == [tmp_path / "media/aigerim/USB STICK", tmp_path / "run/media/aigerim/Disk"]
    assert bundle_services.removable_places("nobody", (tmp_path / "media",)) == []


def test_withheld_reasons_from_the_core_are_shown_in_the_screen_language(qtbot) -> None:
    from intake_app.lifecycle.consent import reason_for
    from ui.i18n import Translator
    from ui.windows.export_dialog import withheld_reason

    ru, kk = Translator("ru"), Translator("kk")
    assert withheld_reason(ru, reason_for("ombudsman", "no")) == (
        "человек не дал согласия на передачу сведений: Уполномоченный по правам человека "
        "(consent.share.ombudsman)")
    assert withheld_reason(kk, reason_for("lawyer", None)).startswith(
        "мәліметтерді беруге келісім туралы жауап жазылмаған: Адвокат")
    assert "неизвестно" in withheld_reason(ru, reason_for("un_sr", "unknown"))
    assert "отказался" in withheld_reason(ru, reason_for("un_sr", "declined"))
    assert withheld_reason(ru, "retracted by the person (only its tombstone is sent)") == (
        "согласие отозвано человеком (отправляется только отметка об отзыве)")
    # Anything else is shown as the core wrote it (made safe), never dropped.
    odd = "anonymous consent, but the photo cannot be stripped\u202e"
    assert withheld_reason(ru, odd) == "anonymous consent, but the photo cannot be stripped⟨U+202E⟩"


def test_privacy_screen_and_panic_blank_the_bundle_dialogs(
        parties, make_window, qtbot, monkeypatch, tmp_path) -> None:  # fmt: skip
    monitor, coordinator = parties["monitor"], parties["coordinator"]
    new_case(monitor)
    bundle = export(monitor, tmp_path / "p.intake", coordinator.fingerprint)
    window = open_window(make_window, coordinator, qtbot, monkeypatch, language="en")
    dialogs.set_next_answer([bundle])
    window.import_action.trigger()
    dialog = last_dialog(window)
    wait_idle(dialog, qtbot)
    assert dialog.isVisible()
    window.toggle_privacy()
    assert window.privacy_on and not dialog.isVisible()
    window.toggle_privacy()
    assert dialog.isVisible()
    window.export_action.trigger()
    export_dialog = last_dialog(window)
    window.panic()
    assert not dialog.isVisible() and not export_dialog.isVisible()
    assert window.case_screens is None  # locked: the dialogs were closed with the screens


def test_unknown_signer_is_refused_before_anything_is_decrypted(
        parties, make_window, qtbot, monkeypatch, tmp_path) -> None:  # fmt: skip
    outsider, coordinator = parties["outsider"], parties["coordinator"]
    trust(outsider, coordinator)
    new_case(outsider)
    bundle = export(outsider, tmp_path / "u.intake", coordinator.fingerprint)
    window = open_window(make_window, coordinator, qtbot, monkeypatch, language="en")
    dialogs.set_next_answer([bundle])
    dialogs.set_next_answer(True)
    window.import_action.trigger()
    dialog = last_dialog(window)
    wait_idle(dialog, qtbot)
    assert "not in this vault's trust registry" in _shown(dialogs.Kind.ERROR)[-1].text
    assert dialog.check is None and not dialog.signer_box.isVisible()
    assert window.session.cases.count() == 0


def test_revoked_signer_is_shown_as_revoked_and_a_later_bundle_refused(
        parties, make_window, qtbot, monkeypatch, tmp_path) -> None:  # fmt: skip
    from intake_app.bundles.export import export_bundle
    from intake_app.identity.trust import TrustRegistry

    monitor, coordinator = parties["monitor"], parties["coordinator"]
    new_case(monitor)
    vault = monitor.open()
    try:
        seq = export_bundle(vault, [coordinator.fingerprint], tmp_path / "r.intake").seq
    finally:
        vault.close()
    vault = coordinator.open()
    try:  # the owner confirms only the bundles before this one
        TrustRegistry(vault).revoke(monitor.fingerprint, seq - 1)
    finally:
        vault.close()
    window = open_window(make_window, coordinator, qtbot, monkeypatch, language="en")
    dialogs.set_next_answer([tmp_path / "r.intake"])
    window.import_action.trigger()
    dialog = last_dialog(window)
    wait_idle(dialog, qtbot)
    assert dialog.signer_status.text() == "REVOKED key"
    assert dialog.revoked_warning.isVisible()
    dialogs.set_next_answer(True)
    dialog.import_button.click()
    wait_idle(dialog, qtbot)
    refused = _shown(dialogs.Kind.ERROR)[-1]
    assert refused.title == "Bundle refused" and "revoked" in refused.text
    assert dialog.import_result is None and window.session.cases.count() == 0
