"""What the memory benchmark runs in a child process: one package-layer operation.

    python bench/suite/child.py seal FIXTURE_FOLDER OUT_FOLDER
    python bench/suite/child.py open FIXTURE_FOLDER PACKAGE SCRATCH_HOME
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from suite import sealed  # noqa: E402


def main(argv: list[str]) -> int:
    action, folder, *rest = argv[1:]
    fixture = sealed.load(Path(folder))
    if action == "seal":
        written = sealed.seal_package(fixture, Path(rest[0]), streamed=True)
        print(written.path)
    elif action == "open":
        print(sealed.open_sealed(fixture, Path(rest[0]), Path(rest[1])))
    else:
        print(f"unknown action {action!r}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
