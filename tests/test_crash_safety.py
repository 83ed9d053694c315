"""Crash safety: ``secxfer seal``, ``relay`` and ``open`` killed with SIGKILL, then rerun.

Each command runs as a real process. Most kill points are file-system operations:
an audit hook in the child counts every write-open, rename, removal and folder
creation under the test's folder and sends itself SIGKILL just before operation
number K (K drawn with a fixed seed from those a complete run makes); two more per
command land at seeded random times instead. After every kill:

* no file exists under a final name unless it is complete: every package decrypts
  and parses whole and verifies against its outer signature when that is present,
  every outer signature and index decodes, every package an index lists is there
  and matches it, ``open``'s folder is either absent or exactly the expected files;
  anything else is a ``.secxfer-tmp-`` leftover;
* a rerun completes (or, when the killed run had finished its work, refuses as
  "already holds" / a replay without writing anything);
* afterwards ``secxfer media verify`` passes, nothing is lost or duplicated (one
  package per recipient and period, the same names a complete relay writes, every
  row accounted for) and the operations log verifies.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from secxfer.age import decrypt_bytes
from secxfer.chain import container, media
from secxfer.chain.package import verify_outer
from secxfer.domain.sample import generate_sample
from secxfer.fsutil import TEMP_PREFIX
from secxfer.testing.network import build_network
from secxfer.trust.signing import SignedDocument

CODES = ["131016", "131024", "141003", "011002"]
NOW = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
KILLS_AT_EVENTS, KILLS_AT_TIMES = 6, 2

# Runs the CLI under an audit hook that SIGKILLs the process before its K-th file-system
# change below KILL_ROOT (K = 0: never), and reports how many there were.
CHILD = r"""
import os, signal, sys
root, at, count = os.environ["KILL_ROOT"], int(os.environ.get("KILL_AT", "0")), 0
rename_to = os.environ.get("KILL_BEFORE_RENAME_TO")  # else: kill before the rename onto this path
WRITING = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
def hook(event, args):
    global count
    if event == "open":
        if not (isinstance(args[0], (str, os.PathLike)) and args[2] & WRITING):
            return
    elif event not in ("os.rename", "os.remove", "os.mkdir", "os.rmdir", "shutil.rmtree"):
        return
    if not os.path.abspath(os.fspath(args[0])).startswith(root):
        return
    if rename_to and event == "os.rename" and os.path.abspath(os.fspath(args[1])) == os.path.abspath(rename_to):
        os.kill(os.getpid(), signal.SIGKILL)
    count += 1
    if count == at:
        os.kill(os.getpid(), signal.SIGKILL)
