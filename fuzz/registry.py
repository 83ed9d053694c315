"""The registry of fuzz targets and the helpers they share.

A target is a function of one byte string that may return or raise a
``SecxferError``; anything else is a defect. ``target`` registers one under a name
with the longest input worth generating for it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fuzz import fixtures
from secxfer.errors import SecxferError

KIB = 1024


@dataclass(frozen=True)
class Target:
    name: str
    run: Callable[[bytes], None]
    max_len: int
    about: str


TARGETS: dict[str, Target] = {}


def target(name: str, *, max_len: int = 4 * KIB) -> Callable[[Callable[[bytes], None]], Callable[[bytes], None]]:
    def register(function: Callable[[bytes], None]) -> Callable[[bytes], None]:
        TARGETS[name] = Target(name, function, max_len, (function.__doc__ or "").strip())
        return function

    return register


def each(*calls: Callable[[], object]) -> None:
    """Run every call, each refused cleanly or not on its own (one refusal must not hide
    a crash in the next parser of the same input)."""
    for call in calls:
        try:
            call()
        except SecxferError:
            pass


def as_text(data: bytes) -> str:
    # Command-line arguments reach Python as str with surrogate escapes for bad bytes.
    return data.decode("utf-8", "surrogateescape")


def scratch_file(name: str, data: bytes):
    path = fixtures.scratch() / name
    path.write_bytes(data)
    return path
