"""Threads that read apart from the writer connection (worker threads of the GUI).

Kept free of SQLCipher so the worker mechanism can import it without loading the database
layer at start-up (see intake_app.vault.__init__).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

_apart = threading.local()


@contextlib.contextmanager
def reading_apart() -> Iterator[None]:
    """Within this, on the calling thread, every vault reads as inside its own `reading()`:
    the first `vault.conn` outside this thread's write lock lends the thread a read-only
    connection of that vault, given back when this ends. So no plain read of the thread
    ever lands on the writer connection, where another thread's transaction may be open.
    Re-entrant. `ui.workers.Task` runs every task inside this."""
    if scope() is not None:
        yield
        return
    stack = contextlib.ExitStack()
    _apart.stack = stack
    try:
        yield
    finally:
        _apart.stack = None  # before the readers go back: nothing lends one any more
        stack.close()


def scope() -> contextlib.ExitStack | None:
    """The calling thread's reading_apart() scope (it holds the lent readers), if any."""
    stack: contextlib.ExitStack | None = getattr(_apart, "stack", None)
    return stack
