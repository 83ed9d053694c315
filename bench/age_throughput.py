"""Bulk throughput of the age layer: secxfer against the stock ``age`` command.

Encrypts and decrypts the same N MiB file with the secxfer library, the
``secxfer age`` CLI and stock ``age``, interleaved in the same run (the order
rotates each round so no tool always runs on a warm or cold cache), and reports
medians, MB/s (10^6 bytes) and ratios to ``age``. Also measures the ceiling: the
ChaCha20-Poly1305 loop alone over 64 KiB chunks in this process, and
``openssl speed -evp chacha20-poly1305`` when openssl exists.

    python bench/age_throughput.py                  # 64 MiB, 5 rounds, files in $TMPDIR
    python bench/age_throughput.py --size-mib 512 --dir /dev/shm

Prints a Markdown table and writes JSON to bench/results/ (git-ignored).
Note on decryption: ``secxfer age decrypt -o`` writes a temporary file, fsyncs
it and renames it only after the last chunk authenticated; stock age streams
unauthenticated plaintext straight into the output and does not fsync. The
library row ``decrypt (scratch)`` shows the cost without the fsync.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

MIB = 1 << 20
RESULTS = Path(__file__).resolve().parent / "results"


def _timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def _run(command: list[str]) -> None:
    done = subprocess.run(command, capture_output=True)
    if done.returncode != 0:
        raise SystemExit(f"{command[0]} failed: {done.stderr.decode(errors='replace')}")


def _make_plaintext(path: Path, size_mib: int) -> None:
    with path.open("wb") as out:
        for _ in range(size_mib):
            out.write(os.urandom(MIB))


def _aead_ceiling(size_mib: int) -> float:
    """Seconds for the bare encrypt_into loop over size_mib MiB in 64 KiB chunks."""
    from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

    aead = ChaCha20Poly1305(os.urandom(32))
    chunk = os.urandom(64 * 1024)
    out = bytearray(len(chunk) + 16)
    count = size_mib * 16
    started = time.perf_counter()
    for counter in range(count):
        aead.encrypt_into(counter.to_bytes(11, "big") + b"\x00", chunk, None, out)
    return time.perf_counter() - started


def _openssl_speed() -> float | None:
    """openssl's single-core ChaCha20-Poly1305 rate on 64 KiB blocks, in MB/s."""
    if shutil.which("openssl") is None:
        return None
    done = subprocess.run(
        ["openssl", "speed", "-evp", "chacha20-poly1305", "-bytes", "65536", "-seconds", "2"],
        capture_output=True, text=True,
    )
    match = re.search(r"^chacha20-poly1305\s+([\d.]+)k", done.stdout, re.IGNORECASE | re.MULTILINE)
    return float(match.group(1)) * 1000 / 1e6 if match else None


