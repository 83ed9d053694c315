"""Start-up: wall time of short CLI commands, hyperfine-style (warm-up run, then medians).

Commands: ``secxfer --version``, ``secxfer --help``, ``secxfer verify`` of a small
municipality package against the key directory, ``secxfer open`` of it (a fresh copy
of the municipality's home each run, untimed, so the replay check passes). For
scale: the bare interpreter, and the interpreter importing the AEAD and typer.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from suite.measure import run

SHOWCASE = "131016"
# Import budgets (modules loaded, counted by -X importtime; a count, so the machine's load
# does not move it). Measured 2026-12-04: --help 166 -> 163; verify 426 -> 337; open 675 ->
# 390 (the workbook no longer needs openpyxl; typer < 0.29 needs no pydantic). A new eager
# import shows here.
IMPORT_BUDGETS = {"secxfer --help": 180, "secxfer verify (small package)": 360, "secxfer open (small package)": 420}


def _wall(command: list[str], runs: int, env: dict[str, str], before=None) -> dict:
    samples = []
    for attempt in range(runs + 1):
        if before is not None:
            before()
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, env=env)
        elapsed = time.perf_counter() - started
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command[:4])} … exited {done.returncode}: {done.stderr.decode()[:300]}")
        if attempt:  # the first run only warms the page cache
            samples.append(elapsed)
    return {"median_ms": statistics.median(samples) * 1000, "min_ms": min(samples) * 1000,
            "mean_ms": statistics.fmean(samples) * 1000,
            "stdev_ms": statistics.stdev(samples) * 1000 if len(samples) > 1 else 0.0, "runs": len(samples)}


def _imports(args: list[str], env: dict[str, str], before=None) -> dict:
    """Modules a command imports and the sum of their own import times (``-X importtime``)."""
    if before is not None:
        before()
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "secxfer", *args], capture_output=True, env=env)
    if done.returncode != 0:
        raise RuntimeError(f"importtime of secxfer {' '.join(args[:2])} … exited {done.returncode}")
    own_us = 0
    modules = 0
    top: dict[str, float] = {}
    for line in done.stderr.decode(errors="replace").splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        self_us, cumulative_us, name = line[len("import time:"):].split("|", 2)
        if not self_us.strip().isdigit():
            continue  # the header line
        modules += 1
        own_us += int(self_us)
        if not name[1:].startswith(" "):  # a top-level import (nested ones are indented)
            root = name.strip().split(".")[0]
            top[root] = top.get(root, 0.0) + int(cumulative_us) / 1000
    heaviest = sorted(top.items(), key=lambda item: -item[1])[:5]
    return {"modules": modules, "self_ms": own_us / 1000, "heaviest": heaviest}


def measure(work: Path, runs: int, secxfer_cli: list[str]) -> dict:
    from secxfer.testing.demo import run_demo

    demo = run_demo(work / "demo", rows=60, municipalities=3, seed=7).workdir
    mun = f"mun-{SHOWCASE}"
    package = next((demo / "media" / f"fed-13-to-{mun}").glob("*.age"))
    bundle = demo / "key-directory.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SECXFER_")}
    home, out = work / "open-home", work / "open-out"

    def fresh_open() -> None:
        shutil.rmtree(home, ignore_errors=True)
        shutil.rmtree(out, ignore_errors=True)
        shutil.copytree(demo / "homes" / mun, home)
        (home / "chain" / "seen.jsonl").unlink(missing_ok=True)

    python = sys.executable
    cases = {
        "python -c pass": ([python, "-c", "pass"], None),
        "python -c 'import ChaCha20Poly1305'": (
            [python, "-c", "from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305"], None),
        "python -c 'import typer'": ([python, "-c", "import typer"], None),
        "secxfer --version": ([*secxfer_cli, "--version"], None),
        "secxfer --help": ([*secxfer_cli, "--help"], None),
        "secxfer verify (small package)": ([*secxfer_cli, "verify", str(package), "--directory", str(bundle)], None),
        "secxfer open (small package)": (
            [*secxfer_cli, "open", str(package), "--key", str(demo / "keys" / f"{mun}.key"), "--out", str(out),
             "--home", str(home)], fresh_open),
    }
    rows = []
    for name, (command, before) in cases.items():
        rows.append({"command": name, **_wall(command, runs, env, before)})
    imports = []
    for name, budget in IMPORT_BUDGETS.items():
        command, before = cases[name]
        imports.append({"command": name, "budget_modules": budget,
                        **_imports(command[len(secxfer_cli):], env, before)})
    run([python, "-c", "pass"])
    return {"rows": rows, "imports": imports, "package_bytes": package.stat().st_size}
