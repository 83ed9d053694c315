"""Write-behind and read-ahead: move I/O off the thread that runs the AEAD.

Sealing a batch (ChaCha20-Poly1305 in ``cryptography`` releases the GIL) and
writing the previous one (a system call, also outside the GIL) then run on two
cores at once; so do opening a batch and reading (and, for a caller whose reader
hashes what it reads, hashing) the next. Memory stays constant: a fixed ring of
``depth`` buffers cycles between the two threads. Small payloads never start a
thread: the first batch is read or written synchronously and the thread starts
only when a second batch follows.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable

from secxfer.age._io import Source, allocate, fill

Sink = Callable[[memoryview], object]


class WriteBehind:
    def __init__(self, sink: Sink, buffer_size: int, *, depth: int = 3) -> None:
        self._sink = sink
        self._size = buffer_size
        self._depth = depth
        self._first = allocate(buffer_size)
        self._free: queue.SimpleQueue[memoryview] = queue.SimpleQueue()
        self._full: queue.SimpleQueue[tuple[memoryview, int] | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self._dropping = False

    def buffer(self) -> memoryview:
        """A buffer to fill; waits until the writer has released one."""
        if self._thread is None:
            return self._first
        buffer = self._free.get()
        self._raise_writer_error()
        return buffer

    def submit(self, buffer: memoryview, length: int, *, more: bool) -> None:
        """Queue ``buffer[:length]`` for the sink; ``more`` says whether batches follow."""
        self._raise_writer_error()
        if self._thread is None:
            if not more:
                self._sink(buffer[:length])
                return
            for _ in range(self._depth - 1):
                self._free.put(allocate(self._size))
            self._thread = threading.Thread(target=self._run, name="secxfer-age-writer", daemon=True)
            self._thread.start()
        self._full.put((buffer, length))

    def close(self) -> None:
        """Wait until everything submitted was written; re-raise a writer error."""
        self._stop()
        self._raise_writer_error()

    def abort(self) -> None:
        """Stop after the write in progress; queued buffers are dropped, errors ignored."""
        self._dropping = True
        self._stop()

    def _stop(self) -> None:
        if self._thread is not None:
            self._full.put(None)
            self._thread.join()
            self._thread = None

    def _raise_writer_error(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def _run(self) -> None:
        while True:
            item = self._full.get()
            if item is None:
                return
            buffer, length = item
            if self._error is None and not self._dropping:
                try:
                    self._sink(buffer[:length])
                except BaseException as error:  # handed to the producer thread
                    self._error = error
            self._free.put(buffer)


class ReadAhead:
    """Fill buffers of ``buffer_size`` bytes from ``source`` in order, one batch ahead.

    ``next()`` returns ``(buffer, filled)``; a buffer not filled completely is the
    last one. Every buffer returned must be given back with ``release`` once used.
    The reading thread starts only if the first buffer filled completely.
    """

    def __init__(self, source: Source, buffer_size: int, *, depth: int = 3) -> None:
        self._source = source
        self._size = buffer_size
        self._depth = depth
        self._started = False
        self._ended = False
        self._free: queue.SimpleQueue[memoryview | None] = queue.SimpleQueue()
        self._full: queue.SimpleQueue[tuple[memoryview, int] | BaseException] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._stopping = False

    def next(self) -> tuple[memoryview, int]:
        if self._ended:
            return memoryview(b""), 0
        if not self._started:
            self._started = True
            buffer = allocate(self._size)
            filled = fill(self._source, buffer)
            if filled < self._size:
                self._ended = True
            else:
                for _ in range(self._depth):
                    self._free.put(allocate(self._size))
                self._thread = threading.Thread(target=self._run, name="secxfer-age-reader", daemon=True)
                self._thread.start()
            return buffer, filled
        item = self._full.get()
        if isinstance(item, BaseException):
            self._ended = True
            raise item
        if item[1] < self._size:
            self._ended = True
        return item

    def release(self, buffer: memoryview) -> None:
        if self._thread is not None and len(buffer) == self._size:
            self._free.put(buffer)

    def close(self) -> None:
        """Stop reading. Waits for the reader only when it has already finished or
        will after the read in progress; a reader blocked on a slow pipe is left to
        exit on its own (it is a daemon thread and owns nothing but its buffers)."""
        self._stopping = True
        if self._thread is not None:
            self._free.put(None)
            if self._ended:
                self._thread.join()
            self._thread = None

    def _run(self) -> None:
        while True:
            buffer = self._free.get()
            if buffer is None or self._stopping:
                return
            try:
                filled = fill(self._source, buffer)
            except BaseException as error:  # handed to the consuming thread
                self._full.put(error)
                return
            self._full.put((buffer, filled))
            if filled < self._size:
                return
