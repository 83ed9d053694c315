"""What the memory benchmark runs in a child process: one package-layer operation.

    python bench/suite/child.py seal FIXTURE_FOLDER OUT_FOLDER
    python bench/suite/child.py open FIXTURE_FOLDER PACKAGE SCRATCH_HOME
    python bench/suite/child.py relay FIXTURE_FOLDER PACKAGE SCRATCH_HOME OUT_FOLDER
    python bench/suite/child.py first WORK_FOLDER STEP      (suite.first: prints its facts as JSON)
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from suite import sealed  # noqa: E402


def main(argv: list[str]) -> int:
    action, folder, *rest = argv[1:]
    if action == "first":
        import json

        from suite import first

        print(json.dumps(first.run_step(Path(folder), rest[0])))
        return 0
    fixture = sealed.load(Path(folder))
    if action == "seal":
        written = sealed.seal_package(fixture, Path(rest[0]), streamed=True)
        print(written.path)
    elif action == "open":
        print(sealed.open_sealed(fixture, Path(rest[0]), Path(rest[1])))
    elif action == "relay":
        print(sealed.relay_sealed(fixture, Path(rest[0]), Path(rest[1]), Path(rest[2])))
    else:
        print(f"unknown action {action!r}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
