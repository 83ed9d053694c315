"""Purge deletes only what it recorded, and always what is due — month after month, against
an officer who edits the record, links the output folder elsewhere or changes a file,
and after a run killed mid-write. Library and CLI."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import shutil
from pathlib import Path

import pytest

from secxfer.chain.staging import noted
from secxfer.domain.sample import generate_sample
from secxfer.errors import EXIT_INTEGRITY, EXIT_OPERATIONAL, EXIT_USAGE, UsageError
from secxfer.ledger import oplog, recorded
from secxfer.ledger.errors import (
    PurgeBlockedError,
    PurgeCancelledError,
    PurgeKeptError,
    PurgeRecordsError,
)
from secxfer.ledger.logcheck import verify_log
from secxfer.ledger.purge import purge, require_nothing_kept
from secxfer.testing.network import build_network

CODES = ["131016"]
MUN = "mun-131016"
NOW = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
MONTHS = ["2026-08", "2026-09", "2026-10"]
QUIET = dict(notify=lambda message: None)
def csvs(month: str) -> list[str]:
    """The annex CSVs open writes for ``month``, named with period and municipality."""
    return [f"{month}_{MUN}_annex{n}.csv" for n in (1, 2, 3)]


CSVS = csvs("2026-10")
FILES = 4  # the three annex CSVs and the officer's workbook


class Office:
    """A network where fed-13 relays to one municipality that opens into one folder every month."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.net = build_network(root / "net", insurer_codes=CODES, now=NOW)
        self.out = root / "受領" / "current"  # the same folder every month
        self.returns = root / "returns"

    def home(self, pid: str = MUN) -> Path:
        return self.net.home(pid)

    def deliver(self, period: str, *, out: Path | None = None):
        """Seal, relay (central, fed-13) and open ``period``; the receipt goes onto a return medium."""
        k, media = self.net.secrets, self.root / "media" / period
        sample = generate_sample(self.root / "src" / period, period=period, rows=12, seed=3, insurers=CODES)
        files = {i + 1: Path(f) for i, f in enumerate(sample.files)}
        sealed = recorded.seal(annex_files=files, period=period, key=k["agency"], home=self.home("agency"),
                               out=media, now=NOW, **QUIET)
        to_fed = self._relay(sealed.package.path, "central", media, "fed-13")
        to_mun = self._relay(to_fed, "fed-13", media, MUN)
        return recorded.open_package(to_mun, key=k[MUN], home=self.home(), out=out or self.out, now=NOW,
                                     receipts_out=self.returns, **QUIET)

    def _relay(self, package: Path, who: str, media: Path, to: str) -> Path:
        result = recorded.relay(package, key=self.net.secrets[who], home=self.home(who), out=media, now=NOW, **QUIET)
        return next(p.path for p in result.outputs if p.recipient == to)

    def ops(self, pid: str = MUN) -> list[dict]:
        lines = (self.home(pid) / "ledger" / "oplog.jsonl").read_text("utf-8").splitlines()
        return [json.loads(line) for line in lines]


@pytest.fixture
def office(tmp_path):
    return Office(tmp_path)


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


# -- 7: a folder reused every month is purged every month ---------------------------------


def test_a_municipality_opening_into_one_folder_purges_it_every_month(office):
    for month in MONTHS:
        opened = office.deliver(month)
        assert sorted(p.name for p in office.out.iterdir()) == [*csvs(month), f"{month}_{MUN}_千代田区_特定技能.xlsx"]
        result = purge(month, home=office.home(), now=NOW)
        (emptied,) = result.folders
        assert (emptied.removed, emptied.absent, emptied.kept, emptied.folder_removed) == (FILES, 0, [], True)
        assert emptied.folder == os.path.realpath(office.out) and emptied.package_id == opened.package_id
        assert not office.out.exists()
        with pytest.raises(UsageError, match=f"nothing recorded here for {month} is left"):
            purge(month, home=office.home(), now=NOW)
    deleted = [e["facts"] for e in office.ops() if e["op"] == "output-deleted"]
    assert [d["period"] for d in deleted] == MONTHS and all(d["files"] == FILES for d in deleted)
    assert verify_log(office.home()).ok