sys.addaudithook(hook)
from secxfer.cli import run
code = run(sys.argv[1:])
sys.stderr.write(f"\nfs-changes {count}\n")
sys.exit(code)
"""


@dataclass
class Stage:
    """A folder holding everything one command needs; copied fresh for every kill."""

    folder: Path
    args: list[str]  # relative to the folder
    changes: int = 0  # file-system changes of a complete run (the reference run's)
    seconds: float = 0.0  # and how long it took

    def reference(self, to: Path) -> Path:
        """A complete run on a copy: the outcome to compare with, and the kill range."""
        where = self.copy(to)
        started = time.monotonic()
        result = self.run(where)
        assert result.returncode == 0, result.stderr
        self.changes, self.seconds = _changes(result), time.monotonic() - started
        return where

    def copy(self, to: Path) -> Path:
        shutil.copytree(self.folder, to, symlinks=True)
        return to

    def run(self, where: Path, *, kill_at: int = 0, kill_after: float | None = None,
            kill_before_rename_to: str = "") -> subprocess.CompletedProcess:
        env = {**os.environ, "KILL_ROOT": str(where), "KILL_AT": str(kill_at),
               "KILL_BEFORE_RENAME_TO": kill_before_rename_to}
        proc = subprocess.Popen([sys.executable, "-c", CHILD, *self.args], cwd=where, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if kill_after is not None:
            try:
                proc.wait(timeout=kill_after)
            except subprocess.TimeoutExpired:
                proc.send_signal(signal.SIGKILL)
        out, err = proc.communicate(timeout=120)
        return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def _changes(result: subprocess.CompletedProcess) -> int:
    return int(re.findall(r"fs-changes (\d+)", result.stderr)[-1])


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """Stages for seal (agency), relay (central) and open (mun-141003), and reference runs."""
    root = tmp_path_factory.mktemp("crash")
    net = build_network(root / "net", insurer_codes=CODES, now=NOW)
    sample = generate_sample(root / "src", period="2026-10", rows=1200, seed=6, insurers=CODES)
    keys = net.workdir / "keys"

    def stage(name: str, homes: list[str], args: list[str], media_from: Path | None = None) -> Stage:
        folder = root / "stages" / name
        (folder / "keys").mkdir(parents=True)
        for pid in homes:
            shutil.copyfile(keys / f"{pid}.key", folder / "keys" / f"{pid}.key")
        for pid in homes:
            shutil.copytree(net.home(pid), folder / "homes" / pid)
        if media_from is not None:
            shutil.copytree(media_from, folder / "media")
        return Stage(folder, args)

    files = [Path(f) for f in sample.files]
    seal_stage = stage("seal", ["agency"], [
        "seal", "--period", "2026-10", "--annex1", str(files[0]), "--annex2", str(files[1]), "--annex3", str(files[2]),
        "--key", "keys/agency.key", "--home", "homes/agency", "--out", "media"])
    sealed = seal_stage.reference(root / "ref-seal")
    package = next((sealed / "media" / "agency-to-central").glob("*.age")).relative_to(sealed)
    relay_stage = stage("relay", ["central"], [
        "relay", str(package), "--key", "keys/central.key", "--home", "homes/central", "--out", "media"], sealed / "media")
    relayed = relay_stage.reference(root / "ref-relay")
    fed_pkg = next((relayed / "media" / "central-to-fed-14").glob("*.age")).relative_to(relayed)
    fed = stage("fed", ["fed-14"], [
        "relay", str(fed_pkg), "--key", "keys/fed-14.key", "--home", "homes/fed-14", "--out", "media"], relayed / "media")
    assert fed.run(fed.folder).returncode == 0
    mine = next((fed.folder / "media" / "fed-14-to-mun-141003").glob("*.age")).relative_to(fed.folder)
    open_stage = stage("open", ["mun-141003"], [
        "open", str(mine), "--key", "keys/mun-141003.key", "--home", "homes/mun-141003", "--out", "received/2026-10"],
        fed.folder / "media")
    opened = open_stage.reference(root / "ref-open")
    return {
        "net": net, "rows": sum(sample_rows(files)),
        "seal": (seal_stage, sealed), "relay": (relay_stage, relayed), "open": (open_stage, opened),
    }


def sample_rows(files: list[Path]) -> list[int]:
    return [len([r for r in f.read_bytes().split(b"\r\n")[1:] if r]) for f in files]


def _identity(net, name: str):
    recipient = re.fullmatch(r"(?:REHEARSAL_)?[\d-]+_[a-z0-9-]+_to_([a-z0-9-]+)_[0-9a-f]{8}\.age", name)[1]
    return net.secrets[recipient].encryption_identity


def check_no_partial_file(net, where: Path, directory) -> None:
    """Every file under a final name on the media is complete (temporaries aside)."""
    for medium in sorted((where / "media").glob("*-to-*")):
        for item in sorted(medium.iterdir()):
            if item.name.startswith(TEMP_PREFIX):
                continue
            if item.suffix == ".age":
                entries = container.parse(decrypt_bytes([_identity(net, item.name)], item.read_bytes()))
                assert {"trust", "leaves", "annex1.csv"} <= set(entries), item
                if Path(str(item) + media.SIDECAR_SUFFIX).exists():
                    verify_outer(item, directory, now=NOW)
            elif item.name == media.INDEX_NAME:
                index = media.decode_index(SignedDocument.decode(item.read_bytes()).payload)
                for entry in index.packages:
                    size, digest = media.file_sha256(medium / entry.file_name)
                    assert (size, digest) == (entry.size, entry.sha256), entry.file_name
            else:
                assert item.name.endswith(".age.sig"), item
                SignedDocument.decode(item.read_bytes())


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def _rows_listed(where: Path) -> int:
    """Rows of every package the media's indexes list (what the next hop will receive)."""
    total = 0
    for medium in (where / "media").glob("*-to-*"):
        index = media.read_index_unverified(medium)
        total += sum(sum(entry.rows) for entry in index.packages)
    return total


