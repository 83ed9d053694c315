"""Peak memory of the package layer and the age CLI, measured in a child process.

Each operation runs under ``rss_launcher.py`` (see there why a launcher). Rows:
seal = the sealed-package write path with its input read from the file on demand
(``FileChunks``; at the agency ``seal`` holds the month's rows in memory, which
bounds it by the CSV row limit, not by this layer), open = decrypt + verify at
central (both from :mod:`suite.sealed`), and ``secxfer age encrypt|decrypt`` of the same file; stock
``age`` for comparison; and the interpreter with the package layer imported, the
floor every secxfer process starts from. ``anon`` is heap and buffers; ``file`` is
mapped file pages, tmpfs included (the plaintext scratch file a package is parsed
from, and the input the sealed-package fixture reads, are mapped): they count in RSS
but are page cache the kernel can drop at any time. Both are sampled every few
milliseconds, so short spikes may be missed; ``peak RSS`` is the kernel's exact
high-water mark.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from suite import sealed
from suite.peers import Peers

HERE = Path(__file__).resolve().parent
MIB = 1 << 20


def launch(command: list[str]) -> dict:
    done = subprocess.run(
        [sys.executable, "-S", str(HERE / "rss_launcher.py"), *command], capture_output=True, text=True
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if result["exit"] != 0:
        raise RuntimeError(f"{' '.join(command[:4])} … failed under the launcher (exit {result['exit']})")
    return result


def _row(operation: str, size_mib: int, result: dict) -> dict:
    peaks = result["sampled_peak_kib"]
    return {
        "operation": operation, "size_mib": size_mib, "peak_rss_mib": result["maxrss_kib"] / 1024,
        "peak_anon_mib": peaks.get("RssAnon", 0) / 1024,
        "peak_file_mib": (peaks.get("RssFile", 0) + peaks.get("RssShmem", 0)) / 1024,
        "seconds": result["seconds"],
    }


def measure(sizes_mib: list[int], work: Path, peers: Peers, secxfer_cli: list[str]) -> dict:
    python = sys.executable
    child = str(HERE / "child.py")
    rows = [_row("python + secxfer package layer imported", 0,
                 launch([python, "-c", "import secxfer.chain.package, secxfer.age"]))]
    for size_mib in sizes_mib:
        folder = work / f"{size_mib}MiB"
        folder.mkdir(parents=True)
        fx = sealed.build(folder, size_mib * MIB)
        medium = folder / "medium"
        rows.append(_row("seal (sealed package write, input read on demand)", size_mib, launch([python, child, "seal", str(folder), str(medium)])))
        package = next(medium.rglob("*.age"))
        rows.append(_row("open (decrypt + verify at central)", size_mib,
                         launch([python, child, "open", str(folder), str(package), str(folder / "central-home")])))
        rows.append(_row("relay at central (open, then 47 packages)", size_mib,
                         launch([python, child, "relay", str(folder), str(package), str(folder / "relay-home"),
                                 str(folder / "relay-out")])))
        key = folder / "identity.txt"
        from secxfer.age.keys import identity_file_text

        key.write_text(identity_file_text(fx.central.encryption_identity))
        recipient = fx.central.encryption_identity.recipient.encode()
        encrypted, out = folder / "cli.age", folder / "cli.out"
        rows.append(_row("secxfer age encrypt (CLI)", size_mib,
                         launch([*secxfer_cli, "age", "encrypt", "-r", recipient, "-o", str(encrypted), str(fx.plain)])))
        rows.append(_row("secxfer age decrypt (CLI)", size_mib,
                         launch([*secxfer_cli, "age", "decrypt", "-i", str(key), "-o", str(out), str(encrypted)])))
        out.unlink()
        if peers.has("age"):
            rows.append(_row("age -r (stock)", size_mib, launch(["age", "-r", recipient, "-o", str(out), str(fx.plain)])))
            out.unlink()
            rows.append(_row("age -d (stock)", size_mib, launch(["age", "-d", "-i", str(key), "-o", str(out), str(encrypted)])))
        shutil.rmtree(folder, ignore_errors=True)
    return {"rows": rows}