def test_last_months_record_never_deletes_this_months_data(office):
    """The officer moved October's CSVs away by hand; November opened into the same folder."""
    office.deliver("2026-09")
    shutil.move(office.out, office.root / "moved-by-hand")
    office.deliver("2026-10")
    november = _snapshot(office.out)
    result = purge("2026-09", home=office.home(), now=NOW)
    (folder,) = result.folders
    # September's names are not October's (every output is named by month): nothing of October is touched
    assert folder.kept == [] and folder.removed == 0 and folder.absent == FILES
    assert _snapshot(office.out) == november
    require_nothing_kept(result)
    assert purge("2026-10", home=office.home(), now=NOW).files == FILES and not office.out.exists()


# -- 1: a symbolic link on the recorded path is never followed --------------------------


@pytest.mark.parametrize("where", ["folder", "parent"])
def test_a_linked_output_folder_is_not_followed_and_the_purge_is_still_recorded(office, where):
    office.deliver("2026-10")
    victim = office.root / "elsewhere" / "current"  # e.g. another office's folder with the same files
    victim.parent.mkdir()
    shutil.copytree(office.out, victim)
    shutil.rmtree(office.out)
    if where == "folder":
        office.out.symlink_to(victim, target_is_directory=True)
    else:
        shutil.rmtree(office.out.parent)
        office.out.parent.symlink_to(victim.parent, target_is_directory=True)
    before = _snapshot(victim)
    result = purge("2026-10", home=office.home(), now=NOW)
    assert _snapshot(victim) == before
    assert [why for _, why in result.folders[0].kept] == ["linked"] * FILES
    assert [e["op"] for e in office.ops()][-2:] == ["purge-started", "output-deleted"]  # recorded all the same
    assert office.ops()[-1]["facts"]["kept"] == FILES
    with pytest.raises(PurgeKeptError):
        require_nothing_kept(result)


# -- 6: the record is the signed log; hashes are compared before deleting ----------------


def test_a_crafted_record_entry_is_refused_and_nothing_is_deleted(office):
    office.deliver("2026-10")
    target = office.root / "precious.txt"
    target.write_bytes(b"not secxfer's")
    import hashlib

    # a well-formed, correctly chained entry: anyone can compute the chain, nobody but the key signs it
    oplog.append(office.home(), op="output-written", who="mallory", facts={
        "period": "2026-10", "package_id": "0" * 32, "kind": "opened", "folder": str(office.root),
        "name": "precious.txt", "sha256": hashlib.sha256(target.read_bytes()).hexdigest(), "bytes": 13})
    opened = _snapshot(office.out)
    with pytest.raises(PurgeRecordsError, match="no checkpoint signed by mun-131016 covers it"):
        purge("2026-10", home=office.home(), now=NOW)
    assert target.exists() and _snapshot(office.out) == opened


def test_an_edited_record_entry_is_refused(office):
    office.deliver("2026-10")
    log = office.home() / "ledger" / "oplog.jsonl"
    lines = log.read_bytes().split(b"\n")
    number = next(i for i, line in enumerate(lines) if b'"output-written"' in line)
    lines[number] = lines[number].replace(b'"name":"2026-10_mun-131016_annex1.csv"', b'"name":"annex9.csv"')
    log.write_bytes(b"\n".join(lines))
    with pytest.raises(PurgeRecordsError, match="does not verify"):
        purge("2026-10", home=office.home(), now=NOW)
    assert len(list(office.out.iterdir())) == FILES


def test_the_old_unprotected_record_file_is_not_read(office):
    office.deliver("2026-10")
    victim = office.root / "victim"
    victim.mkdir()
    (victim / "annex1.csv").write_bytes(b"someone else's")
    legacy = office.home() / "ledger" / "outputs.jsonl"
    legacy.write_text(json.dumps({"type": "opened", "period": "2026-10", "path": str(victim),
                                  "package_id": "0" * 32, "files": ["annex1.csv"]}) + "\n")
    assert purge("2026-10", home=office.home(), now=NOW).files == FILES
    assert (victim / "annex1.csv").exists()


def test_a_changed_file_is_kept_and_reported(office):
    office.deliver("2026-10")
    (office.out / CSVS[1]).write_bytes(b"edited in a spreadsheet")
    result = purge("2026-10", home=office.home(), now=NOW)
    assert result.folders[0].removed == FILES - 1 and result.folders[0].kept == [(CSVS[1], "differs")]
    assert sorted(p.name for p in office.out.iterdir()) == [CSVS[1]]
    # still due: the next purge reports it again rather than calling the period done
    again = purge("2026-10", home=office.home(), now=NOW)
    assert again.folders[0].kept == [(CSVS[1], "differs")] and again.folders[0].absent == 0