def _packages(where: Path) -> dict[str, list[str]]:
    """Package file names per medium folder (any leftover would show up here too)."""
    return {m.name: sorted(p.name for p in m.glob("*.age")) for m in sorted((where / "media").glob("*-to-*"))}


def _kill_points(stage: Stage, seed: int) -> tuple[list[int], list[float]]:
    rng = random.Random(seed)
    events = sorted(rng.sample(range(1, stage.changes + 1), min(KILLS_AT_EVENTS, stage.changes)))
    return events, [round(rng.uniform(0.4 * stage.seconds, stage.seconds), 3) for _ in range(KILLS_AT_TIMES)]


def _crash_and_rerun(world, command: str, tmp_path: Path, seed: int, check) -> None:
    """Kill ``command`` at each seeded point, rerun it, and ``check`` the outcome; each
    run's folder is removed once checked (a few hundred files apiece)."""
    stage, _ = world[command]
    events, times = _kill_points(stage, seed)
    directory = _directory(world)
    points = [("event", e) for e in events] + [("time", t) for t in times]

    def one(point) -> None:
        kind, value = point
        where = stage.copy(tmp_path / f"{command}-{kind}-{value}")
        killed = stage.run(where, kill_at=value) if kind == "event" else stage.run(where, kill_after=value)
        check_no_partial_file(world["net"], where, directory)
        opened = where / "received" / "2026-10"  # open's folder: absent or complete, never partial
        assert not opened.exists() or _files(opened) == _files(world["open"][1] / "received" / "2026-10"), point
        rerun = stage.run(where)
        if killed.returncode != 0:  # else the kill point lay beyond this run's last change
            assert killed.returncode == -signal.SIGKILL, (point, killed.stderr)
            check(point, rerun, where)
        shutil.rmtree(where)

    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(one, points))
    print(f"\n{command}: {len(events)} kills at file-system changes {events}, {len(times)} at times {times} s")


def _directory(world):
    from secxfer.trust.store import TrustStore

    return TrustStore(world["net"].home("central")).current_directory(NOW)


def _media_verify_ok(world, where: Path) -> None:
    from secxfer.chain.inspect import verify_media

    report = verify_media(where / "media", home=world["net"].home("central"))
    assert report.ok, "\n".join(report.lines)


def _log_ok(home: Path) -> None:
    """The commands log through the ledger: after a kill and a rerun its log still verifies."""
    from secxfer.ledger.logcheck import verify_log

    check = verify_log(home)
    assert check.entries and check.ok, check.problems


def test_seal_killed_anywhere_then_rerun(world, tmp_path):
    reference = _packages(world["seal"][1])

    def check(point, rerun, where):
        assert rerun.returncode in (0, 1), (point, rerun.stderr)
        if rerun.returncode == 1:  # the killed run had completed its package
            assert "already holds" in rerun.stderr, rerun.stderr
        assert len(_packages(where)["agency-to-central"]) == 1, point  # never a second package for the month
        assert _rows_listed(where) == world["rows"]
        assert [len(v) for v in _packages(where).values()] == [len(v) for v in reference.values()]
        _media_verify_ok(world, where)
        _log_ok(where / "homes" / "agency")

    _crash_and_rerun(world, "seal", tmp_path, 11, check)


def test_relay_killed_anywhere_then_rerun_writes_the_same_packages(world, tmp_path):
    expected = _packages(world["relay"][1])

    def check(point, rerun, where):
        replayed = rerun.returncode == 3 and "already processed" in rerun.stderr  # it had finished
        assert rerun.returncode == 0 or replayed, (point, rerun.stderr)
        assert _packages(where) == expected, point  # same names, none missing, none extra
        assert _rows_listed(where) == 2 * world["rows"]  # what central received, and what it sent on
        _media_verify_ok(world, where)
        _log_ok(where / "homes" / "central")

    _crash_and_rerun(world, "relay", tmp_path, 12, check)


