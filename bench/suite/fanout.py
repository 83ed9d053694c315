"""National fan-out: one month for every insurer, secxfer against an age + minisign shell loop.

secxfer (one process, the library): seal at the agency → relay at central (47
packages) → relay at each federation (one package per municipality) → open at each
municipality. Building keys, the directory and the sample CSVs is not timed.

The peer does the same encryption and signing with stock tools, one process per
step, as a shell loop would: for each hop, ``minisign -V`` + ``age -d`` of what
arrived, then ``age -r`` + ``minisign -S`` per recipient. It gets the split for
free (each recipient's rows are prepared beforehand, untimed), carries no key
directory and checks no provenance; it is the floor a hand-made pipeline would pay.
"""

from __future__ import annotations

import datetime as dt
import os
import shlex
import time
from collections import defaultdict
from pathlib import Path

from suite.measure import CommandFailed, shell
from suite.peers import Peers, minisign_pair


def _folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def prepare(work: Path, *, municipalities: int | None, rows: int, seed: int = 7):
    """Keys, directory and sample CSVs for the run (untimed); returns (network, files, codes, period)."""
    from secxfer.testing.demo import choose_municipalities
    from secxfer.domain.sample import generate_sample
    from secxfer.testing.network import build_network

    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    codes, no_consent = choose_municipalities(municipalities, seed)
    network = build_network(work / "network", insurer_codes=codes, without_consent=no_consent, seed=seed, now=now)
    period = "2026-10"
    sample = generate_sample(work / "source", period=period, rows=rows, seed=seed, insurers=codes)
    files = {i + 1: Path(f) for i, f in enumerate(sample.files)}
    return network, files, codes, period, now


def run_secxfer(work: Path, network, files, period: str, now) -> dict:
    """The month through the library in this process; phase times and counts."""
    from secxfer.chain.open import open_without_trail as open_package
    from secxfer.chain.relay import relay_without_trail as relay
    from secxfer.chain.seal import seal_without_trail as seal

    keys, media = network.secrets, work / "media"
    times: dict[str, float] = defaultdict(float)
    started = time.perf_counter()
    sealed = seal(annex_files=files, period=period, key=keys["agency"], home=network.home("agency"), out=media, now=now)
    times["seal"] = time.perf_counter() - started
    mark = time.perf_counter()
    central = relay(sealed.package.path, key=keys["central"], home=network.home("central"), out=media, now=now)
    times["relay central"] = time.perf_counter() - mark
    opened = rows_opened = 0
    for fed_package in central.outputs:
        mark = time.perf_counter()
        fed = fed_package.recipient
        result = relay(fed_package.path, key=keys[fed], home=network.home(fed), out=media, now=now)
        times["relay federations"] += time.perf_counter() - mark
        for package in result.outputs:
            mark = time.perf_counter()
            pid = package.recipient
            done = open_package(package.path, key=keys[pid], home=network.home(pid), out=work / "opened" / pid, now=now)
            times["open municipalities"] += time.perf_counter() - mark
            opened += 1
            rows_opened += sum(done.rows)
    total = time.perf_counter() - started
    packages = 1 + len(central.outputs) + opened
    # Packages each phase handles: the seal writes one, central reads one and writes 47,
    # the federations read 47 and write one per municipality, the opens read one each.
    handled = {"seal": 1, "relay central": 1 + len(central.outputs),
               "relay federations": len(central.outputs) + opened, "open municipalities": opened}
    per_phase = {k: v / handled[k] * 1000 for k, v in times.items() if handled.get(k)}
    return {
        "tool": "secxfer (library, one process)", "total_s": total, "phases_s": dict(times), "packages": packages,
        "phase_ms_per_package": per_phase,
        "per_package_ms": total / packages * 1000, "rows_sealed": sum(sealed.rows_sealed), "rows_opened": rows_opened,
        "municipalities_opened": opened, "media_bytes": _folder_bytes(media),
    }


