"""The same targets without atheris: seeded random mutations of the seed corpus.

    python -m fuzz.fallback SEEDS_DIR [SECONDS_PER_TARGET] [TARGET ...]

Not coverage-guided, so much weaker than ``fuzz.run``; it exists so that a machine
without atheris still throws malformed input at every parser. Deterministic: the
mutations depend only on the seed corpus and the target's name. Exits 1 and prints
the input (hex) and traceback of the first input that raises anything but a
SecxferError.
"""

from __future__ import annotations

import random
import sys
import time
import traceback
from pathlib import Path

INTERESTING = (b"\x00", b"\xff", b"\x7f", b"\x80", b"\n", b"\r\n", b'"', b"-", b"9" * 20, b"\xff" * 8)


def mutate(data: bytes, rng: random.Random, corpus: list[bytes]) -> bytes:
    """One to four byte-level edits: flips, overwrites, inserts, deletes, cuts, splices."""
    out = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        choice = rng.randrange(7)
        pos = rng.randrange(len(out) + 1)
        if choice == 0 and out:
            out[pos % len(out)] ^= 1 << rng.randrange(8)
        elif choice == 1 and out:
            out[pos % len(out)] = rng.randrange(256)
        elif choice == 2:
            out[pos:pos] = rng.choice(INTERESTING)
        elif choice == 3 and out:
            del out[pos : pos + rng.randint(1, 64)]
        elif choice == 4:
            del out[pos:]
        elif choice == 5 and out:
            start = rng.randrange(len(out))
            out[pos:pos] = out[start : start + rng.randint(1, 256)]
        else:
            other = rng.choice(corpus)
            cut = rng.randrange(len(other) + 1)
            out[pos:] = other[cut:]
    return bytes(out)


def run_target(name: str, seeds_dir: Path, seconds: float) -> tuple[int, str | None]:
    """Executions done and the first failure (None if every input was refused cleanly)."""
    from fuzz.targets import TARGETS
    from secxfer.errors import SecxferError

    target = TARGETS[name]
    corpus = [p.read_bytes()[: target.max_len] for p in sorted((seeds_dir / name).iterdir())] or [b""]
    rng = random.Random(name)
    try:
        target.run(corpus[0])  # builds the target's fixtures outside the time box
    except SecxferError:
        pass
    deadline = time.monotonic() + seconds
    runs = 0
    while time.monotonic() < deadline:
        data = mutate(rng.choice(corpus), rng, corpus)[: target.max_len]
        runs += 1
        try:
            target.run(data)
        except SecxferError:
            pass
        except Exception:  # noqa: BLE001 - this is what we are looking for
            return runs, f"{name}: input {data.hex()}\n{traceback.format_exc()}"
    return runs, None


def main(argv: list[str]) -> int:
    from fuzz.targets import TARGETS

    if not argv:
        print("usage: python -m fuzz.fallback SEEDS_DIR [SECONDS_PER_TARGET] [TARGET ...]", file=sys.stderr)
        return 2
    seeds, seconds = Path(argv[0]), float(argv[1]) if len(argv) > 1 else 1.0
    for name in argv[2:] or list(TARGETS):
        runs, failure = run_target(name, seeds, seconds)
        print(f"{name}: {runs} runs", file=sys.stderr)
        if failure:
            print(failure, file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
