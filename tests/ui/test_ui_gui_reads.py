"""The GUI reads only committed work: a worker stopped inside its save (revision written,
index rewritten, transaction still open) is invisible to the case view on the GUI thread and
to the case list's page worker, neither of which waits for it; once it commits, both see it.
Before, the GUI thread read on the workers' one connection and saw such a save half done."""

from __future__ import annotations

import threading
from typing import Any

from bundle_support import SHARE_NAMED

WAIT = 30  # seconds; a bound for a broken test, never a measurement


def _refresh_list(window: Any, qtbot: Any) -> list[str]:
    screen = window.case_screens.case_list
    with qtbot.waitSignal(screen.searchFinished, timeout=20000):
        screen.refresh()
    model = screen.model
    return [model.row(i).pseudonym for i in range(model.rowCount())]


def test_gui_reads_never_see_a_workers_save_half_done(unlocked, qtbot, monkeypatch) -> None:  # noqa: ANN001
    window = unlocked(language="en")
    session = window.session
    store = session.cases
    case_id = store.new_case({**SHARE_NAMED, "victim.pseudonym": "Before"})
    assert _refresh_list(window, qtbot) == ["Before"]

    # The save's last step inside its transaction is the audit entry: stop there.
    inside, release = threading.Event(), threading.Event()
    real_audit = session.vault.audit

    def audit_then_hold(conn: Any, action: str, record: str | None = None) -> None:
        real_audit(conn, action, record)
        if action == "case.save":
            inside.set()
            assert release.wait(WAIT)

    monkeypatch.setattr(session.vault, "audit", audit_then_hold)
    saved: list[str] = []
    failed: list[BaseException] = []
    window.runner.start(
        lambda _p, _c: store.save(case_id, {**SHARE_NAMED, "victim.pseudonym": "After"}),
        on_success=saved.append, on_failure=failed.append)
    try:
        qtbot.waitUntil(inside.is_set, timeout=WAIT * 1000)

        view = window.case_screens.case_view
        window.case_screens.show_history(case_id)  # reads on the GUI thread, now
        assert view.history.topLevelItemCount() == 1
        assert store.get(case_id).answers["victim.pseudonym"] == "Before"
        assert len(store.history(case_id)) == 1
        assert _refresh_list(window, qtbot) == ["Before"]  # the page worker's own reader
    finally:
        release.set()
    qtbot.waitUntil(lambda: bool(saved or failed), timeout=WAIT * 1000)
    assert not failed and len(saved) == 1

    window.case_screens.show_history(case_id)
    assert window.case_screens.case_view.history.topLevelItemCount() == 2
    assert store.get(case_id).answers["victim.pseudonym"] == "After"
    assert _refresh_list(window, qtbot) == ["After"]
