"""Render the bundle and trust screens in every language to screenshots/<lang>-b*.png.

Builds two throwaway vaults in a temporary folder (a monitor and a coordinator who trust each
other), sends cases from one to the other with the real core, makes a real conflict, then
shows the coordinator's contacts, export, import and conflict screens. Run through
scripts/screenshots (after scripts/render_screenshots.py, whose helpers it reuses).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402
from render_screenshots import OUT, PASSPHRASE, SIZE, settle, shoot, wait_for  # noqa: E402

SHARE = {"consent.interview": "yes", "consent.share.coalition": "named",
         "consent.share.lawyer": "named", "consent.share.un_sr": "anonymous"}  # fmt: skip


def grab(app: QApplication, widget: QWidget, lang: str, name: str) -> None:
    shoot(app, widget, lang, name)


def fit(widget: QWidget, width: int, height: int) -> None:
    """Size a dialog as asked, but never past the screen (minus a panel's worth of height)."""
    widget.resize(min(width, SIZE[0]), min(height, SIZE[1] - 48))


class World:
    """Two vaults, a first bundle already imported, a second bundle that makes a conflict."""

    def __init__(self, root: Path) -> None:
        from intake_app.bundles.export import export_bundle
        from intake_app.bundles.importer import import_bundle
        from intake_app.cases.store import CaseStore
        from intake_app.identity.card import card_of
        from intake_app.identity.trust import TrustRegistry
        from intake_app.vault import Vault

        def vault(name: str, who: str, role: str, category: str | None = None) -> Any:
            return Vault.create(root / name, PASSPHRASE, name=who, role=role,
                                category=category)

        monitor = vault("monitor", "Айгерім Сейітқызы", "monitor")
        coordinator = vault("coordinator", "Coalition coordinator", "coordinator")
        lawyer = vault("lawyer", "Адвокат Ержан", "lawyer")
        stranger = vault("stranger", "Ombudsman office", "coordinator", "ombudsman")
        self.coordinator_path = coordinator.path
        self.stranger_card = root / "stranger-card.json"
        self.stranger_card.write_bytes(card_of(stranger.identity).to_bytes())
        TrustRegistry(monitor).add(card_of(coordinator.identity))
        registry = TrustRegistry(coordinator)
        registry.add(card_of(monitor.identity), "Айгерім (Орал)")
        registry.add(card_of(lawyer.identity))
        registry.revoke(lawyer.identity.fingerprint, 41)
        self.monitor_fp = monitor.identity.fingerprint
        store = CaseStore(monitor)
        cases = [store.new_case({**SHARE, "victim.pseudonym": p, "victim.sex": s})
                 for p, s in (("Сәуле", "female"), ("Арман", "male"), ("Данияр", "male"))]
        for pseudonym, consent in (("Нұрлан", "no"), ("Ләззат", "unknown")):
            store.new_case({**SHARE, "victim.pseudonym": pseudonym,
                            "consent.share.coalition": consent})  # fmt: skip
        first = root / "first.intake"
        export_bundle(monitor, [coordinator.identity.fingerprint], first)
        import_bundle(coordinator, first)
        conflicted = cases[0]
        base = {**SHARE, "victim.pseudonym": "Сәуле", "victim.sex": "female"}
        store.save(conflicted, {**base, "incident.narrative": "Ұрды, су бермеді.",
                                "victim.citizenship": "KZ", "victim.age_at_incident": 17})
        CaseStore(coordinator).save(conflicted, {
            **base, "incident.narrative": "Били, не давали воды.",
            "victim.age_at_incident": 16})  # fmt: skip
        self.conflicted = conflicted
        # The coordinator's own cases: one may go to the ombudsman, one may not.
        own = CaseStore(coordinator)
        own.new_case({**SHARE, "victim.pseudonym": "Бауыржан", "consent.share.ombudsman": "named"})
        own.new_case({**SHARE, "victim.pseudonym": "Гүлнар", "consent.share.ombudsman": "no"})
        self.second = root / "second.intake"
        export_bundle(monitor, [coordinator.identity.fingerprint], self.second)
        for v in (monitor, coordinator, lawyer, stranger):
            v.close()


def render_language(app: QApplication, lang: str, world: World, root: Path) -> None:
    from ui import dialogs
    from ui.app import build_window
    from ui.settings import AppSettings

    settings = AppSettings(root / f"settings-{lang}.ini")
    settings.language = settings.interview_language = lang
    os.environ["INTAKE_VAULT"] = str(world.coordinator_path)
    window = build_window(app, settings)
    window.resize(*SIZE)
    window.show()
    window.show_unlock(world.coordinator_path)
    window.unlock_screen.passphrase.setText(PASSPHRASE)
    window.unlock_screen.unlock_button.click()
    wait_for(app, lambda: window.session is not None)
    bundles = window.case_screens.bundles
    dialogs.set_test_mode(True)  # answer the file dialogs from here

    contacts = bundles.show_contacts()
    dialogs.set_next_answer([world.stranger_card])
    contacts.add_button.click()
    grab(app, window, lang, "b1-contacts-add")
    contacts.cancel_add_button.click()
    contacts.select_fingerprint(world.monitor_fp)
    contacts.revoke_button.click()
    contacts.last_seq.setText("2814749767106")
    grab(app, window, lang, "b2-contacts-revoke")
    contacts.cancel_revoke_button.click()

    export = bundles.export()
    fit(export, 900, 860)
    export.check_recipient(world.monitor_fp)
    dialogs.set_next_answer([world.stranger_card])
    export.load_card_button.click()
    dialogs.set_next_answer(root / f"out-{lang}")
    export.choose_button.click()
    grab(app, export, lang, "b3-export")
    export.card_review.compared.click()
    export.use_card_button.click()
    export.check_recipient(world.monitor_fp, False)
    export.export_button.click()
    wait_for(app, lambda: export.task is None)
    grab(app, export, lang, "b4-export-result")
    export.done(0)

    dialogs.set_next_answer([world.second])
    imp = bundles.import_bundle()
    fit(imp, 820, 760)
    wait_for(app, lambda: imp.task is None)
    grab(app, imp, lang, "b5-import-signer")
    imp.import_button.click()
    wait_for(app, lambda: imp.task is None)
    grab(app, imp, lang, "b6-import-result")
    imp.resolve_button.click()
    view = bundles.conflict
    view.table.cellClicked.emit(view.keys.index("incident.narrative"), 1)
    grab(app, window, lang, "b7-conflict")
    window.case_screens.show_history(world.conflicted)
    grab(app, window, lang, "b8-case-conflict")
    dialogs.set_test_mode(False)
    window.lock()
    window.idle.detach()
    window.close()
    window.deleteLater()
    settle(app)


def main() -> int:
    os.umask(0o077)
    OUT.mkdir(parents=True, exist_ok=True)
    from ui.app import choose_font, load_stylesheet
    from ui.qt_runtime import protect_none

    protect_none()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setAttribute(Qt.ApplicationAttribute.AA_DontUseNativeDialogs, True)
    choose_font(app)
    app.setStyleSheet(load_stylesheet())
    for lang in sys.argv[1:] or ["en", "ru", "kk"]:
        # Each language starts from fresh vaults: the import and the conflict are one-shot.
        root = Path(tempfile.mkdtemp(prefix="intake-bundle-screens-"))
        try:
            render_language(app, lang, World(root), root)
        finally:
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
