"""Write-behind: hand filled buffers to a sink on a background thread.

Sealing a batch (ChaCha20-Poly1305 in ``cryptography`` releases the GIL) and
writing the previous one (a system call, also outside the GIL) then run on two
cores at once. Memory stays constant: a fixed ring of ``depth`` buffers cycles
between the producer and the writer. Small payloads never start the thread: the
first batch is written synchronously and the thread starts only when a second
batch follows.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable

from secxfer.age._io import allocate

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
