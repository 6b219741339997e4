"""The fast demo builder writes exactly what CaseStore writes, whatever the parallelism."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from intake_app.cases import demo, demo_build, graph
from intake_app.cases.demo import generate, insert_demo
from intake_app.cases.protocols import ProtocolShelf, protocol_content
from intake_app.cases.store import CaseStore
from intake_app.errors import Cancelled
from intake_app.progress import CancelToken
from intake_app.vault import Vault
from intake_app.vault import audit as audit_log

PASSPHRASE = "demo builder test passphrase"


def _dump(conn) -> dict[str, list[tuple]]:  # noqa: ANN001
    """Every row the creation of cases writes, with the full-text rows by case."""
    return {
        "revisions": conn.execute(
            "SELECT id, case_id, author, created_at, body, signature, waiting, signer_revoked"
            " FROM revisions ORDER BY id").fetchall(),
        "parents": conn.execute("SELECT * FROM revision_parents").fetchall(),
        "heads": conn.execute("SELECT * FROM heads ORDER BY case_id").fetchall(),
        "index": conn.execute("SELECT * FROM case_index ORDER BY seq").fetchall(),
        "fts": conn.execute(
            "SELECT c.case_id, f.body, f.protected FROM answers_fts f"
            " JOIN case_index c ON c.seq = f.rowid ORDER BY c.case_id").fetchall(),
        "audit": conn.execute(
            "SELECT seq, device, action, record FROM audit ORDER BY seq").fetchall(),
        "protocols": conn.execute("SELECT sha256, id, version FROM protocols").fetchall(),
    }  # fmt: skip


@pytest.fixture
def twin_vaults(tmp_path: Path):
    """Two copies of one new vault: same key, same device identity."""
    Vault.create(tmp_path / "a", PASSPHRASE, name="Twin", role="coordinator").close()
    shutil.copytree(tmp_path / "a", tmp_path / "b")
    a, b = Vault.open(tmp_path / "a", PASSPHRASE), Vault.open(tmp_path / "b", PASSPHRASE)
    yield a, b
    a.close()
    b.close()


def test_bulk_rows_equal_those_of_the_store_one_case_at_a_time(twin_vaults):
    fast, reference = twin_vaults
    result = insert_demo(CaseStore(fast), 45, 5, batch_size=20, workers=0)
    assert (result.created, result.skipped) == (45, 0)
    store = CaseStore(reference)
    protocol = store.shelf.current()
    cases = generate(45, 5, protocol)
    for start in range(0, 45, 20):
        items = [(c.case_id, c.answers, c.created_at) for c in cases[start : start + 20]]
        assert store.bulk_create(items, protocol) == len(items)
    assert _dump(fast.conn) == _dump(reference.conn)
    assert audit_log.verify(fast.conn) == []


def test_reindexing_a_built_case_changes_nothing(vault):
    store = CaseStore(vault)
    insert_demo(store, 12, 9, workers=0)
    before = _dump(vault.conn)
    with vault.write() as conn:
        for (case_id,) in conn.execute("SELECT case_id FROM case_index").fetchall():
            graph.reindex_case(conn, store.shelf, case_id)
    assert _dump(vault.conn) == before


def test_workers_give_the_same_cases_as_one_process():
    protocol = ProtocolShelf().current()
    content = protocol_content(protocol)
    items = list(enumerate(demo.plan(600, 77)))
    author = "A" * 32
    alone = list(demo_build.prepared_cases(77, items, content, author, workers=0))
    pooled = list(demo_build.prepared_cases(77, items, content, author, workers=2))
    assert alone == pooled
    assert [c.case_id for c in alone] == [c.case_id for c in generate(600, 77, protocol)]
    assert len({c.revision_id for c in alone}) == 600


def test_cancel_keeps_the_committed_batches_and_a_rerun_completes(vault):
    store = CaseStore(vault)
    cancel = CancelToken()

    def progress(done: int, total: int, what: str) -> None:
        cancel.cancel()

    with pytest.raises(Cancelled):
        insert_demo(store, 50, 4, batch_size=10, workers=0, progress=progress, cancel=cancel)
    assert store.count() == 10
    again = insert_demo(store, 50, 4, batch_size=10, workers=0)
    assert (again.created, again.skipped) == (40, 10)
    assert store.count() == 50
    assert audit_log.verify(vault.conn) == []


def test_case_ids_are_known_without_making_the_cases():
    cases = generate(30, 12)
    assert [c.case_id for c in cases] == [demo.case_id_for(12, n) for n in range(30)]
    assert [c.created_at for c in cases] == [demo.created_at_for(n) for n in range(30)]


_ONE_CHUNK_THEN_EXIT = (
    "import sys\n"
    "from intake_app.cases.demo_build import CasePreparer\n"
    "from intake_app.cases.demo_workers import read_message, write_message\n"
    "content, author = read_message(sys.stdin.buffer)\n"
    "preparer = CasePreparer(content, author)\n"
    "seed, items = read_message(sys.stdin.buffer)\n"
    "write_message(sys.stdout.buffer, preparer(seed, items))\n"
)
_HUGE_LENGTH = "import sys; sys.stdout.buffer.write(b'\\xff' * 8); sys.stdout.flush()"


@pytest.mark.parametrize(
    "script",
    ["import sys; sys.exit(3)", _ONE_CHUNK_THEN_EXIT, _HUGE_LENGTH],
    ids=["never_starts", "dies_after_one_chunk", "sends_garbage"],
)
def test_failing_workers_fall_back_to_this_process_with_the_same_cases(monkeypatch, script):
    import sys

    from intake_app.cases import demo_workers

    protocol = ProtocolShelf().current()
    content = protocol_content(protocol)
    items = list(enumerate(demo.plan(700, 31)))
    expected = list(demo_build.prepared_cases(31, items, content, "B" * 32, workers=0))
    monkeypatch.setattr(demo_workers, "worker_command", lambda: [sys.executable, "-c", script])
    assert list(demo_build.prepared_cases(31, items, content, "B" * 32, workers=2)) == expected
