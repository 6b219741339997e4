"""Run every benchmark and print one JSON line per measure (see bench/run)."""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, python_env

BENCH = ROOT / "bench"
KEYS = ("name", "value", "unit", "peer", "peer_value", "ratio")
ATTACHMENT = re.compile(r"attachment (\d+) MiB: in (\d+) MB/s, out (\d+) MB/s; peak Python "
                        r"allocation ([\d.]+) MiB")  # fmt: skip


def normalise(line: str, source: str) -> dict | None:
    """One measure in the common shape, from any of the scripts' output lines."""
    line = line.strip()
    if not line:
        return None
    try:
        data = json.loads(line)
    except json.JSONDecodeError:
        match = ATTACHMENT.search(line)
        if not match:
            return None
        mib, put, get, alloc = match.groups()
        return {"name": f"attachment_{mib}mib_in_out_alloc", "value": float(put),
                "unit": "MB/s", "out_mb_s": float(get), "peak_python_alloc_mib": float(alloc)}
    if "name" not in data:  # bench_stats.py: {"bench", "filter", "run", "seconds", ...}
        name = "_".join(str(data.pop(k)) for k in ("bench", "filter", "run") if k in data)
        data = {"name": name, "value": data.pop("seconds", None), "unit": "s", **data}
    data.setdefault("source", source)
    return data


def run(script: str, *args: str, timeout: float = 3600) -> None:
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, str(BENCH / script), *args], capture_output=True,
                          text=True, env=python_env(), cwd=BENCH, timeout=timeout)  # fmt: skip
    for line in proc.stdout.splitlines():
        measure = normalise(line, script)
        if measure is not None:
            out = {k: measure.pop(k, None) for k in KEYS}
            out.update(measure)
            print(json.dumps(out, ensure_ascii=False), flush=True)
    if proc.returncode != 0:
        print(json.dumps({"name": f"{script}_failed", "value": proc.returncode, "unit": "exit",
                          "peer": None, "peer_value": None, "ratio": None,
                          "stderr": proc.stderr[-500:]}), flush=True)  # fmt: skip
    print(f"# {script} {' '.join(args)}: {time.perf_counter() - started:.0f} s", file=sys.stderr)


def main() -> int:
    parser = argparse.ArgumentParser(description="Field Intake benchmarks, JSON lines.")
    parser.add_argument("--quick", action="store_true", help="scaled-down sizes (~2 minutes)")
    parser.add_argument("--vault", type=Path, help="keep the demo vault here between runs")
    args = parser.parse_args()
    cases, mb = ("2000", "50") if args.quick else ("100000", "300")
    with tempfile.TemporaryDirectory(prefix="bench-run-") as tmp:
        vault = args.vault or Path(tmp) / f"demo-{cases}"
        run("bench_records.py", "--cases", cases, "--vault", str(vault))
        run("bench_bundles.py", "--mb", mb)
        run("bench_startup.py", "--runs", "3" if args.quick else "7")
        run("bench_stats.py", "--cases", cases, "--vault", str(vault))
        run("bench_protocol.py")
        run("bench_pdf.py", "--pages", "10" if args.quick else "50", "--repeat", "1")
        if not args.quick:
            run("bench_cases.py", "--cases", "2000", "--attach-mb", mb)
    return 0


if __name__ == "__main__":
    sys.exit(main())
