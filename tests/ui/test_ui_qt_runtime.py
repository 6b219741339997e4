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
