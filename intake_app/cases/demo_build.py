"""Building large demo vaults quickly (100,000 cases in minutes, not half an hour).

Most of the cost of a case is pure Python that needs no key: making the answers, checking
them against the protocol, canonical JSON, the revision id, the index row and the searchable
text. That runs in worker processes, one per core (intake_app.cases.demo_workers). This
process keeps the device key: it signs each revision id and inserts a few thousand cases
per transaction with one statement per table. Every case is made from (seed, number) alone
and results are taken in order, so the vault holds the same case ids, answers and revision
ids whatever the number of workers. The rows written are those `CaseStore` would write for
the same cases (tests/core/cases/test_cases_demo_build.py compares them).
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

from intake_app.cases import demo, graph, index, search
from intake_app.cases.demo_workers import WorkerFailed, WorkerPool
from intake_app.cases.protocols import protocol_ref
from intake_app.cases.revision import build_body, encode_body, revision_id
from intake_app.cases.store import check_answers
from intake_app.progress import CancelToken, Progress, check, report
from intake_app.protocol.loader import load_protocol_bytes
from intake_app.vault import audit

CHUNK = 250  # cases per task sent to a worker
POOL_FROM = 3000  # fewer cases than this: starting processes costs more than it saves
OPTIMIZE_FROM = 5000  # after this many new cases, merge the full-text index into one segment

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PreparedCase:
    """Everything about a new demo case except its signature."""

    case_id: str
    revision_id: str
    body: bytes
    created_at: str
    row: index.IndexRow
    body_text: str
    protected_text: str


class CasePreparer:
    """Makes demo cases into revision bodies and index rows (in a worker, or here)."""

    def __init__(self, protocol_content: bytes, author: str) -> None:
        # The exact bytes the vault stored, so workers evaluate the very same protocol.
        self.protocol = load_protocol_bytes(protocol_content)
        self.ref = protocol_ref(self.protocol)
        self.author = author

    def __call__(self, seed: int, items: list[tuple[int, Any]]) -> list[PreparedCase]:
        return [self.prepare(demo.demo_case(seed, number, profile, self.protocol))
                for number, profile in items]  # fmt: skip

    def prepare(self, case: demo.DemoCase) -> PreparedCase:
        flags = check_answers(self.protocol, case.answers, [])
        body = build_body(case_id=case.case_id, parents=[], author=self.author,
                          created_at=case.created_at, protocol=self.ref, answers=case.answers,
                          attachments=[])  # fmt: skip
        data = encode_body(body)
        body_text, protected_text = index.text_of_answers(case.answers, self.protocol)
        return PreparedCase(
            case_id=case.case_id,
            revision_id=revision_id(data),
            body=data,
            created_at=case.created_at,
            row=index.build_row(case.answers, self.protocol, flags),
            body_text="\n".join(body_text),
            protected_text="\n".join(protected_text),
        )


def worker_count(cases: int, workers: int | None) -> int:
    """Worker processes to use: `workers` when given, else one per core for large runs
    (none in a frozen build, whose executable is the application, not Python)."""
    if workers is not None:
        return max(0, workers)
    cores = os.cpu_count() or 1
    if getattr(sys, "frozen", False):
        return 0
    return cores if cases >= POOL_FROM and cores > 1 else 0


def prepared_cases(
    seed: int,
    items: list[tuple[int, Any]],
    protocol_content: bytes,
    author: str,
    workers: int,
) -> Generator[PreparedCase, None, None]:
    """The prepared cases for `items` (number, profile), in order."""
    chunks = [items[i : i + CHUNK] for i in range(0, len(items), CHUNK)]
    done = 0
    if workers > 0:
        try:
            with WorkerPool(workers, (protocol_content, author)) as pool:
                for prepared in pool.ordered((seed, chunk) for chunk in chunks):
                    done += 1
                    yield from prepared
            return
        except WorkerFailed:
            # The same cases come out of this process, only slower.
            log.warning("demo worker processes failed; making the remaining cases here")
    preparer = CasePreparer(protocol_content, author)
    for chunk in chunks[done:]:
        yield from preparer(seed, chunk)


def _held_case_ids(conn: Any, case_ids: list[str]) -> set[str]:
    held: set[str] = set()
    for start in range(0, len(case_ids), 500):
        part = case_ids[start : start + 500]
        marks = ", ".join("?" for _ in part)
        for table in ("revisions", "case_index"):
            query = f"SELECT case_id FROM {table} WHERE case_id IN ({marks})"  # noqa: S608
            held.update(row[0] for row in conn.execute(query, part))
    return held


def _store_batch(vault: Any, batch: list[PreparedCase], ref: dict[str, Any]) -> int:
    """Sign and insert one batch in one transaction; cases held meanwhile are skipped."""
    identity = vault.identity
    with vault.write() as conn:
        held = _held_case_ids(conn, [c.case_id for c in batch])
        fresh = [c for c in batch if c.case_id not in held]
        first = conn.execute("SELECT coalesce(max(seq), 0) + 1 FROM case_index").fetchone()[0]
        revisions, rows, texts = [], [], []
        for seq, case in enumerate(fresh, start=first):
            signature = identity.sign_revision(case.revision_id)
            revisions.append((case.revision_id, case.case_id, identity.fingerprint,
                              case.created_at, case.body, signature))  # fmt: skip
            rows.append(index.NewCaseRow(seq, case.case_id, case.row, case.created_at,
                                         ref["id"], ref["version"]))  # fmt: skip
            texts.append((seq, case.body_text, case.protected_text))
        graph.insert_first_revisions(conn, revisions)
        index.insert_new_rows(conn, rows)
        search.insert_case_texts(conn, texts)
        audit.append_many(conn, identity.fingerprint, "case.create",
                          [c.case_id for c in fresh])  # fmt: skip
    return len(fresh)


def build(
    store: Any,
    n: int,
    seed: int,
    *,
    workers: int | None = None,
    batch_size: int = demo.BATCH_SIZE,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> int:
    """Store the demo cases (n, seed) the vault does not hold yet; returns how many were
    created. A cancel keeps the batches already committed."""
    vault, protocol = store.vault, store.shelf.current()
    with vault.write() as conn:
        store.shelf.remember(conn, protocol)
    content = bytes(vault.conn.execute("SELECT content FROM protocols WHERE sha256 = ?",
                                       (protocol.sha256,)).fetchone()[0])  # fmt: skip
    numbered = list(enumerate(demo.plan(n, seed)))
    ids = [demo.case_id_for(seed, number) for number, _ in numbered]
    held = _held_case_ids(vault.conn, ids)
    items = [item for item, case_id in zip(numbered, ids, strict=True) if case_id not in held]
    created = done = 0
    batch: list[PreparedCase] = []
    ref = protocol_ref(protocol)
    cases = prepared_cases(seed, items, content, vault.identity.fingerprint,
                           worker_count(len(items), workers))  # fmt: skip
    try:
        for case in cases:
            batch.append(case)
            if len(batch) >= batch_size:
                check(cancel)
                created += _store_batch(vault, batch, ref)
                done += len(batch)
                batch = []
                report(progress, done, len(items), "demo")
        if batch:
            check(cancel)
            created += _store_batch(vault, batch, ref)
            report(progress, len(items), len(items), "demo")
    finally:
        cases.close()  # stops the workers at once on cancel or error
    if created >= OPTIMIZE_FROM:
        # Thousands of inserts leave many small full-text segments; a search reads each.
        with vault.write() as conn:
            search.optimize(conn)
    return created
