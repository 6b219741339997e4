"""Records against their plain-SQLite peer: search, first list page, opening a case, autosave.

    .venv/bin/python bench/bench_records.py [--cases N] [--vault DIR]

A vault of N demo cases (default 100,000; `--vault DIR` keeps it for later runs) and its
unencrypted twin (common.plain_twin: same schema, pragmas and Python code). Each workload
runs on both, interleaved, so the shared machine's load hits both alike. One JSON line per
measure (common.emit); the ratio is ours / plain SQLite (goal: <= 1.25).
- search: 200 fixed terms, each in <= 1% of cases (pseudonym numbers), LIMIT 50: p50, p95.
- list: first page (50 rows, newest first) right after opening the vault (cold pages).
- open: a case's record, head revision and protocol evaluation (what the case view shows).
- autosave: one draft write (BEGIN IMMEDIATE ... COMMIT, fsync'd): p50/p95, with the
  disk's fsync latency beside it.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

from common import PASSPHRASE, emit, fsync_latency, ms, open_plain, pct, plain_twin

from intake_app.cases.demo import insert_demo
from intake_app.cases.search import search_cases
from intake_app.cases.store import CaseStore
from intake_app.vault import Vault


def build(folder: Path, cases: int) -> None:
    if (folder / "header.json").exists():
        return
    vault = Vault.create(folder, PASSPHRASE, name="Bench", role="coordinator")
    try:
        result = insert_demo(CaseStore(vault), cases, 2022)
        emit("demo_insert", result.per_second, "cases/s", cases=result.created)
    finally:
        vault.close()


def terms(conn, cases: int) -> list[str]:  # noqa: ANN001
    """200 pseudonym numbers spread over the vault: each names one case (<= 1%)."""
    step = max(1, cases // 200)
    return [f"{(i * step) % cases + 1:05d}" for i in range(200)]


def timed_search(conn, words: list[str]) -> list[float]:  # noqa: ANN001
    times = []
    for word in words:
        started = time.perf_counter()
        search_cases(conn, word, limit=50)
        times.append(time.perf_counter() - started)
    return times


def first_page(open_store) -> float:  # noqa: ANN001
    store = open_store()
    try:
        started = time.perf_counter()
        page = store.list_page(0, 50)
        took = time.perf_counter() - started
        assert len(page) == 50
        return took
    finally:
        store.vault.close()


def open_case(store: CaseStore, case_id: str) -> float:
    started = time.perf_counter()
    record = store.get(case_id)
    revision = store.revision(record.heads[0])
    protocol = store.protocol_of(record)
    if protocol is not None:
        protocol.evaluate(revision.answers)
    return time.perf_counter() - started


def autosave(store: CaseStore, count: int) -> list[float]:
    answers = {"victim.pseudonym": "BENCH-1", "incident.narrative": ""}
    case_id = store.save_draft(None, answers)
    times = []
    for i in range(count):
        answers["incident.narrative"] = "Меня избили в ИВС, " * (i % 50)
        started = time.perf_counter()
        store.save_draft(case_id, answers)
        times.append(time.perf_counter() - started)
    store.discard_draft(case_id)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--vault", type=Path, help="keep (or reuse) the demo vault here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-records-") as tmp:
        folder = args.vault or Path(tmp) / "vault"
        build(folder, args.cases)
        started = time.perf_counter()
        vault = Vault.open(folder, PASSPHRASE)
        emit("unlock", ms(time.perf_counter() - started), "ms", note="Argon2id 64 MiB t=3")
        cases = vault.conn.execute("SELECT count(*) FROM case_index").fetchone()[0]
        plain_dir = Path(tmp) / "plain"
        twin = plain_twin(vault, plain_dir)
        ours, peer = CaseStore(vault), CaseStore(twin)
        peer.shelf = ours.shelf
        label = f"{cases // 1000}k"

        words = terms(vault.conn, cases)
        timed_search(vault.conn, words[:20])  # warm both caches alike
        timed_search(twin.conn, words[:20])
        ours_t, peer_t = timed_search(vault.conn, words), timed_search(twin.conn, words)
        for p in (50, 95):
            emit(f"search_{label}_p{p}", ms(pct(ours_t, p)), "ms", peer="plain SQLite",
                 peer_value=ms(pct(peer_t, p)), goal="<= 50 ms, ratio <= 1.25" if p == 95
                 else None)  # fmt: skip

        ids = [r[0] for r in vault.conn.execute("SELECT case_id FROM case_index")]
        picks = random.Random(1).sample(ids, 200)
        ours_o = [open_case(ours, c) for c in picks]
        peer_o = [open_case(peer, c) for c in picks]
        for p in (50, 95):
            emit(f"open_case_{label}_p{p}", ms(pct(ours_o, p)), "ms", peer="plain SQLite",
                 peer_value=ms(pct(peer_o, p)), goal="<= 50 ms" if p == 95 else None)

        ours_a, peer_a = [], []
        for _ in range(4):  # interleaved rounds: the load of the moment hits both
            ours_a += autosave(ours, 50)
            peer_a += autosave(peer, 50)
        fsync = fsync_latency(folder)
        for p in (50, 95):
            emit(f"autosave_p{p}", ms(pct(ours_a, p)), "ms", peer="plain SQLite",
                 peer_value=ms(pct(peer_a, p)), goal="<= 10 ms" if p == 95 else None,
                 fsync_ms=round(ms(pct(fsync, p)), 3))  # fmt: skip
        twin.close()
        vault.close()

        def open_ours() -> CaseStore:
            return CaseStore(Vault.open(folder, PASSPHRASE))

        def open_peer() -> CaseStore:
            v = Vault.open(folder, PASSPHRASE)
            try:
                return CaseStore(open_plain(plain_dir, v))
            finally:
                v.close()

        ours_l = [first_page(open_ours) for _ in range(3)]
        peer_l = [first_page(open_peer) for _ in range(3)]
        emit(f"list_first_page_{label}", ms(min(ours_l)), "ms", peer="plain SQLite",
             peer_value=ms(min(peer_l)), goal="<= 150 ms", note="core list_page, new vault")
    return 0


if __name__ == "__main__":
    sys.exit(main())
