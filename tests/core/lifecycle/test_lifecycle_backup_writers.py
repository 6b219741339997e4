"""A backup does not stop the monitor's work: the database copy is made while other writers
go on, and the backup stays one consistent moment even when an attachment is erased while the
copy is being made."""

from __future__ import annotations

import contextlib
import os
import tarfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from intake_app.cases.attachments import delete_blob
from intake_app.cases.store import CaseStore
from intake_app.lifecycle.backup import backup, restore
from intake_app.vault import Vault


class _Spy:
    """The copy's connection, with a hook run just before or after its VACUUM INTO."""

    def __init__(self, conn: Any, before: Callable[[], None], after: Callable[[], None]) -> None:
        self._conn, self._before, self._after = conn, before, after

    def execute(self, sql: str, *args: Any) -> Any:
        copying = sql.startswith("VACUUM INTO")
        if copying:
            self._before()
        result = self._conn.execute(sql, *args)
        if copying:
            self._after()
        return result

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


def _spy_on_copies(
    monkeypatch: pytest.MonkeyPatch,
    before: Callable[[], None] = lambda: None,
    after: Callable[[], None] = lambda: None,
) -> list[int]:
    real = Vault.copying
    copies: list[int] = []

    @contextlib.contextmanager
    def copying(self: Vault) -> Iterator[Any]:
        copies.append(1)
        with real(self) as conn:
            yield _Spy(conn, before, after)

    monkeypatch.setattr(Vault, "copying", copying)
    return copies


def _in_another_thread(work: Callable[[], None]) -> str:
    """Run `work` on another thread (as the GUI's autosave worker would); its outcome."""
    outcome: list[str] = []

    def run() -> None:
        try:
            work()
            outcome.append("done")
        except Exception as exc:  # reported to the test, which names it
            outcome.append(f"{type(exc).__name__}: {exc}")

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=30)
    return outcome[0] if outcome else "still waiting"


def _case_with_files(vault: Vault, tmp_path: Path, count: int) -> list[str]:
    store = CaseStore(vault)
    case_id = store.new_case({"victim.pseudonym": "B-7", "consent.interview": "yes"})
    shas = []
    for i in range(count):
        photo = tmp_path / f"photo-{i}.bin"
        photo.write_bytes(os.urandom(300_000 + i))
        shas.append(store.attach(case_id, photo)[1]["sha256"])
    return shas


def test_writers_go_on_while_the_backup_copies_the_database(
    vault: Vault, tmp_path: Path, passphrase: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _case_with_files(vault, tmp_path, 2)

    def autosave() -> None:
        with vault.write() as conn:
            vault.audit(conn, "test.autosave")

    seen: list[str] = []
    copies = _spy_on_copies(monkeypatch, before=lambda: seen.append(_in_another_thread(autosave)))
    backup(vault, tmp_path / "v.backup")
    # Before, the copy held the writer lock: this write waited 5 s and failed as busy.
    assert seen == ["done"]
    assert len(copies) == 1
    restore(tmp_path / "v.backup", tmp_path / "restored", passphrase)
    Vault.open(tmp_path / "restored", passphrase).close()


def test_an_attachment_erased_during_the_copy_gives_a_backup_of_one_moment(
    vault: Vault, tmp_path: Path, passphrase: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    kept, erased = _case_with_files(vault, tmp_path, 2)

    def erase() -> None:
        with vault.write() as conn:  # commits, then removes the file
            delete_blob(conn, erased)

    outcomes: list[str] = []

    def after() -> None:
        if not outcomes:  # only after the first copy: the second one holds the writer lock
            outcomes.append(_in_another_thread(erase))

    copies = _spy_on_copies(monkeypatch, after=after)
    written = backup(vault, tmp_path / "v.backup")
    assert outcomes == ["done"]
    assert len(copies) == 2  # the first copy named a file that was gone: made again
    assert written.cases == 1
    with tarfile.open(tmp_path / "v.backup") as tar:
        files = [n for n in tar.getnames() if n.startswith("blobs/")]
    assert len(files) == 1
    restore(tmp_path / "v.backup", tmp_path / "restored", passphrase)  # checks every hash
    with Vault.open(tmp_path / "restored", passphrase) as copy:
        shas = {row[0] for row in copy.conn.execute("SELECT sha256 FROM blobs")}
    assert shas == {kept}
    assert not list(vault.path.glob(".blob-links-*"))  # the first copy's links were removed
