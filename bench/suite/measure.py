"""Timing helpers: paired, order-rotated runs and medians; commands; openssl's ceilings.

The machine has two cores and is shared, so absolute times drift between runs.
Every contender in a comparison runs in the same round, the order rotates each
round so no one always runs on a warm (or cold) cache, and ratios are taken
between medians of the same session.
"""

from __future__ import annotations

import re
import shutil
import statistics
import subprocess
import time
from collections.abc import Callable, Mapping

Action = Callable[[], object]


class CommandFailed(RuntimeError):
    pass


def timed(action: Action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def paired(
    cases: Mapping[str, Action], runs: int, *, before: Callable[[str], object] | None = None
) -> dict[str, list[float]]:
    """Run every case ``runs`` times, rotating the order each round; ``before(name)`` is untimed."""
    order = list(cases)
    samples: dict[str, list[float]] = {name: [] for name in order}
    for round_number in range(runs):
        shift = round_number % len(order) if order else 0
        for name in order[shift:] + order[:shift]:
            if before is not None:
                before(name)
            samples[name].append(timed(cases[name]))
    return samples


def median(samples: list[float]) -> float:
    return statistics.median(samples)


def run(command: list[str], *, stdin: bytes | None = None, env: Mapping[str, str] | None = None) -> bytes:
    """Run ``command``; raise CommandFailed with its stderr if it fails."""
    done = subprocess.run(command, input=stdin, capture_output=True, env=dict(env) if env else None)
    if done.returncode != 0:
        raise CommandFailed(f"{' '.join(command[:3])} … exited {done.returncode}: {done.stderr.decode(errors='replace')[:400]}")
    return done.stdout


def shell(script: str, *, env: Mapping[str, str] | None = None) -> bytes:
    return run(["sh", "-c", script], env=env)


def openssl_speed(algorithm: str, *, seconds: int = 2, block: int = 65536) -> float | None:
    """openssl's single-core rate for ``algorithm`` (an EVP name) on ``block``-byte blocks, MB/s."""
    if shutil.which("openssl") is None:
        return None
    done = subprocess.run(
        ["openssl", "speed", "-evp", algorithm, "-bytes", str(block), "-seconds", str(seconds)],
        capture_output=True, text=True,
    )
    # The last table line is "<name>  <rate>k"; rates are in 1000s of bytes per second.
    match = re.search(rf"^{re.escape(algorithm)}\s+([\d.]+)k\s*$", done.stdout, re.IGNORECASE | re.MULTILINE)
    return float(match.group(1)) * 1000 / 1e6 if match else None


def tool_version(command: list[str]) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return "unavailable"
    text = (done.stdout or done.stderr).strip().splitlines()
    return text[0] if text else "unknown"
