"""Progress reporting and cancellation for long core operations (no threads here)."""

from __future__ import annotations

import threading
from collections.abc import Callable

from intake_app.errors import Cancelled

# progress(done, total, what): total may be 0 when unknown.
Progress = Callable[[int, int, str], None]


class CancelToken:
    """Set from any thread; the core checks it between steps and raises `Cancelled`."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        if self._event.is_set():
            raise Cancelled("Cancelled; nothing was changed.")


def report(progress: Progress | None, done: int, total: int, what: str = "") -> None:
    if progress is not None:
        progress(done, total, what)


def check(cancel: CancelToken | None) -> None:
    if cancel is not None:
        cancel.check()