def test_a_purge_cut_short_is_completed_by_the_next_run(office, monkeypatch):
    office.deliver("2026-10")
    real = oplog.append

    def crash_after_deleting(home, *, op, **kwargs):
        if op == "output-deleted":
            raise KeyboardInterrupt  # killed after the files went, before the record of it
        return real(home, op=op, **kwargs)

    monkeypatch.setattr(oplog, "append", crash_after_deleting)
    with pytest.raises(KeyboardInterrupt):
        purge("2026-10", home=office.home(), now=NOW)
    monkeypatch.setattr(oplog, "append", real)
    assert not office.out.exists()  # files and folder went; the log does not say so yet
    seen = []
    result = purge("2026-10", home=office.home(), now=NOW, confirm=lambda plan: seen.append(plan) or True)
    assert seen[0].folders[0].interrupted and result.folders[0].absent == FILES
    assert [e["op"] for e in office.ops()][-3:] == ["purge-started", "purge-started", "output-deleted"]
    with pytest.raises(UsageError, match="nothing recorded"):
        purge("2026-10", home=office.home(), now=NOW)


# -- P: contradictions, confirmation ------------------------------------------------------


def _contradict(office: Office, period: str) -> None:
    """Stored evidence that fails verification: reconciliation reports an error."""
    path = office.home() / "ledger" / "evidence" / f"{period}.jsonl"
    with open(path, "ab") as handle:
        handle.write(b'{"kind":"secxfer/receipt","payload":"AA","signatures":[]}\n')


def test_contradictions_block_purge_unless_forced_and_forcing_is_logged(office):
    office.deliver("2026-10")
    _contradict(office, "2026-10")
    with pytest.raises(PurgeBlockedError, match="contradiction"):
        purge("2026-10", home=office.home(), now=NOW)
    assert len(list(office.out.iterdir())) == FILES
    result = purge("2026-10", home=office.home(), now=NOW, force=True)
    assert result.files == FILES and result.forced
    started = [e for e in office.ops() if e["op"] == "purge-started"][-1]["facts"]
    assert started["forced"] is True and started["contradictions"] >= 1


def test_declining_the_confirmation_removes_nothing(office):
    office.deliver("2026-10")
    with pytest.raises(PurgeCancelledError):
        purge("2026-10", home=office.home(), now=NOW, confirm=lambda plan: False)
    assert len(list(office.out.iterdir())) == FILES
    assert "purge-started" not in [e["op"] for e in office.ops()]


# -- S: staging folders an interrupted open left ------------------------------------------


def _leave_staging(office: Office) -> Path:
    """What a kill just before open's final rename leaves: a noted staging folder with plaintext."""
    holder = office.root / "受領" / ".secxfer-tmp-open-current"
    staging = holder / "0123456789ab"
    holder.mkdir(parents=True)
    note = noted(office.home(), staging)
    note.__enter__()
    staging.mkdir()
    for name in (*CSVS, f"2026-10_{MUN}_千代田区_特定技能.xlsx"):
        (staging / name).write_bytes(b"personal data")
    note.gen.close()  # the process dies: the note stays, its lock goes with the process
    return holder


def test_the_next_open_removes_a_killed_opens_staging_and_says_so(office):
    holder = _leave_staging(office)
    messages = []
    k, media = office.net.secrets, office.root / "media"
    sample = generate_sample(office.root / "src", period="2026-10", rows=12, seed=3, insurers=CODES)
    sealed = recorded.seal(annex_files={i + 1: Path(f) for i, f in enumerate(sample.files)}, period="2026-10",
                           key=k["agency"], home=office.home("agency"), out=media, now=NOW, **QUIET)
    to_fed = office._relay(sealed.package.path, "central", media, "fed-13")
    to_mun = office._relay(to_fed, "fed-13", media, MUN)
    recorded.open_package(to_mun, key=k[MUN], home=office.home(), out=office.root / "other", now=NOW,
                          notify=messages.append)
    assert not holder.exists()
    assert messages == [f"removed {FILES} plaintext file(s) an interrupted open left in {os.path.realpath(holder)}/0123456789ab"]
    assert [e["facts"]["files"] for e in office.ops() if e["op"] == "staging-removed"] == [FILES]


def test_purge_removes_a_killed_opens_staging_even_with_nothing_else_to_purge(office):
    holder = _leave_staging(office)
    office.home().joinpath("ledger").mkdir(parents=True, exist_ok=True)
    (office.home() / "ledger" / "participant").write_text(MUN + "\n")
    seen = []
    result = purge("2026-10", home=office.home(), now=NOW, confirm=lambda plan: seen.append(plan) or True)
    assert seen[0].leftovers and not seen[0].folders
    assert [s.files for s in result.staging] == [FILES] and not holder.exists()


