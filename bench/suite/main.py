"""``bench/run``: the whole suite in one command, writing JSON and Markdown to bench/results/."""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
import time
import traceback
from datetime import datetime, timezone
from pathlib import Path

RESULTS = Path(__file__).resolve().parent.parent / "results"
SECTIONS = ("throughput", "fanout", "memory", "startup", "first")
# mode -> settings; the quick mode stays under two minutes on the 2-core machine
MODES = {
    "quick": {"sizes": [64], "runs": 3, "municipalities": 150, "rows": 8_600, "memory": [64], "startup_runs": 5,
              "first_rows": 5_000, "first_municipalities": 40},
    "full": {"sizes": [64, 1024], "runs": 5, "municipalities": None, "rows": 100_000, "memory": [64, 1024],
             "startup_runs": 15, "first_rows": 500_000, "first_municipalities": None},
}
BIG_MIB = 512  # payloads this large get at most BIG_RUNS rounds (one round of 1 GiB is about a minute)
BIG_RUNS = 3


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="bench/run",
        description="Benchmark secxfer against age, rage/pyrage, gpg, age + minisign and openssl "
        "(bulk throughput, national fan-out, peak memory, start-up). Writes bench/results/bench-MODE-STAMP.{json,md}.",
    )
    p.add_argument("--quick", action="store_true", help="64 MiB, 150 insurers, few runs: under two minutes")
    p.add_argument("--only", action="append", choices=SECTIONS, help="run only this part (repeatable)")
    p.add_argument("--sizes", type=int, nargs="+", metavar="MIB", help="bulk payload sizes in MiB (default 64, full adds 1024)")
    p.add_argument("--runs", type=int, help="rounds per bulk comparison (medians are reported)")
    p.add_argument("--municipalities", type=int, help="fan-out: insurers in the month (default: all 1,741; quick 150)")
    p.add_argument("--rows", type=int, help="fan-out: rows in the month (default 100,000; quick 8,600)")
    p.add_argument("--dir", type=Path, help="folder for test files (default /dev/shm when it exists: no disk in the numbers)")
    p.add_argument("--no-install", action="store_true", help="never install missing peers, only skip them")
    p.add_argument("--results", type=Path, default=RESULTS, help="where to write the report (default bench/results)")
    return p


def secxfer_command() -> list[str]:
    """The installed ``secxfer`` script beside this interpreter, as users run it."""
    script = Path(sys.executable).with_name("secxfer")
    return [str(script)] if script.exists() else [sys.executable, "-m", "secxfer"]


def _machine() -> dict:
    cpu = "?"
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {"cpus": os.cpu_count(), "cpu": cpu, "platform": platform.platform(), "python": platform.python_version()}


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    # An installed secxfer has its bytecode cached; with caching disabled every child
    # process would pay for compiling the package again, which no user does.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    mode = "quick" if args.quick else "full"
    settings = dict(MODES[mode])
    sections = args.only or list(SECTIONS)
    from suite import fanout, first, memory, peers, startup, throughput
    from suite.report import write_report
    from suite.targets import evaluate

    import secxfer

    base = args.dir or (Path("/dev/shm") if Path("/dev/shm").is_dir() else None)
    work = Path(tempfile.mkdtemp(prefix="secxfer-bench-", dir=base))
    found = peers.discover(install=not args.no_install)
    cli = secxfer_command()
    results: dict = {
        "suite": "secxfer-bench", "mode": mode, "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "folder": str(work.parent), "machine": _machine(), "sections": sections,
        "versions": {"secxfer": secxfer.__version__, "cryptography": __import__("cryptography").__version__, **found.found},
        "skipped": found.skipped, "installed": found.installed, "errors": {},
    }
    started = time.perf_counter()

    def part(name: str, action) -> None:
        if name not in sections:
            return
        print(f"bench: {name} …", file=sys.stderr, flush=True)
        mark = time.perf_counter()
        try:
            results[name] = action()
        except Exception as error:  # one broken part must not lose the others' numbers
            results["errors"][name] = f"{type(error).__name__}: {error}"
            traceback.print_exc()
        print(f"bench: {name} done in {time.perf_counter() - mark:.1f} s", file=sys.stderr, flush=True)

    try:
        sizes = args.sizes or settings["sizes"]
        runs = args.runs or settings["runs"]
        part("throughput", lambda: [
            throughput.measure(s, runs if args.runs or s < BIG_MIB else min(runs, BIG_RUNS), work / f"bulk-{s}", found, cli)
            for s in sizes])
        if "throughput" in sections:
            results["ceilings"] = throughput.ceilings()
        part("fanout", lambda: fanout.measure(
            work / "fanout", found, municipalities=args.municipalities or settings["municipalities"],
            rows=args.rows or settings["rows"]))
        part("memory", lambda: memory.measure(args.sizes or settings["memory"], work / "memory", found, cli))
        part("startup", lambda: startup.measure(work / "startup", settings["startup_runs"], cli))
        part("first", lambda: first.measure(work / "first", rows=settings["first_rows"],
                                            municipalities=settings["first_municipalities"]))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    results["seconds"] = time.perf_counter() - started
    results["targets"] = evaluate(results)
    json_path, md_path = write_report(results, args.results)
    print(md_path.read_text())
    print(f"JSON: {json_path}\nMarkdown: {md_path}", file=sys.stderr)
    return 1 if results["errors"] else 0
