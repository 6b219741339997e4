"""The single-writer lock: flock on the vault's `lock` file, per write transaction.

flock locks belong to an open file description, so two Vault objects (in one process or in
two) exclude each other, and the kernel drops the lock if the holder dies. On Windows the
same is done with msvcrt's byte-range lock on the first byte.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from intake_app.errors import VaultBusy

LOCK_NAME = "lock"
WAIT_SECONDS = 5.0
_POLL_SECONDS = 0.05

if sys.platform == "win32":
    import msvcrt

    def _try_lock(fd: int) -> bool:
        os.lseek(fd, 0, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


BUSY_MESSAGE = (
    "The vault is busy: another Field Intake window or command is using it. "
    "Try again when it has finished."
)


class WriterLock:
    """Exclusive lock on `<vault>/lock`; re-entrant within one holder, waits up to 5 s."""

    def __init__(self, folder: Path, wait_seconds: float = WAIT_SECONDS) -> None:
        self.path = folder / LOCK_NAME
        self.wait_seconds = wait_seconds
        self._fd: int | None = None
        self._depth = 0
        self._owner: int | None = None  # the holding thread's ident, for held_by_this_thread
        self._thread_lock = threading.RLock()

    def _open(self) -> int:
        if self._fd is None:
            flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
            self._fd = os.open(self.path, flags, 0o600)
        return self._fd

    def acquire(self) -> None:
        if not self._thread_lock.acquire(timeout=self.wait_seconds):
            raise VaultBusy(BUSY_MESSAGE)
        try:
            if self._depth == 0:
                self._flock_with_deadline()
                self._owner = threading.get_ident()
            self._depth += 1
        except BaseException:
            self._thread_lock.release()
            raise

    def _flock_with_deadline(self) -> None:
        fd = self._open()
        deadline = time.monotonic() + self.wait_seconds
        while not _try_lock(fd):
            if time.monotonic() >= deadline:
                raise VaultBusy(BUSY_MESSAGE)
            time.sleep(_POLL_SECONDS)

    def release(self) -> None:
        self._depth -= 1
        if self._depth == 0:
            self._owner = None
            if self._fd is not None:
                _unlock(self._fd)
        self._thread_lock.release()

    @property
    def held_by_this_thread(self) -> bool:
        return self._owner == threading.get_ident()

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        self.acquire()
        try:
            yield
        finally:
            self.release()

    @contextlib.contextmanager
    def try_held(self) -> Iterator[bool]:
        """Take the lock only if it is free right now; yields whether it was taken."""
        if not self._thread_lock.acquire(blocking=False):
            yield False
            return
        try:
            if self._depth == 0 and not _try_lock(self._open()):
                yield False
                return
            self._depth += 1
            try:
                yield True
            finally:
                self._depth -= 1
                if self._depth == 0 and self._fd is not None:
                    _unlock(self._fd)
        finally:
            self._thread_lock.release()

    def close(self) -> None:
        with self._thread_lock:
            if self._fd is not None:
                os.close(self._fd)  # also drops any flock still held
                self._fd = None
                self._depth = 0
                self._owner = None
