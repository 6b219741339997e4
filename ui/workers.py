"""Long work off the GUI thread: a QObject moved to a QThread that only emits signals.

The core takes a `progress` callback and a `CancelToken` and knows nothing of threads; a
`Task` wraps one core call, emits `progressed` while it runs and exactly one of `succeeded`
or `failed` at the end. Workers never touch widgets.

Every task runs inside `reading_apart()`: its plain reads go to a read-only connection of its
own and its `vault.write()` blocks to the writer under the lock, so no worker ever reads on
the writer connection while another thread's transaction is open there.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from intake_app.progress import CancelToken, Progress
from intake_app.vault.threads import reading_apart

log = logging.getLogger(__name__)

Work = Callable[[Progress, CancelToken], Any]


class Task(QObject):
    progressed = Signal(int, int, str)
    succeeded = Signal(object)
    failed = Signal(object)  # the exception; the GUI shows its message
    done = Signal()

    def __init__(self, work: Work) -> None:
        super().__init__()
        self._work = work
        self.cancel_token = CancelToken()

    def cancel(self) -> None:
        self.cancel_token.cancel()

    @Slot()
    def run(self) -> None:
        try:
            with reading_apart():
                result = self._work(self._report, self.cancel_token)
        except Exception as exc:  # noqa: BLE001 - handed to the GUI thread to show
            log.info("task failed: %s", type(exc).__name__)
            self.failed.emit(exc)
        else:
            self.succeeded.emit(result)
        finally:
            self.done.emit()

    def _report(self, done: int, total: int, what: str) -> None:
        self.progressed.emit(done, total, what)


class _Relay(QObject):
    """Lives in the GUI thread, so the task's signals reach the callbacks there (queued)."""

    def __init__(
        self,
        on_success: Callable[[Any], None] | None,
        on_failure: Callable[[BaseException], None] | None,
        on_progress: Callable[[int, int, str], None] | None,
    ) -> None:
        super().__init__()
        self._on_success, self._on_failure, self._on_progress = on_success, on_failure, on_progress

    @Slot(object)
    def success(self, result: object) -> None:
        if self._on_success is not None:
            self._on_success(result)

    @Slot(object)
    def failure(self, exc: object) -> None:
        if self._on_failure is not None and isinstance(exc, BaseException):
            self._on_failure(exc)

    @Slot(int, int, str)
    def progress(self, done: int, total: int, what: str) -> None:
        if self._on_progress is not None:
            self._on_progress(done, total, what)


class TaskRunner(QObject):
    """Starts tasks on their own threads and keeps them alive until they end."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._running: dict[Task, tuple[QThread, _Relay]] = {}

    def start(
        self,
        work: Work,
        on_success: Callable[[Any], None] | None = None,
        on_failure: Callable[[BaseException], None] | None = None,
        on_progress: Callable[[int, int, str], None] | None = None,
    ) -> Task:
        task = Task(work)
        thread = QThread()
        task.moveToThread(thread)
        relay = _Relay(on_success, on_failure, on_progress)
        task.succeeded.connect(relay.success)
        task.failed.connect(relay.failure)
        task.progressed.connect(relay.progress)
        # Direct: quit() is thread-safe, and a queued quit would wait for the GUI thread,
        # which may itself be blocked in wait_all() (the lock) waiting for this thread.
        task.done.connect(thread.quit, Qt.ConnectionType.DirectConnection)
        thread.finished.connect(lambda: self._forget(task))
        thread.started.connect(task.run)
        self._running[task] = (thread, relay)
        thread.start()
        return task

    def _forget(self, task: Task) -> None:
        entry = self._running.pop(task, None)
        if entry is not None:
            thread, relay = entry
            thread.wait()
            thread.deleteLater()
            relay.deleteLater()
        task.deleteLater()

    @property
    def busy(self) -> bool:
        return bool(self._running)

    def wait(self, task: Task, msecs: int = 30000) -> None:
        entry = self._running.get(task)
        if entry is not None:
            entry[0].wait(msecs)

    def cancel_all(self) -> None:
        for task in list(self._running):
            task.cancel()

    def wait_all(self, msecs: int = 30000) -> None:
        for thread, _relay in list(self._running.values()):
            thread.wait(msecs)
