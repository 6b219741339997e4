"""Worker processes for the demo builder (intake_app.cases.demo_build).

Each worker is `python -m intake_app.cases.demo_workers`: it reads requests on stdin and
writes results on stdout, both length-prefixed pickles, until stdin closes. Plain
subprocesses, not multiprocessing: nothing depends on how the parent was started (an
unguarded script, `-c`, a GUI with threads), and a worker that dies or never starts is seen
at once as a closed pipe (`WorkerFailed`) instead of a pool that waits forever (measured:
ProcessPoolExecutor hangs when a spawned worker fails while starting). Workers hold no key
and no real case: they make synthetic cases from a seed.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import struct
import subprocess
import sys
from collections import deque
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

_HEADER = struct.Struct("!Q")
MAX_MESSAGE = 1 << 30
# Requests per worker ahead of the builder. More would not help: a worker waits once the
# pipe holds its finished chunk (measured: the builder's inserts are the bottleneck).
IN_FLIGHT = 2
_SOURCE_ROOT = Path(__file__).resolve().parents[2]


class WorkerFailed(Exception):
    """A worker process exited, could not start, or sent something unreadable."""


def write_message(stream: IO[bytes], obj: Any) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)))
    stream.write(data)
    stream.flush()


def read_message(stream: IO[bytes]) -> Any:
    """The next message, or WorkerFailed at the end of the stream or on a bad length."""
    header = stream.read(_HEADER.size)
    if len(header) != _HEADER.size:
        raise WorkerFailed("the stream ended")
    (size,) = _HEADER.unpack(header)
    if size > MAX_MESSAGE:
        raise WorkerFailed("a message is too large")
    data = stream.read(size)
    if len(data) != size:
        raise WorkerFailed("the stream ended inside a message")
    # Only ever between this process and the workers it started (same user, our code).
    return pickle.loads(data)  # noqa: S301


def worker_command() -> list[str]:
    return [sys.executable, "-m", "intake_app.cases.demo_workers"]


class _Worker:
    def __init__(self, first_message: Any) -> None:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(_SOURCE_ROOT), env.get("PYTHONPATH")) if p
        )
        try:
            self.proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                worker_command(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env
            )
        except OSError as exc:
            raise WorkerFailed("a worker could not start") from exc
        try:
            self.send(first_message)
        except WorkerFailed:
            self.close(kill=True)
            raise

    def send(self, obj: Any) -> None:
        assert self.proc.stdin is not None
        try:
            write_message(self.proc.stdin, obj)
        except (OSError, ValueError) as exc:
            raise WorkerFailed("a worker stopped reading") from exc

    def receive(self) -> Any:
        assert self.proc.stdout is not None
        try:
            return read_message(self.proc.stdout)
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError) as exc:
            raise WorkerFailed("a worker sent something unreadable") from exc

    def close(self, *, kill: bool) -> None:
        """End the worker: stdin closed, it finishes its chunk and exits (or is killed)."""
        if self.proc.stdin is not None:
            # A broken pipe to a dead worker: nothing left to flush.
            with contextlib.suppress(OSError):
                self.proc.stdin.close()
        if kill:
            self.proc.kill()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()


class WorkerPool:
    """`count` workers, each first sent `first_message`; results come back in request order."""

    def __init__(self, count: int, first_message: Any) -> None:
        self._workers: list[_Worker] = []
        try:
            for _ in range(count):
                self._workers.append(_Worker(first_message))
        except BaseException:
            self.close(kill=True)
            raise

    def ordered(self, requests: Iterable[Any]) -> Iterator[Any]:
        """Send requests round-robin, a few ahead, and yield their results in order."""
        queue = iter(requests)
        pending: deque[_Worker] = deque()
        sent = 0

        def send_next() -> bool:
            nonlocal sent
            request = next(queue, None)
            if request is None:
                return False
            worker = self._workers[sent % len(self._workers)]
            worker.send(request)
            pending.append(worker)
            sent += 1
            return True

        while len(pending) < IN_FLIGHT * len(self._workers) and send_next():
            pass
        while pending:
            result = pending.popleft().receive()
            send_next()
            yield result

    def close(self, *, kill: bool = False) -> None:
        for worker in self._workers:
            worker.close(kill=kill)
        self._workers = []

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, kind: object, *_: object) -> None:
        self.close(kill=kind is not None)


def serve(inp: IO[bytes], out: IO[bytes]) -> None:
    """The worker's loop: (protocol file bytes, author), then (seed, items) requests."""
    from intake_app.cases.demo_build import CasePreparer

    content, author = read_message(inp)
    preparer = CasePreparer(content, author)
    while True:
        try:
            seed, items = read_message(inp)
        except WorkerFailed:
            return  # stdin closed: the builder is done
        write_message(out, preparer(seed, items))


if __name__ == "__main__":
    channel = sys.stdout.buffer
    sys.stdout = sys.stderr  # a stray print must not corrupt the results
    serve(sys.stdin.buffer, channel)
