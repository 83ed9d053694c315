"""Two calls over the same large buffer at once: one on this thread, one on a second.

SHA-256 (hashlib) and file reads and writes release the GIL for large buffers, so on
two cores hashing a batch beside writing it takes about the longer of the two instead
of their sum. The second call must be done before the buffer is reused, and calls on
one :class:`Beside` run in the order given: a hash still sees the bytes in order.
Buffers below ``min_bytes`` are handled on this thread alone (handing them over costs
more than it saves), and the second thread starts only for the first large one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from concurrent.futures import ThreadPoolExecutor

T = TypeVar("T")
BESIDE_MIN_BYTES = 256 << 10


class Beside:
    def __init__(self, *, min_bytes: int | None = None, name: str = "secxfer-beside") -> None:
        self._min_bytes = BESIDE_MIN_BYTES if min_bytes is None else min_bytes
        self._name = name
        self._pool: ThreadPoolExecutor | None = None

    def both(self, size: int, side: Callable[[], object], here: Callable[[], T]) -> T:
        """Run ``side`` (on the second thread) and ``here`` (on this one); return ``here``'s result
        once both are done. An error of either is raised here, ``here``'s first."""
        if size < self._min_bytes:
            result = here()
            side()
            return result
        if self._pool is None:
            from concurrent.futures import ThreadPoolExecutor

            self._pool = ThreadPoolExecutor(1, thread_name_prefix=self._name)
        pending = self._pool.submit(side)
        try:
            result = here()
        finally:
            side_error = pending.exception()  # waits: the buffer is the caller's again after this
        if side_error is not None:
            raise side_error
        return result

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None
