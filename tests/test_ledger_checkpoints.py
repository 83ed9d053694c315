"""Honest checkpoints and automatic fork detection (docs/ledger.md §7).

A log that was rewritten, cut off or restored from a backup gets no checkpoint, and
seal, relay, open, collect and forward refuse to run over it until an explicit,
logged recovery starts a new epoch; the parent sees that recovery. A parent checks
the checkpoints its children carry up on every collection: a fork is exit 3, a
checkpoint it cannot prove is a warning with exit 5.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

from secxfer.domain.sample import generate_sample
from secxfer.errors import EXIT_INTEGRITY, EXIT_UNPROVEN, EXIT_USAGE, UsageError
from secxfer.ledger import oplog, recorded
from secxfer.ledger.aggregate import forward
from secxfer.ledger.carry import carry
from secxfer.ledger.checkpoint import kept_checkpoints, parse_checkpoint
from secxfer.ledger.collect import collect
from secxfer.ledger.errors import LogRewrittenError
from secxfer.ledger.logcheck import checkpoint_log, verify_log
from secxfer.ledger.recovery import recover
from secxfer.ledger.store import LedgerHome
from secxfer.testing.network import build_network

CODES = ["131016"]
PERIOD = "2026-10"
NOW = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """Two deliveries sealed and relayed to mun-131016; the first opened. A third sealed, not relayed."""
    root = tmp_path_factory.mktemp("honest")
    network = build_network(root, insurer_codes=CODES, now=NOW)
    sample = generate_sample(root / "source", period=PERIOD, rows=40, seed=5, insurers=CODES)
    files = {i + 1: Path(f) for i, f in enumerate(sample.files)}
    k, packages = network.secrets, {}
    for n in (1, 2, 3):
        media = root / f"media{n}"
        sealed = recorded.seal(annex_files=files, period=PERIOD, key=k["agency"], home=network.home("agency"),
                               out=media, now=NOW)
        packages[f"sealed{n}"] = sealed.package.path
        if n == 3:
            break
        outputs = recorded.relay(sealed.package.path, key=k["central"], home=network.home("central"), out=media,
                                 now=NOW).outputs
        (to_fed,) = (p for p in outputs if p.recipient == "fed-13")
        (to_mun,) = recorded.relay(to_fed.path, key=k["fed-13"], home=network.home("fed-13"), out=media,
                                   now=NOW).outputs
        packages[f"mun{n}"] = to_mun.path
    recorded.open_package(packages["mun1"], key=k["mun-131016"], home=network.home("mun-131016"),
                          out=root / "opened1", now=NOW)
    return root, network, packages, files


class World:
    def __init__(self, base, tmp_path: Path) -> None:
        self.root, self.network, self.packages, self.files = base
        self.tmp = tmp_path
        shutil.copytree(self.root / "homes", tmp_path / "homes")

    def home(self, pid: str) -> Path:
        return self.tmp / "homes" / pid

    def key(self, pid: str):
        return self.network.secrets[pid]

    def args(self, pid: str) -> list:
        return ["--key", self.network.key_path(pid), "--home", self.home(pid)]


@pytest.fixture
def world(base, tmp_path):
    return World(base, tmp_path)


def rewrite(home: Path, who: str = "Someone Else") -> None:
    """Re-chain the whole log with another operator: every link holds, the history differs."""
    log = LedgerHome(home).log_path
    entries = [oplog.decode_entry(line) for line in oplog.read_entries(home)[0]]
    log.unlink()
    for entry in entries:
        oplog.append(home, op=entry.op, who=who, facts=entry.facts, now=entry.at)


def kept_state(home: Path) -> tuple[bytes, list[str]]:
    return LedgerHome(home).log_path.read_bytes(), [p.name for p in kept_checkpoints(home)]


# -- case 4: a rewritten log gets no checkpoint, and nothing runs over it --------------------


def test_a_rewritten_log_gets_no_checkpoint_and_names_the_one_it_breaks(world):
    home = world.home("fed-13")
    size = len(oplog.read_entries(home)[0])
    rewrite(home)
    before = kept_state(home)
    newest = parse_checkpoint((LedgerHome(home).checkpoints / f"{size:08d}.txt").read_bytes())
    with pytest.raises(LogRewrittenError) as caught:
        checkpoint_log(home, world.key("fed-13"))
    message = str(caught.value)
    assert f"checkpoint {size:08d}.txt (root {newest.root.hex()[:16]}…) signed a different history" in message
    assert "nothing is signed or carried up" in message and caught.value.exit_code == EXIT_INTEGRITY
    with pytest.raises(LogRewrittenError):
        carry(home, world.key("fed-13"), world.tmp / "out", who="Tanaka")
    assert kept_state(home) == before and not (world.tmp / "out").exists()


def test_a_log_cut_back_to_an_older_copy_is_named_as_such(world):
    home = world.home("central")
    lines = oplog.read_entries(home)[0]
    LedgerHome(home).log_path.write_bytes(b"".join(x + b"\n" for x in lines[:3]))  # the log file from a backup
    with pytest.raises(LogRewrittenError, match=f"covers {len(lines)} entries but only 3 verify: entries 3…"
                                                f"{len(lines) - 1} were removed or cut off .*restored from an older backup"):
        checkpoint_log(home, world.key("central"))


def test_seal_relay_and_open_refuse_over_a_rewritten_log(world):
    k = world.key
    for pid in ("agency", "central", "mun-131016"):
        rewrite(world.home(pid))
    states = {pid: kept_state(world.home(pid)) for pid in ("agency", "central", "mun-131016")}
    with pytest.raises(LogRewrittenError):
        recorded.seal(annex_files=world.files, period=PERIOD, key=k("agency"), home=world.home("agency"),
                      out=world.tmp / "m", now=NOW)
    with pytest.raises(LogRewrittenError):
        recorded.relay(world.packages["sealed3"], key=k("central"), home=world.home("central"), out=world.tmp / "m",
                       now=NOW)
    with pytest.raises(LogRewrittenError):
        recorded.open_package(world.packages["mun2"], key=k("mun-131016"), home=world.home("mun-131016"),
                              out=world.tmp / "opened", now=NOW)
    assert not (world.tmp / "m").exists() and not (world.tmp / "opened").exists()
    assert {pid: kept_state(world.home(pid)) for pid in states} == states  # nothing logged, nothing signed


def test_recovery_is_explicit_logged_and_checkpoints_resume(world):
    home, key = world.home("mun-131016"), world.key("mun-131016")
    with pytest.raises(UsageError, match="nothing to recover"):
        recover(home, key, reason="just because", now=NOW)
    old_log = LedgerHome(home).log_path.read_bytes()
    size = len(oplog.read_entries(home)[0])
    rewrite(home)
    rewritten = LedgerHome(home).log_path.read_bytes()
    with pytest.raises(UsageError, match="reason"):
        recover(home, key, reason="  ", now=NOW)
    done = recover(home, key, reason="disk repaired, log edited by the repair tool", operator="Sato", now=NOW)
    assert done.epoch == 2 and done.abandoned is not None and done.abandoned.size == size
    aside = LedgerHome(home).root / "epochs" / "1"
    assert (aside / "oplog.jsonl").read_bytes() == rewritten and rewritten != old_log  # kept aside as found
    assert len(list((aside / "checkpoints").glob("*.txt"))) >= 1
    (first,) = (json.loads(x) for x in oplog.read_entries(home)[0])
    assert first["op"] == "log-restarted" and first["who"] == "Sato" and first["seq"] == 0
    facts = first["facts"]
    assert facts["epoch"] == 2 and facts["abandons_size"] == size and facts["kept_aside"] == "epochs/1"
    assert facts["abandons_root"] == done.abandoned.root.hex() and "different history" in facts["problem"]
    assert verify_log(home).ok and [p.name for p in kept_checkpoints(home)] == ["00000001.txt"]
    # operations run again and are checkpointed in the new epoch
    recorded.open_package(world.packages["mun2"], key=key, home=home, out=world.tmp / "opened2", now=NOW)
    check = verify_log(home)
    # restarted, opened, receipt-made and an output-written per file (3 CSVs, the workbook)
    assert check.ok and check.entries == 7 and (LedgerHome(home).checkpoints / "00000007.txt").is_file()


# -- a home restored from a backup: caught against what the medium carried up ---------------


def test_a_restored_home_is_caught_against_the_medium_then_recovered_and_seen_by_the_parent(world):
    k, fed, returns = world.key, world.home("fed-13"), world.tmp / "returns"
    backup = world.tmp / "backup-fed-13"
    shutil.copytree(fed, backup)
    forward(PERIOD, key=k("fed-13"), home=fed, out=returns, now=NOW)
    first = collect(returns, key=k("central"), home=world.home("central"), now=NOW).checkpoints
    assert first.held == 1 and not first.forks and not first.unproven and "first checkpoint held" in first.notes[0]
    carried = sorted((returns / "fed-13-to-central" / "checkpoints").glob("*.checkpoint"))
    # the whole home goes back to the backup: locally everything still verifies
    shutil.rmtree(fed)
    shutil.copytree(backup, fed)
    assert verify_log(fed).ok
    with pytest.raises(LogRewrittenError, match=r"checkpoint fed-13-oplog-\d{8}\.checkpoint on the medium \(root "
                                                r"[0-9a-f]{16}…\) covers \d+ entries but only \d+ verify"):
        forward(PERIOD, key=k("fed-13"), home=fed, out=returns, now=NOW)
    done = recover(fed, k("fed-13"), reason="home restored from the backup of last week", abandon=carried, now=NOW)
    assert done.abandoned is not None and done.abandoned.text == carried[-1].read_bytes()
    paths = forward(PERIOD, key=k("fed-13"), home=fed, out=returns, now=NOW)
    assert any(p.name == "fed-13-oplog-e2.entry" for p in paths)
    assert (returns / "fed-13-to-central" / "checkpoints" / "abandoned" / carried[-1].name).is_file()
    seen = collect(returns, key=k("central"), home=world.home("central"), now=NOW).checkpoints
    assert not seen.forks and not seen.unproven and seen.rejected == []
    (said,) = seen.restarts
    assert "fed-13 restarted its operations log (epoch 2)" in said and "home restored from the backup" in said
    assert f"abandons the checkpoint of {done.abandoned.size} entries" in said
    held = LedgerHome(world.home("central")).root / "held" / "fed-13"
    assert (held / "epoch-1").is_dir() and (held / "restart.entry").is_file()
    # the new epoch goes on: the next checkpoint extends the restart's, by proof
    forward(PERIOD, key=k("fed-13"), home=fed, out=returns, now=NOW)
    again = collect(returns, key=k("central"), home=world.home("central"), now=NOW).checkpoints
    assert again.held == 1 and not again.forks and not again.unproven and not again.restarts
    log = [json.loads(x) for x in oplog.read_entries(world.home("central"))[0]]
    assert log[-1]["op"] == "receipts-collected" and log[-1]["facts"]["checkpoints_held"] == 1


def _restart_on_medium(world, medium: Path, *, size: int, root: bytes) -> None:
    """A child's restart record as a recovery would carry it: entry 0 and the checkpoint over it."""
    from secxfer.ledger.checkpoint import sign_checkpoint
    from secxfer.ledger.tlog import entry_hash, tree_root
    from secxfer.trust.codec import encode

    entry = oplog.LogEntry(seq=0, prev=tree_root([]), at=NOW, who="Sato", op="log-restarted",
                           facts={"epoch": 2, "reason": "restored", "abandons_size": size,
                                  "abandons_root": root.hex()})
    line = encode(entry)
    folder = medium / "fed-13-to-central" / "checkpoints"
    folder.mkdir(parents=True)
    (folder / "fed-13-oplog-e2.entry").write_bytes(line + b"\n")
    (folder / "fed-13-oplog-e2-00000001.checkpoint").write_bytes(
        sign_checkpoint(world.key("fed-13"), 1, entry_hash(line)))