def _tool_version(command: list[str]) -> str:
    try:
        return subprocess.run(command, capture_output=True, text=True).stdout.strip()
    except OSError:
        return "unavailable"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mib", type=int, default=64, help="payload size in MiB (64, 512, 1024, ...)")
    parser.add_argument("--runs", type=int, default=5, help="rounds; medians are reported")
    parser.add_argument("--dir", type=Path, default=None, help="folder for the test files (e.g. /dev/shm)")
    parser.add_argument("--no-cli", action="store_true", help="skip the secxfer CLI rows")
    args = parser.parse_args(argv)

    import secxfer.age as age
    from secxfer.age.keys import identity_file_text

    age_bin = shutil.which("age")
    secxfer_cli = [sys.executable, "-m", "secxfer", "age"]
    work = Path(tempfile.mkdtemp(prefix="secxfer-bench-", dir=args.dir))
    try:
        plain, sealed, out = work / "plain", work / "sealed.age", work / "out"
        _make_plaintext(plain, args.size_mib)
        identity = age.X25519Identity.generate()
        key = work / "key.txt"
        key.write_text(identity_file_text(identity))
        recipient = identity.recipient.encode()
        with plain.open("rb") as src, sealed.open("wb") as dst:  # reference file for all decrypts
            age.encrypt_stream([identity.recipient], src, dst)

        def lib_encrypt() -> None:
            with plain.open("rb") as src, out.open("wb") as dst:
                age.encrypt_stream([identity.recipient], src, dst)

        def lib_decrypt_scratch() -> None:
            with sealed.open("rb") as src, out.open("wb") as dst:
                age.decrypt_to_scratch([identity], src, dst)

        def lib_decrypt_path() -> None:
            with sealed.open("rb") as src:
                age.decrypt_to_path([identity], src, out)

        cases: dict[tuple[str, str], object] = {
            ("encrypt", "secxfer library"): lib_encrypt,
            ("decrypt", "secxfer library (scratch, no fsync)"): lib_decrypt_scratch,
            ("decrypt", "secxfer library (decrypt_to_path)"): lib_decrypt_path,
        }
        if not args.no_cli:
            cases[("encrypt", "secxfer age CLI")] = lambda: _run([*secxfer_cli, "encrypt", "-r", recipient, "-o", str(out), str(plain)])
            cases[("decrypt", "secxfer age CLI")] = lambda: _run([*secxfer_cli, "decrypt", "-i", str(key), "-o", str(out), str(sealed)])
        if age_bin:
            cases[("encrypt", "age")] = lambda: _run([age_bin, "-r", recipient, "-o", str(out), str(plain)])
            cases[("decrypt", "age")] = lambda: _run([age_bin, "-d", "-i", str(key), "-o", str(out), str(sealed)])

        timings: dict[tuple[str, str], list[float]] = {case: [] for case in cases}
        order = list(cases)
        for round_number in range(args.runs):
            shift = round_number % len(order)
            for case in order[shift:] + order[:shift]:
                out.unlink(missing_ok=True)
                timings[case].append(_timed(cases[case]))
        out.unlink(missing_ok=True)
        ceiling = statistics.median(_aead_ceiling(args.size_mib) for _ in range(3))
        openssl = _openssl_speed()
    finally:
        shutil.rmtree(work, ignore_errors=True)

    size = args.size_mib * MIB
    rows = []
    for (operation, tool), seconds in timings.items():
        median = statistics.median(seconds)
        reference = timings.get((operation, "age"))
        ratio = statistics.median(reference) / median if reference else None
        rows.append({"operation": operation, "tool": tool, "median_s": median, "mb_per_s": size / median / 1e6,
                     "ratio_vs_age": ratio, "runs_s": seconds})
    rows.sort(key=lambda r: (r["operation"] != "encrypt", r["tool"]))
    report = {
        "benchmark": "age_throughput",
        "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "size_mib": args.size_mib,
        "runs": args.runs,
        "folder": str(args.dir or tempfile.gettempdir()),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
        "versions": {"age": _tool_version([age_bin, "--version"]) if age_bin else "not installed",
                     "cryptography": __import__("cryptography").__version__},
        "rows": rows,
        "aead_loop_mb_per_s": size / ceiling / 1e6,
        "openssl_chacha20_poly1305_mb_per_s": openssl,
    }

    print(f"## age throughput, {args.size_mib} MiB, median of {args.runs} ({report['folder']})\n")
    print("| operation | tool | median s | MB/s | x age |")
    print("|---|---|---:|---:|---:|")
    for row in rows:
        ratio = f"{row['ratio_vs_age']:.2f}" if row["ratio_vs_age"] else "-"
        print(f"| {row['operation']} | {row['tool']} | {row['median_s']:.3f} | {row['mb_per_s']:.0f} | {ratio} |")
    print(f"\nChaCha20-Poly1305 loop in Python (encrypt_into, 64 KiB, 1 thread): {report['aead_loop_mb_per_s']:.0f} MB/s")
    if openssl:
        share = report["aead_loop_mb_per_s"] / openssl
        print(f"openssl speed -evp chacha20-poly1305 (64 KiB, 1 core): {openssl:.0f} MB/s; loop/openssl = {share:.2f}")
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    target = RESULTS / f"age_throughput-{args.size_mib}MiB-{stamp}.json"
    target.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nJSON: {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
