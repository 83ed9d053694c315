"""The run's report: one JSON document and the same facts as Markdown, side by side in bench/results/."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path


def _fmt(value, digits: int = 2) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return str(value)


def _table(header: list[str], rows: list[list]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" if i == 0 else "---:" for i in range(len(header))) + "|"]
    lines += ["| " + " | ".join(str(cell).replace("|", "\\|") for cell in row) + " |" for row in rows]
    return lines + [""]


def _throughput(section: dict) -> list[str]:
    columns = list(dict.fromkeys(c for r in section["rows"] for c in r.get("speed_vs_column", {})))
    out = [f"### {section['size_mib']} MiB ({section['bytes']:,} bytes), median of {section['runs']}", ""]
    header = ["operation", "tool", "median s", "MB/s", *[f"x {c}" for c in columns]]
    rows = []
    for r in section["rows"]:
        rows.append([r["operation"], f"**{r['tool']}**" if r["secxfer"] else r["tool"], _fmt(r["median_s"], 3),
                     _fmt(r["mb_per_s"], 0), *[_fmt(r.get("speed_vs_column", {}).get(c)) for c in columns]])
    out += _table(header, rows)
    out.append("`x PEER` = PEER's median time for the same operation / this row's (> 1: faster than PEER); "
               "the age column of the relay row is the `age -d | age -r` pipe.")
    return out + [""]


def _fanout(section: dict) -> list[str]:
    out = [f"{section['municipalities']} insurers, {section['rows']:,} rows; keys, directory and CSVs built "
           f"beforehand in {section['setup_s_untimed']:.1f} s (untimed).", ""]
    rows = []
    for r in section["results"]:
        if "skipped" in r:
            rows.append([r["tool"], "skipped: " + r["skipped"], "-", "-", "-"])
            continue
        rows.append([r["tool"], _fmt(r["total_s"]), r["packages"], _fmt(r["per_package_ms"]), f"{r['media_bytes'] / 1e6:,.1f}"])
    out += _table(["tool", "total s", "packages", "ms / package", "MB written"], rows)
    ours = section["results"][0]
    out.append("secxfer phases: " + ", ".join(f"{k} {v:.2f} s" for k, v in ours["phases_s"].items()))
    if ours.get("phase_ms_per_package"):
        out.append("ms per package handled (read or written) in each phase: "
                   + ", ".join(f"{k} {v:.2f}" for k, v in ours["phase_ms_per_package"].items()))
    if section.get("secxfer_time_vs_peer") is not None:
        out.append(f"secxfer time / peer time: {section['secxfer_time_vs_peer']:.2f}")
    return out + [""]


def _memory(section: dict) -> list[str]:
    rows = [[r["operation"], r["size_mib"] or "-", _fmt(r["peak_rss_mib"], 1), _fmt(r["peak_anon_mib"], 1),
             _fmt(r["peak_file_mib"], 1), _fmt(r["seconds"])] for r in section["rows"]]
    return _table(["operation", "payload MiB", "peak RSS MiB", "anon MiB", "file-backed MiB", "s"], rows)


def _first(section: dict) -> list[str]:
    out = [f"{section['period']}: {section['rows']:,} rows, {section['municipalities']} insurers; keys, directory "
           f"and CSVs built beforehand in {section['setup_s_untimed']:.1f} s (untimed). Each step in its own process.", ""]
    rows = [[r["step"], _fmt(r["seconds"]), _fmt(r["peak_rss_mib"], 1), _fmt(r["peak_anon_mib"], 1),
             r.get("packages", "-"), ", ".join(f"{k} {v:.2f} s" for k, v in r.get("phases_s", {}).items()) or "-"]
            for r in section["steps"]]
    return out + _table(["step", "s", "peak RSS MiB", "anon MiB", "packages", "phases"], rows)


def _startup(section: dict) -> list[str]:
    rows = [[r["command"], _fmt(r["median_ms"], 1), _fmt(r["min_ms"], 1), f"{r['mean_ms']:.1f} ± {r['stdev_ms']:.1f}",
             r["runs"]] for r in section["rows"]]
    out = _table(["command", "median ms", "min ms", "mean ± sd ms", "runs"], rows)
    if section.get("imports"):
        out += ["Imports (`python -X importtime`, one run): modules loaded and the sum of their own import times;",
                "the module count does not depend on the machine's load, the milliseconds do.", ""]
        out += _table(["command", "modules", "budget", "import ms (sum)", "heaviest top-level imports"],
                      [[r["command"], r["modules"], r.get("budget_modules", "-"), _fmt(r["self_ms"], 1),
                        ", ".join(f"{name} {ms:.0f}" for name, ms in r["heaviest"])] for r in section["imports"]])
    return out


def render_markdown(results: dict) -> str:
    lines = [f"# secxfer benchmarks — {results['mode']} run, {results['when']}", ""]
    machine = results["machine"]
    lines.append(f"Machine: {machine['cpus']} CPUs, {machine.get('cpu', '?')}, {machine['platform']}, Python {machine['python']}.")
    lines.append("Versions: " + ", ".join(f"{k} {v}" for k, v in results["versions"].items()) + ".")
    if results.get("skipped"):
        lines.append("Skipped: " + "; ".join(f"{k}: {v}" for k, v in results["skipped"].items()) + ".")
    if results.get("installed"):
        lines.append("Installed for this run: " + ", ".join(results["installed"]) + ".")
    lines.append("")
    if results.get("targets"):
        lines += ["## Targets (issue 7)", ""]
        met = {True: "met", False: "**missed**", None: "not measured"}
        lines += _table(["target", "goal", "measured", "status"],
                        [[t["target"], t["goal"], t["measured"], met[t["met"]]] for t in results["targets"]])
    if results.get("throughput"):
        lines += ["## Bulk throughput", ""]
        for section in results["throughput"]:
            lines += _throughput(section)
        ceilings = results.get("ceilings", {})
        lines += ["Ceilings: " + "; ".join(f"{k} {_fmt(v, 0)} MB/s" for k, v in ceilings.items()), ""]
    if results.get("fanout"):
        lines += ["## National fan-out", ""] + _fanout(results["fanout"])
    if results.get("memory"):
        lines += ["## Peak memory (child process)", ""] + _memory(results["memory"])
    if results.get("first"):
        lines += ["## First delivery (2019-04 to this month)", ""] + _first(results["first"])
    if results.get("startup"):
        lines += ["## Start-up (wall time)", ""] + _startup(results["startup"])
    if results.get("errors"):
        lines += ["## Errors", ""] + [f"* {k}: {v}" for k, v in results["errors"].items()] + [""]
    return "\n".join(lines).rstrip() + "\n"


def write_report(results: dict, folder: Path) -> tuple[Path, Path]:
    """Write ``bench-<mode>-<UTC stamp>.json`` and ``.md`` (plus ``latest-<mode>.*`` copies)."""
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    base = folder / f"bench-{results['mode']}-{stamp}"
    text = json.dumps(results, indent=2, sort_keys=True, default=str) + "\n"
    markdown = render_markdown(results)
    json_path, md_path = base.with_suffix(".json"), base.with_suffix(".md")
    json_path.write_text(text)
    md_path.write_text(markdown)
    (folder / f"latest-{results['mode']}.json").write_text(text)
    (folder / f"latest-{results['mode']}.md").write_text(markdown)
    return json_path, md_path
