"""The None reference guard: thousands of Qt void calls must not abort the process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

SCRIPT = """
import os, sys
os.environ["QT_QPA_PLATFORM"] = "offscreen"
sys.path.insert(0, {repo!r})
from PySide6.QtWidgets import QApplication, QLabel
from ui.qt_runtime import protect_none
app = QApplication([])
protect_none()
label = QLabel()
for i in range(200_000):
    label.setText("x")
print("alive")
"""


def test_many_void_calls_do_not_abort_the_process() -> None:
    result = subprocess.run([sys.executable, "-c", SCRIPT.format(repo=str(REPO))],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "alive"


def test_cyclic_garbage_is_collected_on_the_gui_thread_only(qapp) -> None:
    import gc
    import threading

    from ui.qt_runtime import collect_garbage_on_main_thread

    collector = collect_garbage_on_main_thread(qapp)
    assert collect_garbage_on_main_thread(qapp) is collector  # installed once
    assert not gc.isenabled()  # worker threads never start a collection
    seen: list[str] = []

    class Cycle:
        def __del__(self) -> None:
            seen.append(threading.current_thread().name)

    for _ in range(gc.get_threshold()[0] + 10):
        a = Cycle()
        a.self = a  # type: ignore[attr-defined]
        del a
    collector.collect_if_due()
    assert seen and set(seen) == {threading.main_thread().name}
