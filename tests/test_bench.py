"""The benchmark suite's plumbing: the command starts, the report is valid, targets are judged right.

Nothing here times anything: speed goals live in bench/, never in the test suite.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
sys.path.insert(0, str(BENCH))

from suite import measure, report, targets  # noqa: E402


def _fake_results() -> dict:
    def row(operation, tool, seconds, secxfer, vs):
        return {"operation": operation, "tool": tool, "median_s": seconds, "mb_per_s": 64e6 / seconds, "runs_s": [seconds],
                "secxfer": secxfer, "speed_vs": vs, "speed_vs_column": {"age": vs["age"]} if "age" in vs else {}}

    throughput = {"size_mib": 64, "bytes": 64 << 20, "runs": 3, "rows": [
        row("encrypt", "secxfer age (CLI)", 0.08, True, {"age": 1.25}),
        row("encrypt", "secxfer age (library)", 0.05, True, {"age": 2.0}),
        row("encrypt", "secxfer sealed package", 0.2, True, {"age": 0.5, "gpg -se -z 0": 5.0}),
        row("encrypt", "age", 0.1, False, {"age": 1.0}),
        row("relay", "secxfer relay", 0.5, True, {"age -d | age -r": 0.4}),
    ]}
    return {
        "suite": "secxfer-bench", "mode": "quick", "when": "2026-11-26T00:00:00+00:00",
        "machine": {"cpus": 2, "cpu": "test", "platform": "linux", "python": "3.11"},
        "versions": {"secxfer": "0.1.0", "age": "v1.1.1"}, "skipped": {"rage": "not installed"}, "installed": [],
        "errors": {}, "throughput": [throughput],
        "ceilings": {"openssl chacha20-poly1305 (1 core, 64 KiB)": 3700.0,
                     "ChaCha20-Poly1305 loop in Python (encrypt_into, 64 KiB)": 3500.0},
        "fanout": {"municipalities": 1741, "rows": 100000, "setup_s_untimed": 40.0, "secxfer_time_vs_peer": 0.5,
                   "results": [{"tool": "secxfer", "total_s": 4.0, "phases_s": {"seal": 1.0}, "packages": 1789,
                                "per_package_ms": 2.2, "media_bytes": 10**7},
                               {"tool": "age + minisign shell loop", "skipped": "needs age and minisign"}]},
        "memory": {"rows": [{"operation": "seal (sealed package write)", "size_mib": 64, "peak_rss_mib": 38.0,
                             "peak_anon_mib": 20.0, "peak_file_mib": 10.0, "seconds": 0.5}]},
        "startup": {"rows": [{"command": "secxfer --version", "median_ms": 40.0, "min_ms": 38.0, "mean_ms": 41.0,
                              "stdev_ms": 1.0, "runs": 5}]},
    }


def test_bench_run_help_lists_the_modes():
    done = subprocess.run([sys.executable, str(BENCH / "run"), "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "--quick" in done.stdout and "bench/results" in done.stdout


def test_bench_run_refuses_an_unknown_part():
    done = subprocess.run([sys.executable, str(BENCH / "run"), "--only", "nonsense"], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 2 and "invalid choice" in done.stderr


def test_report_writes_valid_json_and_markdown(tmp_path):
    results = _fake_results()
    results["targets"] = targets.evaluate(results)
    json_path, md_path = report.write_report(results, tmp_path)
    assert json.loads(json_path.read_text()) == json.loads(json.dumps(results))
    assert json.loads((tmp_path / "latest-quick.json").read_text())["mode"] == "quick"
    markdown = md_path.read_text()
    assert "| encrypt | **secxfer age (CLI)** | 0.080 |" in markdown
    assert "age -d \\| age -r" not in markdown or "\\|" in markdown  # a pipe in a cell never splits the table
    assert "skipped: needs age and minisign" in markdown
    assert "rage: not installed" in markdown


def test_markdown_escapes_pipes_in_cells():
    lines = report._table(["tool", "s"], [["age -d | age -r", 1]])
    assert lines[2] == "| age -d \\| age -r | 1 |"


def test_targets_are_judged_against_issue_goals():
    judged = {t["target"]: t for t in targets.evaluate(_fake_results())}
    assert judged["secxfer age encrypt (CLI) vs age (64 MiB)"]["met"] is True
    assert judged["sealed package write vs age encrypt (64 MiB)"]["met"] is False
    assert judged["sealed package write vs gpg -se -z 0 (64 MiB)"]["met"] is True
    assert judged["relay hop vs age -d | age -r (64 MiB)"]["met"] is False
    assert judged["in-loop AEAD vs openssl ChaCha20-Poly1305"]["met"] is True
    assert judged["national month total (1741 insurers, 100000 rows)"]["met"] is True
    assert judged["secxfer open, one small package"]["met"] is None  # not measured is neither met nor missed
    assert judged["sealed package open vs age -d (64 MiB)"]["measured"] == "not measured"


def test_paired_runs_rotate_the_order():
    seen: list[str] = []
    samples = measure.paired({"a": lambda: None, "b": lambda: None, "c": lambda: None}, 3, before=seen.append)
    assert seen == ["a", "b", "c", "b", "c", "a", "c", "a", "b"]
    assert all(len(v) == 3 for v in samples.values())


def test_command_failure_carries_stderr():
    with pytest.raises(measure.CommandFailed, match="boom"):
        measure.run([sys.executable, "-c", "import sys; sys.exit('boom')"])


def _launch_from_big_parent(child_code: str) -> dict:
    """Run the launcher from a parent holding 256 MiB, as the benchmark process does."""
    launcher = BENCH / "suite" / "rss_launcher.py"
    parent = (
        "import subprocess, sys; ballast = bytearray(256 << 20); ballast[::4096] = b'x' * len(ballast[::4096]); "
        f"done = subprocess.run([sys.executable, '-S', {str(launcher)!r}, sys.executable, '-S', '-c', {child_code!r}], "
        "capture_output=True, text=True); print(done.stdout)"
    )
    done = subprocess.run([sys.executable, "-S", "-c", parent], capture_output=True, text=True, timeout=60)
    return json.loads(done.stdout.strip())


def test_rss_launcher_reports_the_child_not_its_parents():
    small = _launch_from_big_parent("pass")
    assert small["exit"] == 0
    assert small["maxrss_kib"] < 64 * 1024  # not the 256 MiB of the process that started the launcher
    big = _launch_from_big_parent("b = bytearray(96 << 20); b[::4096] = b'x' * len(b[::4096])")
    assert big["maxrss_kib"] >= 96 * 1024  # the child's own buffer is seen
