"""A guard against a reference-counting bug in the PySide6 build we ship.

Measured here (PySide6 6.12.0, CPython 3.11.7): every call of a Qt method that returns
nothing (`setText`, `repaint`, `processEvents`, ...) returns None without taking a reference,
so None's reference count drops by one per call and, after a few thousand calls, CPython
aborts with "none_dealloc: deallocating None". A window used for hours would die mid-
interview. CPython 3.12 made None immortal (PEP 683), which hides the bug; on 3.11 we do the
same by hand: give None a reference count no run can use up. It is only applied when a probe
shows the bug, and None is never freed in a correct program anyway.
"""

from __future__ import annotations

import ctypes
import gc
import sys

from PySide6.QtCore import QObject, QTimer

_HEADROOM = 1 << 40  # a trillion void calls


def void_calls_leak_none() -> bool:
    probe = QObject()
    before = sys.getrefcount(None)
    for _ in range(8):
        probe.setObjectName("probe")
    return sys.getrefcount(None) < before


def protect_none() -> bool:
    """Apply the guard if this PySide6 drops references to None; True when applied."""
    if sys.version_info >= (3, 12) or not void_calls_leak_none():
        return False
    if sys.getrefcount(None) < _HEADROOM // 2:
        ctypes.c_ssize_t.from_address(id(None)).value += _HEADROOM
    return True


class MainThreadGarbageCollector(QObject):
    """Run Python's cyclic garbage collector on the GUI thread only.

    Left automatic, a collection may start in a worker thread and destroy a QObject there:
    its destructor takes Qt's connection lock and then waits for the GIL, which the GUI thread
    holds while it waits for that same lock to build a widget. Seen as a hang in CI (a case
    list page read in a worker while the interview screen was being built). Collecting here,
    from a timer in the GUI thread, keeps every wrapped QObject's end on the thread it
    belongs to.
    """

    def __init__(self, parent: QObject, interval_ms: int = 500) -> None:
        super().__init__(parent)
        gc.disable()
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.collect_if_due)
        self._timer.start(interval_ms)

    def collect_if_due(self) -> None:
        t0, t1, t2 = gc.get_threshold()
        c0, c1, c2 = gc.get_count()
        if c0 > t0:
            generation = 2 if c2 > t2 else 1 if c1 > t1 else 0
            gc.collect(generation)


def collect_garbage_on_main_thread(app: QObject) -> MainThreadGarbageCollector:
    """Install the collector on `app` (once); returns it."""
    existing = app.findChild(MainThreadGarbageCollector)
    return existing if existing is not None else MainThreadGarbageCollector(app)
