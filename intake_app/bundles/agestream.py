"""age encryption and decryption beside the caller's thread, so that two cores work at once.

Export and import spend most of their time in two places: pyrage's cryptography (which holds
the GIL) and SQLCipher (which releases it inside each statement). Running pyrage in a helper
thread while the caller stores or reads attachments roughly halves their wall time on a
two-core laptop (bench/bench_bundles.py).

Rules that keep this safe: the helper runs only `agefile.encrypt` / `agefile.decrypt` (with
their header checks and caps) and never touches the vault; every database access stays in the
caller's thread. Blocks pass through a small bounded queue, so memory stays flat. Leaving the
`with` block, normally or by an exception (a refused member, a cancel), stops the helper and
waits for it; an error in the helper is raised in the caller's thread.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator, Sequence
from types import TracebackType
from typing import BinaryIO

from pyrage import x25519

from intake_app.bundles import agefile
from intake_app.bundles.limits import MAX_PLAINTEXT_BYTES

BLOCK = 1024 * 1024  # what pyrage's 8 KiB pieces are gathered into before crossing threads
_DEPTH = 4  # blocks in flight: bounds memory to a few MiB whatever the bundle weighs
_POLL = 0.05  # seconds: how often a blocked side looks whether the other has left
_END = object()


class _Abandoned(Exception):
    """The other side has left: unwind the pyrage call in progress."""


class _Channel:
    """A bounded queue between the caller and the helper; either side can hang up."""

    def __init__(self) -> None:
        self._queue: queue.Queue[object] = queue.Queue(maxsize=_DEPTH)
        self.closed = threading.Event()

    def put(self, item: object) -> None:
        while not self.closed.is_set():
            try:
                self._queue.put(item, timeout=_POLL)
                return
            except queue.Full:
                continue
        raise _Abandoned

    def get(self) -> object:
        while True:
            try:
                return self._queue.get(timeout=_POLL)
            except queue.Empty:
                if self.closed.is_set():
                    raise _Abandoned from None

    def hang_up(self, helper: threading.Thread) -> None:
        """Stop the other side and wait for the helper to end (it never outlives us)."""
        self.closed.set()
        while helper.is_alive():
            try:
                while True:
                    self._queue.get_nowait()  # unblock a helper waiting to put
            except queue.Empty:
                pass
            helper.join(_POLL)


class _Gather:
    """pyrage's plaintext sink in the helper: 8 KiB pieces gathered into BLOCK-sized blocks."""

    def __init__(self, channel: _Channel) -> None:
        self._channel = channel
        self._pieces: list[bytes] = []
        self._size = 0

    def write(self, data: bytes) -> int:
        self._pieces.append(data)  # pyrage hands over a new bytes object per piece
        self._size += len(data)
        if self._size >= BLOCK:
            self.flush()
        return len(data)

    def flush(self) -> None:
        if self._pieces:
            self._channel.put(b"".join(self._pieces))  # one copy, not two
            self._pieces.clear()
            self._size = 0


class DecryptedBlocks:
    """`with DecryptedBlocks(src, ids) as blocks: for block in blocks: ...` - the plaintext
    of an age file, decrypted in a helper thread, in blocks of up to BLOCK bytes.

    As with `agefile.decrypt`, every block is provisional until the iteration ends without
    an exception (a later chunk may fail to authenticate). `length` is the plaintext size.
    """

    def __init__(
        self,
        source: BinaryIO,
        identities: Sequence[x25519.Identity],
        *,
        max_plaintext: int = MAX_PLAINTEXT_BYTES,
    ) -> None:
        if not identities:
            raise ValueError("at least one identity is needed to decrypt")
        self._source = source
        self._identities = list(identities)
        self._max = max_plaintext
        self._channel = _Channel()
        self._thread = threading.Thread(target=self._run, name="age-decrypt", daemon=True)
        self.length = 0

    def __enter__(self) -> DecryptedBlocks:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._channel.hang_up(self._thread)

    def __iter__(self) -> Iterator[bytes]:
        while True:
            item = self._channel.get()
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            assert isinstance(item, bytes)
            yield item

    def _run(self) -> None:
        sink = _Gather(self._channel)
        try:
            length = agefile.decrypt(self._source, self._identities, sink,
                                     max_plaintext=self._max)  # fmt: skip
            sink.flush()
            self.length = length
            self._channel.put(_END)
        except BaseException as exc:  # handed to the caller's thread, never lost
            if self._channel.closed.is_set():
                return
            try:
                self._channel.put(exc)
            except _Abandoned:
                return


class _Feed:
    """The file-like object pyrage's encryptor reads from, in the helper thread."""

    def __init__(self, channel: _Channel) -> None:
        self._channel = channel
        self._block = b""
        self._pos = 0
        self._done = False

    def read(self, size: int = -1) -> bytes:
        while self._pos >= len(self._block):
            if self._done:
                return b""
            item = self._channel.get()
            if item is _END:
                self._done = True
                return b""
            assert isinstance(item, bytes)
            self._block, self._pos = item, 0
        end = len(self._block) if size < 0 else min(len(self._block), self._pos + size)
        out = self._block[self._pos : end]
        self._pos = end
        return out


class EncryptingWriter:
    """`with EncryptingWriter(dest, recipients) as w: w.write(...); w.close()` - plaintext
    written from the caller's thread, encrypted by pyrage in a helper thread into `dest`
    (whose `write` therefore runs in the helper). Leaving the block without `close` (an
    exception) abandons the output: the caller discards `dest`."""

    def __init__(self, dest: BinaryIO, recipients: Sequence[str | x25519.Recipient]) -> None:
        self._dest = dest
        self._recipients = list(recipients)
        self._channel = _Channel()
        self._thread = threading.Thread(target=self._run, name="age-encrypt", daemon=True)
        self._error: BaseException | None = None
        self._buf = bytearray()

    def __enter__(self) -> EncryptingWriter:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._channel.hang_up(self._thread)

    def write(self, data: bytes) -> int:
        self._buf += data
        if len(self._buf) >= BLOCK:
            self._send(bytes(self._buf))
            self._buf.clear()
        return len(data)

    def _send(self, item: object) -> None:
        try:
            self._channel.put(item)
        except _Abandoned:
            self._raise_helper_error()
            raise
        if not self._thread.is_alive():
            self._raise_helper_error()

    def close(self) -> None:
        """Send the last bytes and wait until the age file is complete in `dest`."""
        if self._buf:
            self._send(bytes(self._buf))
            self._buf.clear()
        self._send(_END)
        self._thread.join()
        self._raise_helper_error()

    def _raise_helper_error(self) -> None:
        if self._error is not None:
            raise self._error

    def _run(self) -> None:
        try:
            agefile.encrypt(_Feed(self._channel), self._dest, self._recipients)  # type: ignore[arg-type]
        except BaseException as exc:  # raised in the caller's thread at its next write
            self._error = exc
            self._channel.closed.set()
