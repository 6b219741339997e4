"""Benchmark of the statistics: `stats` over N demo cases (default 100,000).

    INTAKE_TEST_FAST_KDF=1 .venv/bin/python bench/bench_stats.py [--cases N] [--vault DIR]

Prints JSON lines: the demo insert (once; `--vault DIR` keeps the vault so later runs skip
it), then for the whole vault and for a filtered run (one city, one month): seconds from a
freshly opened vault (cold: pages decrypted from disk) and warm (second run), cases/s, and
the growth of the process's peak RSS during the run (stats stream over heads, so memory
should not grow with the number of cases; on a first run the demo insert's own peak hides
it: measure with a kept vault). `cpu_seconds` is the process's CPU time, which on a busy
machine says more than the wall clock.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("INTAKE_TEST_FAST_KDF", "1")

from intake_app.cases.demo import insert_demo  # noqa: E402
from intake_app.cases.store import CaseStore  # noqa: E402
from intake_app.reports.stats import StatsFilter, compute_stats  # noqa: E402
from intake_app.reports.stats_csv import stats_rows  # noqa: E402
from intake_app.vault import Vault  # noqa: E402

PASSPHRASE = "benchmark passphrase, not secret"


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def emit(**fields: object) -> None:
    print(json.dumps(fields, sort_keys=True), flush=True)


def timed_stats(folder: Path, filters: StatsFilter | None, label: str) -> None:
    vault = Vault.open(folder, PASSPHRASE)
    try:
        rules = [r.id for r in CaseStore(vault).shelf.current().red_flag_rules]
        for run in ("cold", "warm"):
            rss = peak_rss_mib()
            started, cpu = time.perf_counter(), time.process_time()
            stats = compute_stats(vault.conn, filters, rules=rules)
            seconds = time.perf_counter() - started
            cpu_seconds = time.process_time() - cpu
            rows = sum(1 for _ in stats_rows(stats))
            total = vault.conn.execute("SELECT count(*) FROM case_index").fetchone()[0]
            emit(bench="stats", filter=label, run=run, cases_in_vault=total,
                 cases_counted=stats["cases"], seconds=round(seconds, 3),
                 cpu_seconds=round(cpu_seconds, 3),
                 cases_per_s=round(total / seconds), csv_rows=rows,
                 peak_rss_growth_mib=round(peak_rss_mib() - rss, 1))  # fmt: skip
    finally:
        vault.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--vault", type=Path, help="keep (or reuse) the vault here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.vault or Path(tmp) / "vault"
        if not (folder / "header.json").exists():
            vault = Vault.create(folder, PASSPHRASE, name="Bench", role="coordinator")
            try:
                result = insert_demo(CaseStore(vault), args.cases, 2022)
            finally:
                vault.close()
            emit(bench="demo_insert", cases=result.created, seconds=round(result.seconds, 1))
        timed_stats(folder, None, "all")
        timed_stats(folder, StatsFilter("2022-01", "2022-01", "Уральск"), "uralsk_2022-01")


if __name__ == "__main__":
    main()