def test_a_forged_staging_note_is_never_acted_on(office):
    victim = office.root / "victim"
    victim.mkdir()
    (victim / "annex1.csv").write_bytes(b"keep me")
    notes = office.home() / "chain" / "staging"
    notes.mkdir(parents=True)
    (notes / "0123456789ab.json").write_text(json.dumps({"folder": str(victim)}))
    from secxfer.chain.staging import sweep

    (swept,) = sweep(office.home())
    assert swept.files == 0 and swept.kept and (victim / "annex1.csv").exists()


# -- the same cases through the command line -----------------------------------------------


@pytest.fixture
def cli(run_cli, monkeypatch):
    def call(*args, code=0, stdin: str | None = None):
        if stdin is not None:
            monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        return run_cli(*args, code=code)

    return call


def test_cli_asks_names_each_folder_and_refuses_without_an_answer(office, cli):
    office.deliver("2026-10")
    home = office.home()
    out, err = cli("purge", "2026-10", "--home", home, code=EXIT_USAGE)  # pytest's stdin: nothing to read
    assert "no input to answer" in err and "--yes" in err and len(list(office.out.iterdir())) == FILES
    out, err = cli("purge", "2026-10", "--home", home, code=EXIT_OPERATIONAL, stdin="n\n")
    assert "Delete these files? [y/N]" in err and "cancelled: nothing was removed" in err
    assert f"  {os.path.realpath(office.out)}: {FILES} opened file(s) (CSV, workbook) of package" in out
    out, _ = cli("purge", "2026-10", "--home", home, stdin="y\n")
    assert f"emptied {os.path.realpath(office.out)}: {FILES} file(s) removed, 0 already gone" in out
    assert f"2026-10: {FILES} file(s)" in out and not office.out.exists()


def test_cli_three_months_into_one_folder(office, cli):
    for month in MONTHS:
        office.deliver(month)
        out, _ = cli("purge", month, "--home", office.home(), "--yes")
        assert f"{FILES} file(s) removed" in out and not office.out.exists()
    _, err = cli("purge", MONTHS[0], "--home", office.home(), "--yes", code=EXIT_USAGE)
    assert "nothing recorded here for 2026-08 is left to purge" in err


def test_cli_link_crafted_record_and_contradiction(office, cli):
    office.deliver("2026-10")
    _contradict(office, "2026-10")
    _, err = cli("purge", "2026-10", "--home", office.home(), "--yes", code=EXIT_INTEGRITY)
    assert "reconciliation of 2026-10 reports" in err and "--force" in err
    victim = office.root / "victim"
    shutil.move(office.out, victim)
    office.out.symlink_to(victim, target_is_directory=True)
    out, err = cli("purge", "2026-10", "--home", office.home(), "--yes", "--force", code=EXIT_OPERATIONAL)
    assert "--force: purging although reconciliation reports" in out
    assert f"kept {CSVS[0]}: a symbolic link (or junction) lies on its path" in out
    assert f"{FILES} file(s) kept, not what secxfer wrote there" in err and len(list(victim.iterdir())) == FILES
    oplog.append(office.home(), op="output-written", who="mallory", facts={
        "period": "2026-10", "package_id": "0" * 32, "kind": "opened", "folder": str(victim), "name": "annex1.csv",
        "sha256": "00" * 32, "bytes": 1})
    _, err = cli("purge", "2026-10", "--home", office.home(), "--yes", "--force", code=EXIT_INTEGRITY)
    assert "no checkpoint signed by mun-131016 covers it" in err


def test_cli_in_japanese_names_the_municipality_and_the_next_step(office, cli, english_afterwards):
    from secxfer.trust.store import TrustStore

    office.deliver("2026-10")
    name = TrustStore(office.home()).current_directory(NOW).participant(MUN).name
    out, err = cli("--lang", "ja", "purge", "2026-10", "--home", office.home(), code=EXIT_USAGE)
    assert f"{name}({MUN})の 2026-10 の出力を削除します" in out
    assert "--yes を付けてください" in err
    _contradict(office, "2026-10")
    _, err = cli("--lang", "ja", "purge", "2026-10", "--home", office.home(), "--yes", code=EXIT_INTEGRITY)
    assert "突合で矛盾" in err and "secxfer reconcile" in err