def test_a_restart_must_abandon_what_the_parent_holds(world):
    k, fed, central, returns = world.key, world.home("fed-13"), world.home("central"), world.tmp / "returns"
    forward(PERIOD, key=k("fed-13"), home=fed, out=returns, now=NOW)
    collect(returns, key=k("central"), home=central, now=NOW)
    forward(PERIOD, key=k("fed-13"), home=fed, out=returns, now=NOW)
    collect(returns, key=k("central"), home=central, now=NOW)
    held = sorted((LedgerHome(central).root / "held" / "fed-13").glob("*.txt"))
    older, newest = (parse_checkpoint(p.read_bytes()) for p in (held[0], held[-1]))
    assert older.size < newest.size
    # another root for a size the parent holds: two histories, the restart is not taken
    _restart_on_medium(world, world.tmp / "a", size=newest.size, root=bytes(32))
    found = collect(world.tmp / "a", key=k("central"), home=central, now=NOW).checkpoints
    (fork,) = found.forks
    assert "restarted its operations log (epoch 2)" in fork and "two histories" in fork and not found.restarts
    # abandoning an older checkpoint than the newest held: taken, but the gap is reported
    _restart_on_medium(world, world.tmp / "b", size=older.size, root=older.root)
    found = collect(world.tmp / "b", key=k("central"), home=central, now=NOW).checkpoints
    (unproven,) = found.unproven
    assert f"the newest checkpoint held here is of {newest.size} entries" in unproven and len(found.restarts) == 1
    assert not found.forks