def test_open_killed_anywhere_then_rerun(world, tmp_path):
    expected = _files(world["open"][1] / "received" / "2026-10")

    def check(point, rerun, where):
        out = where / "received" / "2026-10"
        replayed = rerun.returncode == 3 and "already processed" in rerun.stderr  # it had finished
        assert rerun.returncode == 0 or replayed, (point, rerun.stderr)
        assert _files(out) == expected
        assert not [p for p in out.parent.iterdir() if p.name.startswith(TEMP_PREFIX)], "plaintext left in a leftover"
        _log_ok(where / "homes" / "mun-141003")

    _crash_and_rerun(world, "open", tmp_path, 13, check)


def test_seal_refuses_a_second_package_for_the_month_unless_again(world, tmp_path):
    from secxfer.chain.seal import seal_without_trail as seal
    from secxfer.errors import OutputExistsError
    from secxfer.trust.secret_keys import load_secret_key

    stage, _ = world["seal"]
    where = stage.copy(tmp_path / "twice")
    args = dict(zip(stage.args[1::2], stage.args[2::2], strict=False))
    files = {a: Path(args[f"--annex{a}"]) for a in (1, 2, 3)}
    key = load_secret_key(where / "keys" / "agency.key")
    common = dict(annex_files=files, period="2026-10", key=key, home=where / "homes" / "agency", out=where / "media", now=NOW)
    first = seal(**common)
    with pytest.raises(OutputExistsError, match="already holds"):
        seal(**common)
    rehearsal = seal(**common, rehearsal=True)  # a rehearsal is another delivery
    second = seal(**common, again=True)
    names = _packages(where)["agency-to-central"]
    assert sorted(names) == sorted(p.path.name for p in (first.package, rehearsal.package, second.package))
    _media_verify_ok(world, where)


def test_a_torn_last_line_in_the_replay_record_does_not_swallow_the_next(tmp_path):
    from secxfer.chain.home import ChainHome

    home = ChainHome(tmp_path)
    home.remember({"package_id": "a" * 32})
    with open(tmp_path / "chain" / "seen.jsonl", "ab") as handle:
        handle.write(b'{"package_id": "bbbb')  # what a power loss mid-append leaves
    home.remember({"package_id": "c" * 32})
    assert home.seen("a" * 32) and home.seen("c" * 32) and not home.seen("bbbb")


@pytest.mark.parametrize("then", ["purge", "open-elsewhere"])
def test_open_killed_just_before_its_final_rename_leaves_no_plaintext_after_the_next_run(world, tmp_path, then):
    """The staging folder then holds every decrypted annex under a hidden name; the next
    open in the home (to another folder) or purge finds it through the home and removes it."""
    stage, _ = world["open"]
    where = stage.copy(tmp_path / then)
    killed = stage.run(where, kill_before_rename_to=str(where / "received" / "2026-10"))
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    holder = where / "received" / f"{TEMP_PREFIX}open-2026-10"
    (staging,) = holder.iterdir()
    plaintext = sorted(p.name for p in staging.iterdir())
    assert plaintext[:3] == [f"2026-10_mun-141003_annex{n}.csv" for n in (1, 2, 3)] and plaintext[3].endswith(".xlsx")
    if then == "purge":
        args = ["purge", "2026-10", "--home", "homes/mun-141003", "--yes"]
    else:
        args = [*stage.args[:stage.args.index("--out")], "--out", "received/elsewhere"]
    rerun = Stage(where, args).run(where)
    assert rerun.returncode == 0, rerun.stderr
    reported = rerun.stdout + rerun.stderr
    assert f"removed 4 plaintext file(s) an interrupted open left in {staging.resolve()}" in reported
    assert not holder.exists()
    left = sorted(str(p.relative_to(where)) for p in [*where.rglob("*annex*.csv"), *where.rglob("*.xlsx")])
    assert left == ([] if then == "purge" else sorted(f"received/elsewhere/{name}" for name in plaintext))
    _log_ok(where / "homes" / "mun-141003")
