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
import sys

from PySide6.QtCore import QObject

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
