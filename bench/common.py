"""What the benchmark scripts share: the JSON line format, percentiles, fsync latency, peak
memory of child processes, and a plain-SQLite twin of a vault (the peer of the records
benchmarks: same schema, same pragmas, same Python code, no encryption).

Every measure is one JSON line:
    {"name", "value", "unit", "peer", "peer_value", "ratio"}
`ratio` is ours/peer for times and sizes (lower is better; the goals say "overhead <= 1.25x")
and ours/peer for throughputs (higher is better; "throughput >= 0.6x"); `goal` says which
way a measure must go when a goal exists.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PASSPHRASE = "benchmark passphrase, not secret"  # the same as bench_stats.py
MIB = 1024 * 1024


def emit(
    name: str,
    value: float,
    unit: str,
    *,
    peer: str | None = None,
    peer_value: float | None = None,
    goal: str | None = None,
    **extra: Any,
) -> None:
    """Print one measure. Ratio = value / peer_value when a peer was measured."""
    ratio = None
    if peer_value:
        ratio = round(value / peer_value, 3)
    line = {"name": name, "value": round(value, 3), "unit": unit, "peer": peer,
            "peer_value": None if peer_value is None else round(peer_value, 3),
            "ratio": ratio}  # fmt: skip
    if goal:
        line["goal"] = goal
    line.update(extra)
    print(json.dumps(line, ensure_ascii=False), flush=True)


def pct(values: Sequence[float], p: float) -> float:
    """The p-th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def ms(seconds: float) -> float:
    return seconds * 1000


def fsync_latency(folder: Path, count: int = 100) -> list[float]:
    """Seconds per fsync of a 4 KiB overwrite in `folder` (the disk the vault is on)."""
    probe = folder / ".fsync-probe"
    times = []
    with probe.open("wb") as fh:
        for _ in range(count):
            fh.seek(0)
            fh.write(os.urandom(4096))
            fh.flush()
            started = time.perf_counter()
            os.fsync(fh.fileno())
            times.append(time.perf_counter() - started)
    probe.unlink()
    return times


def run_measured(
    cmd: Sequence[str | os.PathLike[str]],
    *,
    env: dict[str, str] | None = None,
    stdout: Any = subprocess.DEVNULL,
) -> tuple[float, float, int]:
    """Run a command under /usr/bin/time; (wall seconds, its peak RSS in MiB, exit status).

    Not os.wait4 from here: Linux keeps a child's max RSS across exec, so a child forked
    from this (large) process would report our RSS, not its own."""
    fd, report_name = tempfile.mkstemp(prefix="rss-", suffix=".txt")
    os.close(fd)
    started = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", report_name,
                           *[str(c) for c in cmd]], env=env, stdout=stdout,
                          stderr=subprocess.PIPE)  # fmt: skip
    wall = time.perf_counter() - started
    text = Path(report_name).read_text().strip().splitlines()
    os.unlink(report_name)
    if proc.returncode != 0:
        err = proc.stderr.decode(errors="replace") if proc.stderr else ""
        raise RuntimeError(f"{cmd[0]} failed ({proc.returncode}): {err[-2000:]}")
    return wall, int(text[-1]) / 1024, proc.returncode


def python_env() -> dict[str, str]:
    """The environment of a measured Python child: this repository importable, and bytecode
    cached as in an installation (pip and the packaged app ship compiled modules; a machine
    that sets PYTHONDONTWRITEBYTECODE would otherwise make every child compile ~40 modules,
    ~50 ms, inside the measured call where they are imported lazily)."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def peak_rss_self_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ---- the plain-SQLite peer ------------------------------------------------------------


def plain_twin(vault: Any, folder: Path) -> Any:
    """A Vault object over an unencrypted copy of `vault`'s database (sqlcipher_export),
    with the vault's own pragmas minus encryption, its writer lock and identity: CaseStore
    runs on it unchanged, so the difference is the encryption alone."""

    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "plain.db"
    with contextlib.suppress(FileNotFoundError):
        target.unlink()
    conn = vault.conn
    page_size = int(conn.execute("PRAGMA page_size").fetchone()[0])
    conn.execute(f"ATTACH DATABASE '{target}' AS plain KEY ''")
    # The vault's page size too (16 KiB for new vaults): only the encryption differs.
    conn.execute(f"PRAGMA plain.page_size = {page_size}")
    conn.execute("SELECT sqlcipher_export('plain')")
    conn.execute("DETACH DATABASE plain")
    return open_plain(folder, vault)


def open_plain(folder: Path, vault: Any) -> Any:
    import sqlcipher3

    from intake_app.vault.db import _PRAGMAS
    from intake_app.vault.lockfile import WriterLock
    from intake_app.vault.vault import Vault

    plain = sqlcipher3.connect(str(folder / "plain.db"), isolation_level=None,
                               check_same_thread=False)  # fmt: skip
    for pragma in _PRAGMAS:
        if "cipher" not in pragma:
            plain.execute(pragma)
    plain.execute("PRAGMA journal_mode = WAL")
    return Vault(folder, vault.vault_id, plain, bytes(32), WriterLock(folder), vault.identity)


@contextlib.contextmanager
def timed() -> Iterator[list[float]]:
    """with timed() as t: ...  -> t[0] is the elapsed seconds."""
    box: list[float] = []
    started = time.perf_counter()
    try:
        yield box
    finally:
        box.append(time.perf_counter() - started)
