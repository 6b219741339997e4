"""A writing worker reads apart from the writer connection: a task started by the real
TaskRunner saves a case, and while another thread holds a transaction open on the writer
(case renamed, not yet committed), the task's reads outside its own write() see only
committed work, on a connection of its own. Before, such reads went to the writer connection
and showed the other thread's change half done."""

from __future__ import annotations

import threading
from typing import Any

from bundle_support import SHARE_NAMED

WAIT = 30  # seconds; a bound for a broken test, never a measurement


def test_a_writing_workers_reads_never_see_another_threads_write_half_done(
    unlocked, qtbot,  # noqa: ANN001
) -> None:
    window = unlocked(language="en")
    vault = window.session.vault
    store = window.session.cases
    case_id = store.new_case({**SHARE_NAMED, "victim.pseudonym": "Before"})
    held, read = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def hold_a_rename() -> None:
        try:
            with vault.write() as conn:
                conn.execute("UPDATE case_index SET pseudonym = 'Half done' WHERE case_id = ?",
                             (case_id,))
                held.set()
                assert read.wait(WAIT)
        except BaseException as exc:  # noqa: BLE001 - asserted below
            errors.append(exc)
            held.set()

    holder = threading.Thread(target=hold_a_rename)

    def work(_progress: Any, _cancel: Any) -> tuple[list[str], bool]:
        with vault.write() as conn:  # the worker's own write, committed
            vault.audit(conn, "test.worker_write", case_id)
            writer = conn
        holder.start()
        try:
            assert held.wait(WAIT)
            names = [row.pseudonym or "" for row in store.list_page()]
            return names, vault.conn is writer
        finally:
            read.set()

    results: list[tuple[list[str], bool]] = []
    failed: list[BaseException] = []
    window.runner.start(work, on_success=results.append, on_failure=failed.append)
    qtbot.waitUntil(lambda: bool(results or failed), timeout=WAIT * 1000)
    holder.join(WAIT)
    assert not holder.is_alive() and not errors
    assert not failed
    (names, read_on_writer), = results
    assert names == ["Before"]  # committed work only
    assert not read_on_writer  # never sharing the connection the other thread writes on
    assert [row.pseudonym for row in store.list_page()] == ["Half done"]  # committed now