# -- case 10: the parent finds forks on collection, by itself -------------------------------


def test_a_forked_child_log_is_found_on_collection(world):
    k, fed, central, returns = world.key, world.home("fed-13"), world.home("central"), world.tmp / "returns"
    twin = world.tmp / "twin"
    shutil.copytree(fed, twin)
    forward(PERIOD, key=k("fed-13"), home=fed, out=returns, now=NOW)
    assert collect(returns, key=k("central"), home=central, now=NOW).checkpoints.held == 1
    (held,) = (LedgerHome(central).root / "held" / "fed-13").glob("*.txt")
    # an insider rewrites the log and removes the checkpoints that would give it away
    rewrite(fed)
    shutil.rmtree(LedgerHome(fed).checkpoints)
    forward(PERIOD, key=k("fed-13"), home=fed, out=world.tmp / "fresh", now=NOW)
    found = collect(world.tmp / "fresh", key=k("central"), home=central, now=NOW).checkpoints
    (fork,) = found.forks
    assert fork.startswith("fed-13: its checkpoint (") and "does not extend the one held" in fork
    assert found.held == 0 and not found.unproven
    # a second history of the same length needs no proof at all to be caught
    rewrite(twin)
    shutil.rmtree(LedgerHome(twin).checkpoints)
    oplog.append(twin, op="receipts-forwarded", who="x", facts={}, now=NOW)
    carry(twin, k("fed-13"), world.tmp / "same" / "fed-13-to-central" / "checkpoints", who="x", now=NOW)
    assert (world.tmp / "same" / "fed-13-to-central" / "checkpoints" / f"fed-13-oplog-{held.stem}.checkpoint").is_file()
    (fork,) = collect(world.tmp / "same", key=k("central"), home=central, now=NOW).checkpoints.forks
    assert f"two signed checkpoints for the same {int(held.stem)} entries" in fork and "two histories" in fork


