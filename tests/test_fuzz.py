"""A short, time-boxed fuzz run of every target in ``fuzz/`` (docs/fuzzing.md).

The targets split into two groups that run side by side under atheris for a few
seconds each, starting from the seed corpus ``fuzz.corpus`` derives from the
repository. Any input that ends in something other than a SecxferError — another
exception, a hang past libFuzzer's timeout, memory past its RSS limit — fails the
test with the input and traceback. Without atheris (a developer machine) the same
targets run on seeded random mutations instead; in CI (``SECXFER_REQUIRE_AGE`` or
``CI`` set) a missing atheris is a failure, never a skip.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SECONDS = int(os.environ.get("SECXFER_FUZZ_SECONDS", "6"))  # per group; long runs: docs/fuzzing.md


def _targets() -> list[str]:
    listing = subprocess.run(
        [sys.executable, "-c", "from fuzz.targets import TARGETS; print(' '.join(TARGETS))"],
        cwd=REPO, check=True, capture_output=True, text=True,
    )
    return listing.stdout.split()


def _have_atheris() -> bool:
    try:
        import atheris  # noqa: F401
    except ImportError:
        if os.environ.get("SECXFER_REQUIRE_AGE") or os.environ.get("CI"):
            pytest.fail("atheris is required here (pip install -e '.[test]'); the fuzz run must not be skipped")
        return False
    return True


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("fuzz-corpus")
    subprocess.run([sys.executable, "-m", "fuzz.corpus", str(out)], cwd=REPO, check=True, capture_output=True)
    return out


def test_every_target_has_seeds(corpus):
    targets = _targets()
    assert len(targets) >= 27
    empty = [name for name in targets if not any((corpus / name).iterdir())]
    assert not empty, f"targets without seeds: {empty}"


def test_every_fuzz_target_survives_a_short_run(corpus, tmp_path):
    targets = _targets()
    if not _have_atheris():
        done = subprocess.run(
            [sys.executable, "-m", "fuzz.fallback", str(corpus), str(max(1, SECONDS // 8)), *targets],
            cwd=REPO, capture_output=True, text=True, timeout=600,
        )
        print("\natheris not installed: seeded mutation fallback\n" + done.stderr)
        assert done.returncode == 0, done.stderr[-4000:]
        return
    groups = [targets[0::2], targets[1::2]]
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "fuzz.run", *group, "--seeds", str(corpus), "--",
             f"-max_total_time={SECONDS}", f"-artifact_prefix={tmp_path}/", "-seed=1"],
            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for group in groups
    ]
    total = 0
    for group, proc in zip(groups, runs, strict=True):
        _, log = proc.communicate(timeout=SECONDS + 300)
        tail = "\n".join(line for line in log.splitlines() if not line.startswith(("#", "INFO: Instrumenting")))
        assert proc.returncode == 0, f"fuzzing {group} found a defect:\n{tail[-6000:]}"
        done = re.search(r"Done (\d+) runs in (\d+) second", log)
        assert done, tail[-2000:]
        total += int(done[1])
        print(f"\nfuzz {' '.join(group)}: {done[1]} executions in {done[2]} s")
    assert not list(tmp_path.glob("crash-*")) and not list(tmp_path.glob("timeout-*"))
    print(f"fuzz total: {total} executions over {len(targets)} targets")