def _shell_plan(work: Path, network) -> tuple[Path, int]:
    """Prepare the peer's inputs and keys (untimed) and write its loop script; return (script, packages)."""
    from secxfer.age import X25519Identity
    from secxfer.age.keys import identity_file_text

    base = work / "peer"
    plain, ids, out = base / "plain", base / "ids", base / "media"
    for folder in (plain, ids, out):
        folder.mkdir(parents=True)
    opened = work / "opened"
    per_fed: dict[str, list[Path]] = defaultdict(list)
    for muni in sorted(opened.iterdir()):
        per_fed[f"fed-{muni.name[4:6]}"].append(muni)

    recipients: dict[str, str] = {}

    def identity(pid: str) -> str:
        key = X25519Identity.generate()
        (ids / f"{pid}.txt").write_text(identity_file_text(key))
        recipients[pid] = key.recipient.encode()
        return str(ids / f"{pid}.txt")

    def q(value) -> str:
        return shlex.quote(str(value))

    signers = {pid: minisign_pair(ids, pid) for pid in ["agency", "central", *sorted(per_fed)]}
    lines = ["set -e"]

    def send(sender: str, recipient: str, data: Path) -> Path:
        target = out / f"{sender}-to-{recipient}.age"
        secret = signers[sender][0]
        lines.append(f"age -r {recipients[recipient]} -o {q(target)} {q(data)}")
        lines.append(f"minisign -S -s {q(secret)} -m {q(target)} -x {q(target)}.minisig >/dev/null")
        return target

    def receive(sender: str, pid: str, package: Path) -> None:
        public = signers[sender][1]
        lines.append(f"minisign -V -q -p {q(public)} -m {q(package)} -x {q(package)}.minisig")
        lines.append(f"age -d -i {q(identity_paths[pid])} -o {q(out / (pid + '.csv'))} {q(package)}")

    identity_paths = {pid: identity(pid) for pid in ["central", *sorted(per_fed)]}
    for folders in per_fed.values():
        for muni in folders:
            identity_paths[muni.name] = identity(muni.name)

    def concat(name: str, sources: list[Path]) -> Path:
        target = plain / f"{name}.csv"
        with target.open("wb") as handle:
            for source in sources:
                for annex in sorted(source.glob("annex*.csv")):
                    handle.write(annex.read_bytes())
        return target

    everyone = [m for folders in per_fed.values() for m in folders]
    packages = 0
    first = send("agency", "central", concat("agency", everyone))
    receive("agency", "central", first)
    packages += 1
    fed_packages = {}
    for fed, folders in sorted(per_fed.items()):
        fed_packages[fed] = send("central", fed, concat(fed, folders))
        packages += 1
    for fed, folders in sorted(per_fed.items()):
        receive("central", fed, fed_packages[fed])
        for muni in folders:
            package = send(fed, muni.name, concat(muni.name, [muni]))
            receive(fed, muni.name, package)
            packages += 1
    script = base / "loop.sh"
    script.write_text("\n".join(lines) + "\n")
    return script, packages


def run_peer(work: Path, network, peers: Peers) -> dict:
    if not (peers.has("age") and peers.has("minisign")):
        return {"tool": "age + minisign shell loop", "skipped": "needs age and minisign"}
    script, packages = _shell_plan(work, network)
    started = time.perf_counter()
    try:
        shell(f"sh {shlex.quote(str(script))}")
    except CommandFailed as error:
        return {"tool": "age + minisign shell loop", "skipped": f"loop failed: {error}"}
    total = time.perf_counter() - started
    return {
        "tool": "age + minisign shell loop", "total_s": total, "packages": packages,
        "per_package_ms": total / packages * 1000, "processes": packages * 4,
        "media_bytes": _folder_bytes(work / "peer" / "media"),
    }


def measure(work: Path, peers: Peers, *, municipalities: int | None, rows: int) -> dict:
    work.mkdir(parents=True)
    started = time.perf_counter()
    network, files, codes, period, now = prepare(work, municipalities=municipalities, rows=rows)
    setup = time.perf_counter() - started
    ours = run_secxfer(work, network, files, period, now)
    theirs = run_peer(work, network, peers)
    ratio = ours["total_s"] / theirs["total_s"] if "total_s" in theirs else None
    return {
        "municipalities": len(codes), "rows": rows, "setup_s_untimed": setup, "pid": os.getpid(),
        "results": [ours, theirs], "secxfer_time_vs_peer": ratio,
    }
