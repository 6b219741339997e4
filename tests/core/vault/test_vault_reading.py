"""vault.reading(): a thread's own read-only connection that sees only committed work.

The GUI thread reads while its workers write on the vault's writer connection; a read there
once saw a worker's transaction half done. Real SQLCipher, real threads; the writer is held
mid-transaction by events, never by sleeping.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlcipher3
from bundle_support import SHARE_NAMED

from intake_app.cases.store import CaseStore
from intake_app.errors import VaultLocked
from intake_app.vault import Vault
from intake_app.vault.threads import reading_apart

WAIT = 30  # seconds; only a bound for a broken test, never a measurement


def _audit_count(conn: Any) -> int:
    return int(conn.execute("SELECT count(*) FROM audit").fetchone()[0])


class HeldWrite:
    """Another thread inside vault.write(), stopped after its first change until released."""

    def __init__(self, vault: Vault, change: Callable[[Any], None]) -> None:
        self.inside = threading.Event()
        self.release = threading.Event()
        self.error: BaseException | None = None
        self._vault, self._change = vault, change
        self._thread = threading.Thread(target=self._run)

    def _run(self) -> None:
        try:
            with self._vault.write() as conn:
                self._change(conn)
                self.inside.set()
                assert self.release.wait(WAIT)
        except BaseException as exc:  # noqa: BLE001 - reported by finish()
            self.error = exc
            self.inside.set()

    def __enter__(self) -> HeldWrite:
        self._thread.start()
        assert self.inside.wait(WAIT)
        assert self.error is None
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release.set()
        self._thread.join(WAIT)
        assert not self._thread.is_alive()
        assert self.error is None


@pytest.fixture
def reading_vault(vault: Vault) -> Iterator[Vault]:
    with vault.reading():
        yield vault


def test_reads_see_only_committed_work_while_another_thread_writes(reading_vault: Vault) -> None:
    vault = reading_vault
    before = _audit_count(vault.conn)
    with HeldWrite(vault, lambda conn: vault.audit(conn, "test.half_done")):
        # The writer has appended inside its open transaction; this thread must not see it,
        # and must not wait for it either (WAL readers never do).
        assert _audit_count(vault.conn) == before
    assert _audit_count(vault.conn) == before + 1


def test_without_reading_the_same_thread_shares_the_writer_and_sees_half_done_work(
    vault: Vault,
) -> None:
    """The failure reading() exists for: one shared connection shows uncommitted rows."""
    before = _audit_count(vault.conn)
    with HeldWrite(vault, lambda conn: vault.audit(conn, "test.half_done")):
        assert _audit_count(vault.conn) == before + 1


def test_case_reads_see_the_committed_case_while_a_worker_rewrites_the_index(
    reading_vault: Vault,
) -> None:
    store = CaseStore(reading_vault)
    case_id = store.new_case({**SHARE_NAMED, "victim.pseudonym": "Айгүл"})
    # Re-indexing a case deletes its index row before writing the new one: held in between.
    with HeldWrite(reading_vault, lambda conn: conn.execute("DELETE FROM case_index")):
        assert [c.id for c in store.list_page()] == [case_id]
        assert store.count() == 1
        assert store.get(case_id).id == case_id
    assert store.list_page() == []  # committed now, so seen


def test_the_reader_refuses_writes(reading_vault: Vault) -> None:
    with pytest.raises(sqlcipher3.OperationalError, match="readonly"):
        reading_vault.conn.execute("CREATE TABLE intruder (x)")


def test_writes_on_a_reading_thread_go_through_the_writer(reading_vault: Vault) -> None:
    vault = reading_vault
    reader = vault.conn
    before = _audit_count(reader)
    with vault.write() as conn:
        assert conn is not reader
        assert vault.conn is conn  # inside its own write, this thread reads what it wrote
        vault.audit(conn, "test.own_write")
        assert _audit_count(vault.conn) == before + 1
        assert _audit_count(reader) == before
    assert vault.conn is reader
    assert _audit_count(vault.conn) == before + 1


def test_a_draft_saved_on_a_reading_thread_lands_and_is_read_back(reading_vault: Vault) -> None:
    store = CaseStore(reading_vault)
    case_id = store.save_draft(None, {"victim.pseudonym": "Сәуле"})
    draft = store.load_draft(case_id)
    assert draft is not None and draft.answers == {"victim.pseudonym": "Сәуле"}


def test_other_threads_keep_the_writer(reading_vault: Vault) -> None:
    vault = reading_vault
    seen: list[Any] = []
    thread = threading.Thread(target=lambda: seen.append(vault.conn))
    thread.start()
    thread.join(WAIT)
    assert seen and seen[0] is not vault.conn


def test_each_reading_thread_has_its_own_connection(reading_vault: Vault) -> None:
    vault = reading_vault
    seen: list[Any] = []

    def worker() -> None:
        with vault.reading() as conn:
            seen.append((conn, vault.conn, _audit_count(conn)))

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join(WAIT)
    (conn, current, count), = seen
    assert conn is current and conn is not vault.conn
    assert count == _audit_count(vault.conn)


def test_reading_is_reentrant_and_pooled(vault: Vault) -> None:
    with vault.reading() as outer, vault.reading() as inner:
        assert inner is outer and vault.conn is outer
    assert vault.conn is not outer  # the writer again
    with vault.reading() as again:
        assert again is outer  # the idle reader was reused


def test_close_closes_the_readers_and_refuses_reads(vault: Vault) -> None:
    with vault.reading() as reader:
        vault.close()
        with pytest.raises(VaultLocked):
            vault.conn  # noqa: B018
        with pytest.raises(sqlcipher3.ProgrammingError):
            reader.execute("SELECT 1")
    with pytest.raises(VaultLocked), vault.reading():
        pass


def _on_a_thread(run: Callable[[], Any]) -> Any:
    """`run()` on a fresh thread (as a worker would); its result, or its error re-raised."""
    out: list[Any] = []
    errors: list[BaseException] = []

    def target() -> None:
        try:
            out.append(run())
        except BaseException as exc:  # noqa: BLE001 - re-raised below
            errors.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(WAIT)
    assert not thread.is_alive()
    if errors:
        raise errors[0]
    return out[0]


def test_a_thread_reading_apart_never_sees_another_threads_write_half_done(
    vault: Vault,
) -> None:
    """The writing worker's gap: it wrote and committed, then reads outside write() while
    another thread's transaction is open. Without reading_apart its read went to the writer
    connection (the very one that transaction is open on) and counted the half-done row."""
    before = _audit_count(vault.conn)
    held, read = threading.Event(), threading.Event()

    def hold() -> None:
        with vault.write() as conn:
            vault.audit(conn, "test.half_done")
            held.set()
            assert read.wait(WAIT)

    holder = threading.Thread(target=hold)

    def worker() -> tuple[int, int, bool, bool]:
        with reading_apart():
            with vault.write() as conn:
                vault.audit(conn, "test.own_write")
                writer = conn
            holder.start()  # another thread now opens its transaction on the writer
            assert held.wait(WAIT)
            seen = _audit_count(vault.conn)
            on_writer = vault.conn is writer
            read.set()
            with vault.write() as conn:  # waits for the other writer, then writes as before
                vault.audit(conn, "test.own_write_again")
                inside = _audit_count(vault.conn)  # inside its write it reads its own work
                own = vault.conn is conn
            return seen, inside, on_writer, own

    seen, inside, on_writer, own = _on_a_thread(worker)
    holder.join(WAIT)
    assert seen == before + 1  # its own commit, not the other thread's open transaction
    assert not on_writer
    assert inside == before + 3 and own
    assert _audit_count(vault.conn) == before + 3


def test_reading_apart_lends_a_reader_only_while_it_lasts(vault: Vault) -> None:
    def worker() -> tuple[Any, bool, bool, bool, bool]:
        with reading_apart():
            reader = vault.conn
            with reading_apart(), vault.reading() as explicit:  # both re-entrant
                same = vault.conn is reader and explicit is reader
            still = vault.conn is reader
            refused = False
            try:
                reader.execute("CREATE TABLE intruder (x)")
            except sqlcipher3.OperationalError:
                refused = True
            with vault.exclusive() as writer:  # holding the lock: the writer, for settings
                locked = vault.conn is writer and writer is not reader
        return reader, same and still, refused, locked, vault.conn is not reader

    reader, same, refused, locked, given_back = _on_a_thread(worker)
    assert same and refused and locked and given_back
    with vault.reading() as again:  # the lent reader went back to the pool
        assert again is reader


def test_a_vault_closed_inside_reading_apart_refuses_reads(vault: Vault) -> None:
    def worker() -> bool:
        with reading_apart():
            reader = vault.conn
            vault.close()
            try:
                vault.conn  # noqa: B018
            except VaultLocked:
                pass
            else:
                return False
            try:
                reader.execute("SELECT 1")
            except sqlcipher3.ProgrammingError:
                return True
            return False

    assert _on_a_thread(worker)


def test_threads_outside_reading_apart_keep_the_writer(vault: Vault) -> None:
    def worker() -> bool:
        first = vault.conn
        with vault.write() as conn:
            return first is conn

    assert _on_a_thread(worker)
