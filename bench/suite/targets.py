"""Issue 7's and issue 17's targets, checked against one run's results (reported, never asserted)."""

from __future__ import annotations


def _speed(throughput: dict, operation: str, tool: str) -> dict | None:
    return next((r for r in throughput["rows"] if r["operation"] == operation and r["tool"] == tool), None)


def _ratio(throughput: dict, operation: str, tool: str, peer: str) -> float | None:
    row = _speed(throughput, operation, tool)
    return row["speed_vs"].get(peer) if row else None


def _target(name: str, goal: str, value: float | None, ok: bool | None, shown: str) -> dict:
    return {"target": name, "goal": goal, "measured": shown if value is not None else "not measured",
            "value": value, "met": ok if value is not None else None}


def _at_least(name: str, goal: float, value: float | None, unit: str = "x") -> dict:
    shown = f"{value:.2f}{unit}" if value is not None else ""
    return _target(name, f">= {goal}{unit}", value, value is not None and value >= goal, shown)


def _at_most(name: str, goal: float, value: float | None, unit: str) -> dict:
    shown = f"{value:.3g} {unit}" if value is not None else ""
    return _target(name, f"<= {goal} {unit}", value, value is not None and value <= goal, shown)


def evaluate(results: dict) -> list[dict]:
    targets: list[dict] = []
    runs = results.get("throughput") or []
    if runs:
        big = max(runs, key=lambda t: t["size_mib"])
        size = f" ({big['size_mib']} MiB)"
        for op, peer in (("encrypt", "age"), ("decrypt", "age")):
            targets.append(_at_least(f"secxfer age {op} (CLI) vs age{size}", 1.0, _ratio(big, op, "secxfer age (CLI)", peer)))
            targets.append(_at_least(f"secxfer age {op} (library) vs age{size}", 1.0,
                                     _ratio(big, op, "secxfer age (library)", peer)))
        ceilings = results.get("ceilings", {})
        openssl = ceilings.get("openssl chacha20-poly1305 (1 core, 64 KiB)")
        loop = ceilings.get("ChaCha20-Poly1305 loop in Python (encrypt_into, 64 KiB)")
        targets.append(_at_least("in-loop AEAD vs openssl ChaCha20-Poly1305", 0.9,
                                 loop / openssl if loop and openssl else None))
        targets.append(_at_least(f"sealed package write vs age encrypt{size}", 0.7,
                                 _ratio(big, "encrypt", "secxfer sealed package", "age")))
        targets.append(_at_least(f"sealed package write vs gpg -se -z 0{size}", 4.0,
                                 _ratio(big, "encrypt", "secxfer sealed package", "gpg -se -z 0")))
        targets.append(_at_least(f"sealed package open vs age -d{size}", 0.7,
                                 _ratio(big, "decrypt", "secxfer sealed package", "age")))
        targets.append(_at_least(f"sealed package open vs gpg -d{size}", 4.0,
                                 _ratio(big, "decrypt", "secxfer sealed package", "gpg -d (decrypt + verify)")))
        targets.append(_at_least(f"relay hop vs age -d | age -r{size}", 1.0,
                                 _ratio(big, "relay", "secxfer relay", "age -d | age -r")))
    fanout = results.get("fanout")
    if fanout:
        ours = fanout["results"][0]
        label = f" ({fanout['municipalities']} insurers, {fanout['rows']} rows)"
        targets.append(_at_most(f"national month total{label}", 5, ours["total_s"], "s"))
        targets.append(_at_most(f"national month vs age + minisign loop{label}", 0.2, fanout["secxfer_time_vs_peer"], "x"))
    memory = results.get("memory")
    if memory:
        ours = [r for r in memory["rows"] if r["size_mib"] and not r["operation"].startswith("age")]
        worst = max(ours, key=lambda r: r["peak_rss_mib"], default=None)
        if worst:
            targets.append(_at_most(f"peak RSS, any payload (worst: {worst['operation']}, {worst['size_mib']} MiB)",
                                    40, worst["peak_rss_mib"], "MiB"))
            anon = max(ours, key=lambda r: r["peak_anon_mib"])
            targets.append(_at_most(f"peak anonymous memory, any payload (worst: {anon['operation']}, {anon['size_mib']} MiB;"
                                    " mapped file pages excluded)", 40, anon["peak_anon_mib"], "MiB"))
    startup = results.get("startup")
    if startup:
        by_name = {r["command"]: r for r in startup["rows"]}
        version = by_name.get("secxfer --version")
        opened = by_name.get("secxfer open (small package)")
        helped = by_name.get("secxfer --help")
        targets.append(_at_most("secxfer --version", 120, version["median_ms"] if version else None, "ms"))
        targets.append(_at_most("secxfer --help", 150, helped["median_ms"] if helped else None, "ms"))
        targets.append(_at_most("secxfer open, one small package", 200, opened["median_ms"] if opened else None, "ms"))
        for row in startup.get("imports", []):
            if row.get("budget_modules"):
                targets.append(_at_most(f"modules imported by {row['command']}", row["budget_modules"], row["modules"],
                                        "modules"))
    return targets
