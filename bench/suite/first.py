"""A first delivery: every month from 2019-04 to the current one at once, 500,000 rows.

Keys, the directory (every insurer, 3 % without consent as in the demo) and the sample
CSVs are built first, untimed. Then each step runs in its own child process under
``rss_launcher.py``, so each reports its wall time, its phases and its peak RSS:
validation of the three annex files alone (as ``secxfer validate`` reads them), ``seal``
(which validates again, then commits, signs and encrypts), the relay at central, the
47 federations' relays, and the opens at every municipality with consent.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import time
from pathlib import Path


HERE = Path(__file__).resolve().parent
STEPS = ("validate", "seal", "relay-central", "relay-federations", "open-municipalities")
FIRST_PERIOD = "2019-04.."


def prepare(work: Path, *, rows: int, municipalities: int | None, seed: int = 7) -> dict:
    """Network and sample files (untimed); the facts a child needs, saved as ``first.json``."""
    from secxfer.domain.sample import generate_sample
    from secxfer.testing.demo import choose_municipalities
    from secxfer.testing.network import build_network

    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    codes, no_consent = choose_municipalities(municipalities, seed)
    build_network(work / "network", insurer_codes=codes, without_consent=no_consent, seed=seed, now=now)
    sample = generate_sample(work / "source", period=FIRST_PERIOD, rows=rows, seed=seed, insurers=codes)
    facts = {"now": now.isoformat(), "period": sample.period, "files": [str(f) for f in sample.files],
             "rows": rows, "municipalities": len(codes)}
    (work / "first.json").write_text(json.dumps(facts))
    return facts


# step -> (module, function, phase name): wrapped with a timer in the child, so a step
# reports where its time went (what is left of the step's time is everything else).
TIMED = {
    "seal": [("secxfer.chain.seal", "_read_all", "validate"), ("secxfer.chain.seal", "write_package", "package write")],
    "relay-central": [("secxfer.chain.relay", "receive", "receive"), ("secxfer.chain.relay", "write_package", "writes")],
    "relay-federations": [("secxfer.chain.relay", "receive", "receive"), ("secxfer.chain.relay", "write_package", "writes")],
    "open-municipalities": [("secxfer.chain.open", "receive", "receive"), ("secxfer.chain.open", "_write_staged", "writes")],
}


def _time_phases(step: str, phases: dict) -> None:
    """Wrap the step's timed functions (``TIMED``); receive counts until it hands over the verified package."""
    import importlib

    for module_name, function, phase in TIMED.get(step, ()):
        module = importlib.import_module(module_name)

        def timed(*args, _original=getattr(module, function), _phase=phase, **kwargs):
            mark = time.perf_counter()
            try:
                return _original(*args, **kwargs)
            finally:
                phases[_phase] = phases.get(_phase, 0.0) + time.perf_counter() - mark

        setattr(module, function, timed)


def run_step(work: Path, step: str) -> dict:
    """One step in this process (the child): its phases' times and counts, as a dict."""
    from secxfer.chain.open import open_without_trail as open_package
    from secxfer.chain.relay import relay_without_trail as relay
    from secxfer.chain.seal import seal_without_trail as seal
    from secxfer.domain.period import parse_period
    from secxfer.domain.validate import validate_files
    from secxfer.trust.secret_keys import load_secret_key

    facts = json.loads((work / "first.json").read_text())
    now = dt.datetime.fromisoformat(facts["now"])
    media = work / "media"

    class Keys(dict):
        def __missing__(self, pid: str):
            self[pid] = load_secret_key(work / "network" / "keys" / f"{pid}.key", passphrase=None)
            return self[pid]

    keys = Keys()
    home = lambda pid: work / "network" / "homes" / pid  # noqa: E731 (as secxfer.testing.network lays them out)
    files = {i + 1: Path(f) for i, f in enumerate(facts["files"])}
    done: dict = {"phases_s": {}}
    _time_phases(step, done["phases_s"])
    started = time.perf_counter()
    if step == "validate":
        period = parse_period(facts["period"])
        for annex, path in files.items():  # as `secxfer validate` reads them: rows counted, not kept
            mark = time.perf_counter()
            report = validate_files([path], annex=annex, period=period, profile="default")
            done["phases_s"][f"annex{annex}"] = time.perf_counter() - mark
            done.setdefault("rows_read", []).append(report.rows)
    elif step == "seal":
        sealed = seal(annex_files=files, period=facts["period"], key=keys["agency"], home=home("agency"),
                      out=media, now=now)
        done["rows_sealed"] = list(sealed.rows_sealed)
        done["package_bytes"] = sealed.package.size
        (work / "sealed.txt").write_text(str(sealed.package.path))
    elif step == "relay-central":
        result = relay(Path((work / "sealed.txt").read_text()), key=keys["central"], home=home("central"),
                       out=media, now=now)
        (work / "central.json").write_text(json.dumps([[p.recipient, str(p.path)] for p in result.outputs]))
        done["packages"] = len(result.outputs)
    elif step == "relay-federations":
        outputs = []
        for fed, path in json.loads((work / "central.json").read_text()):
            result = relay(Path(path), key=keys[fed], home=home(fed), out=media, now=now)
            outputs += [[p.recipient, str(p.path)] for p in result.outputs]
        (work / "federations.json").write_text(json.dumps(outputs))
        done["packages"] = len(outputs)
    elif step == "open-municipalities":
        rows = 0
        outputs = json.loads((work / "federations.json").read_text())
        for pid, path in outputs:
            opened = open_package(Path(path), key=keys[pid], home=home(pid), out=work / "opened" / pid, now=now)
            rows += sum(opened.rows)
        done["packages"], done["rows_opened"] = len(outputs), rows
    else:
        raise ValueError(f"unknown step {step!r}")
    done["seconds"] = time.perf_counter() - started
    return done


def measure(work: Path, *, rows: int = 500_000, municipalities: int | None = None) -> dict:
    work.mkdir(parents=True, exist_ok=True)
    mark = time.perf_counter()
    facts = prepare(work, rows=rows, municipalities=municipalities)
    setup = time.perf_counter() - mark
    steps = []
    for step in STEPS:
        done = subprocess.run(
            [sys.executable, "-S", str(HERE / "rss_launcher.py"), sys.executable, str(HERE / "child.py"), "first",
             str(work), step], capture_output=True, text=True)
        lines = done.stdout.strip().splitlines()
        result = json.loads(lines[-1])
        if result["exit"] != 0:
            raise RuntimeError(f"first delivery, {step}: exit {result['exit']}: {done.stderr[-2000:]}")
        steps.append({"step": step, "peak_rss_mib": result["maxrss_kib"] / 1024,
                      "peak_anon_mib": result["sampled_peak_kib"].get("RssAnon", 0) / 1024,
                      "wall_s": result["seconds"], **json.loads(lines[-2])})
    return {"period": facts["period"], "rows": rows, "municipalities": facts["municipalities"],
            "setup_s_untimed": setup, "steps": steps}