def test_a_missing_proof_is_a_warning_not_a_fork(world):
    k, fed, central, returns = world.key, world.home("fed-13"), world.home("central"), world.tmp / "returns"
    forward(PERIOD, key=k("fed-13"), home=fed, out=returns, now=NOW)
    collect(returns, key=k("central"), home=central, now=NOW)
    forward(PERIOD, key=k("fed-13"), home=fed, out=returns, now=NOW)
    for proof in (returns / "fed-13-to-central" / "checkpoints").glob("*.proof"):
        proof.unlink()
    found = collect(returns, key=k("central"), home=central, now=NOW).checkpoints
    (unproven,) = found.unproven
    assert not found.forks and found.held == 0 and "no consistency proof from the held checkpoint" in unproven


def test_checkpoints_from_outside_or_forged_are_refused(world):
    k, central = world.key, world.home("central")
    out = world.tmp / "m" / "mun-131016-to-central" / "checkpoints"
    carry(world.home("mun-131016"), k("mun-131016"), out, who="x", now=NOW)
    (note,) = out.glob("*.checkpoint")
    data = note.read_bytes()
    found = collect(world.tmp / "m", key=k("central"), home=central, now=NOW).checkpoints
    assert "does not come to you from directly below" in found.rejected[0]
    note.write_bytes(data.replace(b"\n3\n", b"\n4\n") if b"\n3\n" in data else data[:-3] + b"AA\n")
    found = collect(world.tmp / "m", key=k("central"), home=central, now=NOW).checkpoints
    assert found.rejected and found.held == 0


# -- through the command line ---------------------------------------------------------------


def test_case_4_through_the_cli(world, run_cli, monkeypatch):
    monkeypatch.setenv("SECXFER_OPERATOR", "Yamada Taro")
    mun = world.args("mun-131016")
    rewrite(world.home("mun-131016"))
    _, err = run_cli("log", "checkpoint", *mun, "--out", world.tmp / "cp", code=EXIT_INTEGRITY)
    assert "signed a different history" in err and "secxfer log recover" in err and not (world.tmp / "cp").exists()
    _, err = run_cli("open", world.packages["mun2"], *mun, "--out", world.tmp / "o", code=EXIT_INTEGRITY)
    assert "no longer matches what was signed over it" in err and not (world.tmp / "o").exists()
    run_cli("log", "recover", *mun, "--reason", "x", code=EXIT_USAGE)
    out, _ = run_cli("log", "recover", *mun, "--reason", "log edited during a disk repair")
    assert "was: checkpoint" in out and "log restarted as epoch 2" in out and "epochs/1" in out
    run_cli("log", "recover", *mun, "--reason", "once more", code=EXIT_USAGE)  # nothing to recover now
    run_cli("open", world.packages["mun2"], *mun, "--out", world.tmp / "o")
    out, _ = run_cli("log", "verify", "--home", world.home("mun-131016"))
    assert out.startswith("OK: ")
    rewrite(world.home("mun-131016"), who="Third Person")
    _, err = run_cli("--lang", "ja", "open", world.packages["mun1"], *mun, "--out", world.tmp / "o3", code=EXIT_INTEGRITY)
    assert "操作記録が署名済みのチェックポイントと一致しません" in err and "secxfer log recover --reason" in err
    assert "の操作記録は署名済みの内容と一致しないため、署名も送付もしていません: チェックポイント 00000" in err
    assert "記録が書き換えられています" in err and "signed a different history" not in err


