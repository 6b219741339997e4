"""Benchmarks of the records layer: attachments, demo bulk insert, search, list, autosave.

    INTAKE_TEST_FAST_KDF=1 .venv/bin/python bench/bench_cases.py [--cases N] [--attach-mb M]

Figures (see DESIGN.md "Benchmarks"):
- attachment: a file of M MiB (default 300) streamed into the vault and back out; the peak
  Python allocation (tracemalloc) and the growth of the process's peak RSS show memory stays
  flat whatever the size; MB/s in and out.
- demo: N synthetic cases (default 10,000; try 100,000) inserted a few thousand per
  transaction, in cases/s.
- search: 200 fixed query terms each matching <= 1% of cases, LIMIT 50, p50/p95.
- list: the first page (50 rows, newest first) from a freshly opened vault, and p50 after.
- autosave: p95 of one draft write, with the disk's fsync latency reported beside it.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("INTAKE_TEST_FAST_KDF", "1")

from intake_app.cases import attachments  # noqa: E402
from intake_app.cases.demo import insert_demo  # noqa: E402
from intake_app.cases.queries import CaseFilter  # noqa: E402
from intake_app.cases.search import search_cases  # noqa: E402
from intake_app.cases.store import CaseStore  # noqa: E402
from intake_app.vault import Vault  # noqa: E402

PASSPHRASE = "benchmark passphrase, not secret"
MIB = 1024 * 1024


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write_pattern_file(path: Path, size: int) -> str:
    digest = hashlib.sha256()
    block = os.urandom(MIB)
    with path.open("wb") as fh:
        left = size
        while left:
            part = block[: min(MIB, left)]
            fh.write(part)
            digest.update(part)
            left -= len(part)
    return digest.hexdigest()


def bench_attachment(vault: Vault, folder: Path, size_mib: int) -> None:
    source = folder / "big.bin"
    expected = write_pattern_file(source, size_mib * MIB)
    rss_before = peak_rss_mib()
    tracemalloc.start()
    started = time.perf_counter()
    with source.open("rb") as fh, vault.write() as conn:
        info = attachments.put_blob(conn, fh)
    put_s = time.perf_counter() - started
    started = time.perf_counter()
    out = folder / "out.bin"
    attachments.export_blob(vault.conn, info.sha256, out)
    get_s = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert info.sha256 == expected, "hash mismatch"
    with out.open("rb") as fh:
        assert hashlib.file_digest(fh, "sha256").hexdigest() == expected
    print(f"attachment {size_mib} MiB: in {size_mib / put_s:.0f} MB/s, out "
          f"{size_mib / get_s:.0f} MB/s; peak Python allocation {peak / MIB:.1f} MiB; "
          f"process peak RSS {peak_rss_mib():.0f} MiB "
          f"(grew {peak_rss_mib() - rss_before:.1f} MiB)")  # fmt: skip
    source.unlink()
    out.unlink()


def bench_demo(store: CaseStore, cases: int) -> None:
    result = insert_demo(store, cases, 2022)
    print(f"demo: {result.created} cases in {result.seconds:.1f} s = "
          f"{result.per_second:.0f} cases/s (batches of 2000)")  # fmt: skip


def bench_search(vault: Vault, cases: int) -> None:
    # Pseudonyms are unique ("TRZ-00042" → token "00042"): 200 fixed terms, one case each.
    step = max(1, cases // 200)
    terms = [f"{(i * step) % cases + 1:05d}" for i in range(200)]
    times = []
    for term in terms:
        started = time.perf_counter()
        found = search_cases(vault.conn, term, limit=50)
        times.append(time.perf_counter() - started)
        assert len(found) <= max(1, cases // 100), term
    common = time.perf_counter()
    many = search_cases(vault.conn, "ИВС", limit=50)
    common = time.perf_counter() - common
    print(f"search: 200 rare terms p50 {ms(pct(times, 50))}, p95 {ms(pct(times, 95))}; "
          f"a common term ({len(many)} shown) {ms(common)}")  # fmt: skip


def bench_list(path: Path) -> None:
    started = time.perf_counter()
    vault = Vault.open(path, PASSPHRASE)
    store = CaseStore(vault)
    opened = time.perf_counter()
    page = store.list_page(0, 50)
    first = time.perf_counter() - opened
    times = []
    for i in range(50):
        t = time.perf_counter()
        store.list_page(i * 50, 50, filters=CaseFilter(status="terminated"))
        times.append(time.perf_counter() - t)
    count_t = time.perf_counter()
    total = store.count()
    count_t = time.perf_counter() - count_t
    print(f"list: unlock {ms(opened - started)} (fast test KDF), first page of {len(page)} "
          f"{ms(first)}, filtered pages p50 {ms(pct(times, 50))}, count({total}) "
          f"{ms(count_t)}")  # fmt: skip
    vault.close()


def fsync_latency(folder: Path) -> list[float]:
    times = []
    with (folder / "fsync.probe").open("wb") as fh:
        for _ in range(100):
            fh.write(b"x" * 512)
            t = time.perf_counter()
            fh.flush()
            os.fsync(fh.fileno())
            times.append(time.perf_counter() - t)
    (folder / "fsync.probe").unlink()
    return times


def bench_autosave(store: CaseStore, folder: Path) -> None:
    answers = {"victim.pseudonym": "BENCH-1", "incident.narrative": ""}
    case_id = store.save_draft(None, answers)
    times = []
    for i in range(200):
        answers["incident.narrative"] = "Меня избили в ИВС, " * (i % 50)
        t = time.perf_counter()
        store.save_draft(case_id, answers)
        times.append(time.perf_counter() - t)
    fsync = fsync_latency(folder)
    print(f"autosave: draft write p50 {ms(pct(times, 50))}, p95 {ms(pct(times, 95))}; "
          f"disk fsync p50 {ms(pct(fsync, 50))}, p95 {ms(pct(fsync, 95))}")  # fmt: skip
    store.discard_draft(case_id)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--attach-mb", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-cases-") as tmp:
        folder = Path(tmp)
        vault = Vault.create(folder / "vault", PASSPHRASE, name="Bench", role="coordinator")
        store = CaseStore(vault)
        if args.attach_mb:
            bench_attachment(vault, folder, args.attach_mb)
        bench_demo(store, args.cases)
        bench_search(vault, args.cases)
        bench_autosave(store, folder)
        print(f"vault size: {(folder / 'vault' / 'vault.db').stat().st_size / MIB:.0f} MiB "
              f"(+ WAL)")  # fmt: skip
        vault.close()
        bench_list(folder / "vault")
    return 0


if __name__ == "__main__":
    sys.exit(main())
