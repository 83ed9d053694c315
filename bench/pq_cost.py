"""What post-quantum hybrid recipients (ML-KEM-768 + X25519) cost against X25519.

Measures, pairing both types in the same run with alternating order and reporting
medians:

* per package: encrypting and decrypting a small payload (one municipality's month,
  2 KiB) and a 64 MiB one to one recipient, and the age header's size for one and
  two recipients (main + backup key);
* the key directory: the national directory's size (signed file, and the zlib-packed
  bundle every package to central and the federations carries), a municipality's
  excerpt, and the time to verify the national directory;
* the national demo (``secxfer demo``, every insurer by default) with X25519 keys and
  with ``--pq``, each in a fresh process: wall time, CPU time, bytes on the media.

    python bench/pq_cost.py                         # everything; the demos take a few minutes
    python bench/pq_cost.py --quick                 # 8 MiB payload, 200-municipality demos
    python bench/pq_cost.py --no-demo --size-mib 64 --dir /dev/shm

Prints a Markdown report and writes JSON to bench/results/ (git-ignored).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

MIB = 1 << 20
SMALL = 2048
RESULTS = Path(__file__).resolve().parent / "results"
TYPES = ("x25519", "mlkem768x25519")


def _identities():
    from secxfer.age import HybridIdentity, X25519Identity

    return {"x25519": (X25519Identity.generate(), X25519Identity.generate()),
            "mlkem768x25519": (HybridIdentity.generate(), HybridIdentity.generate())}


def _median_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 3)


def small_payload(rounds: int) -> dict:
    """Encrypt/decrypt 2 KiB to one recipient, and header sizes for one and two recipients."""
    from secxfer.age import decrypt_bytes, encrypt_bytes, read_header

    ids = _identities()
    data = os.urandom(SMALL)
    times: dict[str, dict[str, list[float]]] = {t: {"encrypt": [], "decrypt": [], "keygen": []} for t in TYPES}
    for n in range(rounds):
        for key_type in TYPES if n % 2 == 0 else reversed(TYPES):
            identity = ids[key_type][0]
            started = time.perf_counter()
            type(identity).generate()
            times[key_type]["keygen"].append(time.perf_counter() - started)
            started = time.perf_counter()
            sealed = encrypt_bytes([identity.recipient], data)
            times[key_type]["encrypt"].append(time.perf_counter() - started)
            started = time.perf_counter()
            decrypt_bytes([identity], sealed)
            times[key_type]["decrypt"].append(time.perf_counter() - started)
    result = {}
    for key_type in TYPES:
        one, two = ids[key_type]
        header_one = read_header(io.BytesIO(encrypt_bytes([one.recipient], data))).size
        header_two = read_header(io.BytesIO(encrypt_bytes([one.recipient, two.recipient], data))).size
        result[key_type] = {
            "keygen_ms": _median_ms(times[key_type]["keygen"]),
            "encrypt_ms": _median_ms(times[key_type]["encrypt"]),
            "decrypt_ms": _median_ms(times[key_type]["decrypt"]),
            "header_bytes_1_recipient": header_one,
            "header_bytes_2_recipients": header_two,
            "recipient_chars": len(one.recipient.encode()),
        }
    return result


def bulk_payload(size_mib: int, rounds: int, folder: Path) -> dict:
    """Encrypt and decrypt ``size_mib`` MiB file to file: the header is a fixed cost, the payload dominates."""
    from secxfer.age import decrypt_to_scratch, encrypt_stream

    ids = _identities()
    work = Path(tempfile.mkdtemp(prefix="pq-cost-", dir=folder))
    try:
        plain = work / "plain"
        with plain.open("wb") as out:
            for _ in range(size_mib):
                out.write(os.urandom(MIB))
        times: dict[str, dict[str, list[float]]] = {t: {"encrypt": [], "decrypt": []} for t in TYPES}
        for n in range(rounds):
            for key_type in TYPES if n % 2 == 0 else reversed(TYPES):
                identity, sealed = ids[key_type][0], work / f"sealed-{key_type}"
                with plain.open("rb") as src, sealed.open("wb") as dst:
                    started = time.perf_counter()
                    encrypt_stream([identity.recipient], src, dst)
                    times[key_type]["encrypt"].append(time.perf_counter() - started)
                with sealed.open("rb") as src, tempfile.TemporaryFile(dir=work) as scratch:
                    started = time.perf_counter()
                    decrypt_to_scratch([identity], src, scratch)
                    times[key_type]["decrypt"].append(time.perf_counter() - started)
        mb = size_mib * MIB / 1e6
        return {
            key_type: {
                f"{op}_s": round(statistics.median(times[key_type][op]), 4) for op in ("encrypt", "decrypt")
            } | {f"{op}_mb_per_s": round(mb / statistics.median(times[key_type][op]), 1) for op in ("encrypt", "decrypt")}
            for key_type in TYPES
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)


def directory_cost(folder: Path) -> dict:
    """The national directory with each key type: sizes, packed bundle, an excerpt, verification time."""
    from secxfer.chain.trustlink import pack_bundle
    from secxfer.domain.municipalities import insurers
    from secxfer.testing.network import build_network
    from secxfer.trust.directory.verify import verify_directory
    from secxfer.trust.directory.excerpt import make_excerpt
    from secxfer.trust.directory.file import read_directory_file
    from secxfer.trust.root import decode_root_unverified

    codes = [b.code for b in insurers()]
    now = datetime.now(timezone.utc).replace(microsecond=0)
    result = {}
    for key_type in TYPES:
        work = Path(tempfile.mkdtemp(prefix="pq-dir-", dir=folder))
        try:
            network = build_network(work, insurer_codes=codes, now=now, pq=key_type != "x25519")
            file = read_directory_file(network.signed_directory)
            root = decode_root_unverified(network.signed_root)[1]
            samples = []
            for _ in range(3):
                started = time.perf_counter()
                verify_directory(network.signed_directory, root, now=now + timedelta(minutes=1))
                samples.append(time.perf_counter() - started)
            started = time.perf_counter()
            packed = pack_bundle(network.bundle)
            pack_s = time.perf_counter() - started
            result[key_type] = {
                "participants": len(file.leaves),
                "directory_bytes": len(network.signed_directory),
                "bundle_packed_bytes": len(packed),
                "pack_s": round(pack_s, 3),
                "excerpt_bytes_one_municipality": len(make_excerpt(file, ["mun-131016"]).encode()),
                "verify_s": round(statistics.median(samples), 3),
            }
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return result


def _tree_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def national_demo(municipalities: str, rows: int, rounds: int, folder: Path) -> dict:
    """``secxfer demo`` with each key type in a fresh process: wall and CPU seconds, media bytes."""
    samples: dict[str, list[dict]] = {t: [] for t in TYPES}
    for n in range(rounds):
        for key_type in TYPES if n % 2 == 0 else reversed(TYPES):
            work = Path(tempfile.mkdtemp(prefix="pq-demo-", dir=folder))
            command = [sys.executable, "-m", "secxfer", "demo", "--workdir", str(work / "w"),
                       "--municipalities", municipalities, "--rows", str(rows), "--seed", "7"]
            if key_type != "x25519":
                command.append("--pq")
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.perf_counter()
            done = subprocess.run(command, capture_output=True)
            wall = time.perf_counter() - started
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            try:
                if done.returncode != 0:
                    raise SystemExit(f"demo ({key_type}) failed: {done.stderr.decode(errors='replace')[-800:]}")
                summary = json.loads((work / "w" / "demo-summary.json").read_text())
                samples[key_type].append({
                    "wall_s": wall,
                    "cpu_s": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
                    "media_bytes": _tree_bytes(work / "w" / "media"),
                    "packages": summary["packages"],
                    "reconciled": summary["reconciled"] and summary["reconciliation"]["complete"],
                    "encryption": summary.get("encryption", "x25519"),
                })
            finally:
                shutil.rmtree(work, ignore_errors=True)
    result = {}
    for key_type, runs in samples.items():
        result[key_type] = {
            "wall_s": round(statistics.median(r["wall_s"] for r in runs), 1),
            "cpu_s": round(statistics.median(r["cpu_s"] for r in runs), 1),
            "media_mb": round(statistics.median(r["media_bytes"] for r in runs) / 1e6, 1),
            "packages": runs[0]["packages"],
            "reconciled": all(r["reconciled"] for r in runs),
            "encryption": runs[0]["encryption"],
        }
    return result


def _ratio(a: float, b: float) -> str:
    return f"{b / a:.2f}" if a else "-"


def print_report(report: dict) -> None:
    small, bulk = report["small"], report["bulk"]
    print(f"## Post-quantum hybrid (mlkem768x25519) vs X25519 — {report['when']}\n")
    print("| per package | x25519 | mlkem768x25519 | hybrid / x25519 |")
    print("|---|---:|---:|---:|")
    for key, label in (("keygen_ms", "key generation, ms"), ("encrypt_ms", f"encrypt {SMALL} B, ms"),
                       ("decrypt_ms", f"decrypt {SMALL} B, ms"), ("header_bytes_1_recipient", "age header, 1 recipient, bytes"),
                       ("header_bytes_2_recipients", "age header, 2 recipients, bytes"), ("recipient_chars", "recipient text, characters")):
        a, b = small["x25519"][key], small["mlkem768x25519"][key]
        print(f"| {label} | {a} | {b} | {_ratio(a, b)} |")
    for op in ("encrypt", "decrypt"):
        a, b = bulk["x25519"][f"{op}_s"], bulk["mlkem768x25519"][f"{op}_s"]
        print(f"| {op} {report['size_mib']} MiB, s (MB/s) | {a} ({bulk['x25519'][f'{op}_mb_per_s']}) | "
              f"{b} ({bulk['mlkem768x25519'][f'{op}_mb_per_s']}) | {_ratio(a, b)} |")
    if report.get("directory"):
        d = report["directory"]
        print("\n| national key directory | x25519 | mlkem768x25519 | hybrid / x25519 |")
        print("|---|---:|---:|---:|")
        for key, label in (("directory_bytes", "signed directory, bytes"), ("bundle_packed_bytes", "packed bundle (each package to central/federations), bytes"),
                           ("excerpt_bytes_one_municipality", "excerpt for one municipality, bytes"), ("verify_s", "verify the directory, s"),
                           ("pack_s", "compress the bundle, s")):
            a, b = d["x25519"][key], d["mlkem768x25519"][key]
            print(f"| {label} | {a} | {b} | {_ratio(a, b)} |")
    if report.get("demo"):
        demo = report["demo"]
        print(f"\n| national demo ({report['demo_municipalities']} municipalities, {report['demo_rows']} rows) | x25519 | mlkem768x25519 | hybrid / x25519 |")
        print("|---|---:|---:|---:|")
        for key, label in (("wall_s", "wall time, s"), ("cpu_s", "CPU time (user+sys), s"), ("media_mb", "bytes on media, MB"),
                           ("packages", "packages")):
            a, b = demo["x25519"][key], demo["mlkem768x25519"][key]
            print(f"| {label} | {a} | {b} | {_ratio(a, b)} |")
        print(f"| reconciled | {demo['x25519']['reconciled']} | {demo['mlkem768x25519']['reconciled']} | |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="8 MiB payload, 200-municipality demos, fewer rounds")
    parser.add_argument("--size-mib", type=int, default=None, help="bulk payload size (default 64, quick 8)")
    parser.add_argument("--rounds", type=int, default=None, help="rounds per measurement (default 7, quick 3)")
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()), help="folder for temporary files")
    parser.add_argument("--municipalities", default=None, help="demo size: a number or 'all' (default all, quick 200)")
    parser.add_argument("--rows", type=int, default=20000, help="demo rows")
    parser.add_argument("--demo-rounds", type=int, default=1, help="demo runs per key type")
    parser.add_argument("--no-demo", action="store_true", help="skip the national demo")
    parser.add_argument("--no-directory", action="store_true", help="skip the national directory")
    args = parser.parse_args(argv)
    size_mib = args.size_mib or (8 if args.quick else 64)
    rounds = args.rounds or (3 if args.quick else 7)
    municipalities = args.municipalities or ("200" if args.quick else "all")
    report: dict = {"when": datetime.now(timezone.utc).isoformat(timespec="seconds"), "size_mib": size_mib, "rounds": rounds}
    print("small payloads…", file=sys.stderr, flush=True)
    report["small"] = small_payload(max(rounds * 30, 50))
    print(f"{size_mib} MiB payloads…", file=sys.stderr, flush=True)
    report["bulk"] = bulk_payload(size_mib, rounds, args.dir)
    if not args.no_directory:
        print("national directories…", file=sys.stderr, flush=True)
        report["directory"] = directory_cost(args.dir)
    if not args.no_demo:
        print(f"national demo, {municipalities} municipalities, each key type…", file=sys.stderr, flush=True)
        report |= {"demo_municipalities": municipalities, "demo_rows": args.rows}
        report["demo"] = national_demo(municipalities, args.rows, args.demo_rounds, args.dir)
    print_report(report)
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    target = RESULTS / f"pq_cost-{stamp}.json"
    target.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nJSON: {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