def test_a_recovery_below_is_shown_by_the_parent_through_the_cli(world, run_cli):
    mun, fed, returns = world.args("mun-131016"), world.args("fed-13"), world.tmp / "returns"
    run_cli("receipts", "forward", PERIOD, *mun, "--out", returns)
    out, _ = run_cli("receipts", "collect", returns, *fed)
    assert "checkpoint: mun-131016: first checkpoint held" in out
    rewrite(world.home("mun-131016"))
    _, err = run_cli("receipts", "forward", PERIOD, *mun, "--out", returns, code=EXIT_INTEGRITY)
    assert "no longer matches what was signed over it" in err
    run_cli("log", "recover", *mun, "--reason", "log file copied back from another PC", "--operator", "Sato")
    run_cli("receipts", "forward", PERIOD, *mun, "--out", returns)
    out, err = run_cli("receipts", "collect", returns, *fed)
    assert "the operations log below you was restarted: mun-131016 restarted its operations log (epoch 2)" in err
    assert "by Sato: log file copied back from another PC" in err and "checkpoint not proven" not in err
    # the held copy at the parent is evidence too: damaged, it is refused, not trusted
    held = sorted((LedgerHome(world.home("fed-13")).root / "held" / "mun-131016").glob("*.txt"))
    held[-1].write_bytes(held[-1].read_bytes()[:-5] + b"AAAA\n")
    out, _ = run_cli("receipts", "collect", returns, *fed, code=EXIT_INTEGRITY)
    assert "REFUSED the checkpoints held here for mun-131016" in out


def test_case_10_through_the_cli(world, run_cli):
    fed, central = world.args("fed-13"), world.args("central")
    returns = world.tmp / "returns"
    run_cli("receipts", "forward", PERIOD, *fed, "--out", returns)
    out, _ = run_cli("receipts", "collect", returns, *central)
    assert "checkpoint: fed-13: first checkpoint held" in out
    # a later checkpoint whose proof went missing: kept receipts, a warning, exit 5
    run_cli("receipts", "forward", PERIOD, *fed, "--out", returns)
    for proof in (returns / "fed-13-to-central" / "checkpoints").glob("*.proof"):
        proof.unlink()
    out, err = run_cli("receipts", "collect", returns, *central, code=EXIT_UNPROVEN)
    assert "checkpoint not proven: fed-13: no consistency proof" in err and "exit 5" in err and "0 refused" in out
    # the next forward carries proofs from everything carried before: proven again
    run_cli("receipts", "forward", PERIOD, *fed, "--out", returns)
    out, _ = run_cli("receipts", "collect", returns, *central)
    assert "extends the one held; proof verified" in out
    # fed-13 forks its log: found on collection, exit 3
    rewrite(world.home("fed-13"))
    shutil.rmtree(LedgerHome(world.home("fed-13")).checkpoints)
    run_cli("receipts", "forward", PERIOD, *fed, "--out", world.tmp / "forked")
    out, err = run_cli("receipts", "collect", world.tmp / "forked", *central, code=EXIT_INTEGRITY)
    assert "FORK fed-13: its checkpoint (" in out and "does not extend the one held" in out
    assert "carried up show a log with two histories" in err and "report the incident" in err
    # log compare still works by hand, on the same files
    held = sorted((LedgerHome(world.home("central")).root / "held" / "fed-13").glob("*.txt"))
    (forked,) = (world.tmp / "forked" / "fed-13-to-central" / "checkpoints").glob("*.checkpoint")
    (proof,) = (world.tmp / "forked" / "fed-13-to-central" / "checkpoints").glob(f"*-{held[-1].stem}-*.proof")
    _, err = run_cli("log", "compare", held[-1], forked, "--proof", proof, "--home", world.home("central"),
                     code=EXIT_INTEGRITY)
    assert "does not extend" in err
