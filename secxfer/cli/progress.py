"""Progress on stderr while a long operation runs, and only where a person watches.

Shown when stderr is a terminal and ``--quiet`` was not given; never mixed into
stdout (results stay machine-readable). ``activity`` is a spinner with the elapsed
time for a step that reports nothing while it works (sealing, relaying, opening);
``steps`` is a bar over a known number of steps (the demo's federations).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

_quiet = False


def set_quiet(quiet: bool) -> None:
    global _quiet
    _quiet = quiet


def quiet() -> bool:
    return _quiet


def enabled() -> bool:
    """Progress is drawn only for a person: stderr a terminal, no --quiet."""
    return not _quiet and sys.stderr.isatty()


def _console():
    from rich.console import Console

    return Console(stderr=True)


@contextmanager
def activity(message: str) -> Iterator[None]:
    """A spinner with ``message`` and the elapsed time while the block runs (nothing if disabled)."""
    if not enabled():
        yield
        return
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=_console(), transient=True) as bar:
        bar.add_task(message, total=None)
        yield


class Steps:
    """A bar over counted steps; ``note`` prints a line above it (or to stderr when no bar is drawn)."""

    def __init__(self, bar, task) -> None:
        self._bar, self._task = bar, task

    @property
    def drawn(self) -> bool:
        """True when a bar is on screen (callers then skip per-step lines)."""
        return self._bar is not None

    def step(self, done: int, total: int, label: str = "") -> None:
        if self._bar is not None:
            self._bar.update(self._task, completed=done, total=total, label=label)

    def note(self, message: str) -> None:
        if self._bar is not None:
            self._bar.console.print(f"  {message}", markup=False, highlight=False)
        elif not _quiet:
            print(f"  {message}", file=sys.stderr, flush=True)


@contextmanager
def steps(description: str) -> Iterator[Steps]:
    """A progress bar for a run of counted steps (a line per note when no bar can be drawn)."""
    if not enabled():
        yield Steps(None, None)
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[label]}"),
                  TimeElapsedColumn(), console=_console(), transient=True) as bar:
        yield Steps(bar, bar.add_task(description, total=None, label=""))


