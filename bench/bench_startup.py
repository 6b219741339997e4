"""Cold start of the desktop application to the unlock prompt (DESIGN "Benchmarks").

    .venv/bin/python bench/bench_startup.py [--runs 5]

Launches `ui.app.main` offscreen on an existing vault, as a user would (a new process), and
measures from the launch to the first turn of the event loop after the main window is shown
(a QTimer.singleShot(0) queued at show time prints a CLOCK_MONOTONIC stamp and quits). The
first launch warms the OS file cache and is reported apart; the goal is about the second
and later launches (median of --runs).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from common import PASSPHRASE, ROOT, emit, ms, python_env

from intake_app.vault import Vault

LAUNCHER = textwrap.dedent(
    """
    import sys, time
    import ui.app as app_module
    from PySide6.QtCore import QTimer

    original = app_module.build_window

    def build_window(app, settings):
        window = original(app, settings)
        def shown():
            page = type(window.centralWidget()).__name__ if window.centralWidget() else "?"
            print("shown", time.monotonic(), page, window.isVisible(), flush=True)
            app.quit()
        QTimer.singleShot(0, shown)
        return window

    app_module.build_window = build_window
    sys.exit(app_module.main([sys.argv[0]]))
    """
)


def launch(env: dict[str, str]) -> tuple[float, str]:
    started = time.monotonic()
    out = subprocess.run([sys.executable, "-c", LAUNCHER], env=env, capture_output=True,
                         text=True, timeout=60, cwd=ROOT)  # fmt: skip
    line = next((x for x in out.stdout.splitlines() if x.startswith("shown ")), None)
    if line is None:
        raise RuntimeError(f"the application did not show a window: {out.stderr[-2000:]}")
    _, stamp, page, visible = line.split()
    assert visible == "True"
    return float(stamp) - started, page


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-start-") as tmp:
        home = Path(tmp)
        vault_dir = home / "vault"
        Vault.create(vault_dir, PASSPHRASE, name="Bench", role="monitor").close()
        env = python_env()
        env.update({"HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"),
                    "XDG_DATA_HOME": str(home / ".local" / "share"),
                    "XDG_CACHE_HOME": str(home / ".cache"), "INTAKE_VAULT": str(vault_dir),
                    "QT_QPA_PLATFORM": "offscreen"})  # fmt: skip
        env.pop("DISPLAY", None)
        first, page = launch(env)
        later = [launch(env)[0] for _ in range(args.runs)]
    emit("cold_start_first_launch", ms(first), "ms", page=page)
    emit("cold_start_to_unlock", ms(statistics.median(later)), "ms", goal="<= 1000 ms",
         runs=args.runs, worst_ms=round(ms(max(later)), 1), page=page)  # fmt: skip
    return 0


if __name__ == "__main__":
    os.environ.pop("INTAKE_VAULT", None)
    sys.exit(main())
