"""The ledger through the command line: a month with one municipality that never opens,
then status, reconcile, receipts, log and purge as an operator would run them."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from secxfer.domain.sample import generate_sample
from secxfer.errors import EXIT_INTEGRITY, EXIT_OPERATIONAL
from secxfer.testing.network import build_network

CODES = ["131016", "131024", "141003"]
PERIOD = "2026-10"


@pytest.fixture(scope="module")
def month(tmp_path_factory):
    """seal → central → fed-13 relays; mun-131016 opens, mun-131024 never does; fed-14 never relays."""
    root = tmp_path_factory.mktemp("ledgercli")
    network = build_network(root, insurer_codes=CODES, now=dt.datetime.now(dt.timezone.utc))
    sample = generate_sample(root / "source", period=PERIOD, rows=120, seed=11, insurers=CODES)
    return root, network, [Path(f) for f in sample.files]


@pytest.fixture
def cli(run_cli, monkeypatch):
    monkeypatch.setenv("SECXFER_OPERATOR", "Yamada Taro")
    return run_cli


def test_a_month_through_the_cli(month, cli, tmp_path):
    root, network, files = month
    homes, keys, media, returns = root / "homes", root / "keys", tmp_path / "media", tmp_path / "returns"

    def as_(pid):
        return ["--key", keys / f"{pid}.key", "--home", homes / pid]

    cli("seal", "--period", PERIOD, "--annex1", files[0], "--annex2", files[1], "--annex3", files[2],
        *as_("agency"), "--out", media, "--operator", "Agency Operator")
    (sealed,) = (media / "agency-to-central").glob("*.age")
    cli("relay", sealed, *as_("central"), "--out", media)
    (to_fed,) = (media / "central-to-fed-13").glob("*.age")
    cli("relay", to_fed, *as_("fed-13"), "--out", media)
    (package,) = (media / "fed-13-to-mun-131016").glob("*.age")
    cli("open", package, *as_("mun-131016"), "--out", tmp_path / "opened")

    # the receipt goes back up: municipality → fed-13 → central → agency
    out, _ = cli("receipts", "forward", PERIOD, *as_("mun-131016"), "--out", returns)
    assert "mun-131016-to-fed-13/receipts/" in out and out.split()[0].endswith(".receipt.age")
    assert "mun-131016-to-fed-13/checkpoints/mun-131016-oplog-" in out
    out, _ = cli("receipts", "collect", returns, *as_("fed-13"))
    assert "1 file(s): 1 document(s) kept" in out
    cli("receipts", "forward", PERIOD, *as_("fed-13"), "--out", returns)
    cli("receipts", "collect", returns, *as_("central"))
    cli("receipts", "forward", PERIOD, *as_("central"), "--out", returns)
    out, _ = cli("receipts", "collect", returns, *as_("agency"))
    assert "0 refused" in out

    out, _ = cli("status", PERIOD, "--home", homes / "agency", "--json")
    document = json.loads(out)
    assert document["format"] == "secxfer-status-v1" and document["viewer"] == "agency"
    assert document["deadline"] == "2026-11-27" and isinstance(document["days_left"], int)
    assert not document["complete"]
    states = {r["id"]: r["state"] for r in document["recipients"]}
    assert states["mun-131016"] == "confirmed" and states["fed-13"] == "confirmed" and states["central"] == "confirmed"
    assert states["mun-131024"] == "relayed"  # fed-13 wrote its package; no receipt came back
    assert states["mun-141003"] == "relayed" and states["fed-14"] == "relayed"  # central relayed; fed-14 silent
    assert set(document["counts"]) == {"confirmed", "received", "relayed", "sealed", "failed", "missing", "withheld"}
    kinds = {(p["kind"], p["where"]) for p in document["problems"]}
    assert ("no-receipt", "mun-131024") in kinds and ("no-receipt", "fed-14") in kinds

    out, _ = cli("status", PERIOD, "--home", homes / "agency")
    assert out.startswith("status of 2026-10 as seen by agency — deadline at central 2026-11-27")
    assert any(line.split()[:2] == ["mun-131024", "relayed"] for line in out.splitlines())
    out, err = cli("reconcile", PERIOD, "--home", homes / "agency", code=EXIT_OPERATIONAL)
    assert out.startswith("NOT RECONCILED") and "not complete yet" in err

    # fed-13 may not purge its copies: mun-131024 never confirmed
    _, err = cli("purge", PERIOD, "--home", homes / "fed-13", "--yes", code=EXIT_OPERATIONAL)
    assert "no accepted receipt from mun-131024" in err and package.exists()
    # mun-131016 may purge its opened files: its receipt went back on a medium
    out, _ = cli("purge", PERIOD, "--home", homes / "mun-131016", "--yes")
    assert "4 file(s)" in out and not (tmp_path / "opened").exists()  # 3 CSVs + the workbook
    # once mun-131024's receipt arrives, fed-13's copies may go too
    (late,) = (media / "fed-13-to-mun-131024").glob("*.age")
    cli("open", late, *as_("mun-131024"), "--out", tmp_path / "opened-late")
    cli("receipts", "forward", PERIOD, *as_("mun-131024"), "--out", returns)
    cli("receipts", "collect", returns, *as_("fed-13"))
    out, _ = cli("purge", PERIOD, "--home", homes / "fed-13", "--yes")
    assert "4 file(s)" in out and not package.exists() and not late.exists()  # two packages and their .sig files
    cli("purge", PERIOD, "--home", homes / "fed-13", "--yes", code=2)  # nothing left to purge

    # the operations log: who did what, verifiable, checkpointed
    log = (homes / "agency" / "ledger" / "oplog.jsonl").read_text().splitlines()
    entries = [json.loads(x) for x in log]
    assert [e["op"] for e in entries[:2]] == ["sealed", "report-written"] and entries[0]["who"] == "Agency Operator"
    assert entries[-1]["op"] == "receipts-collected" and entries[-1]["who"] == "Yamada Taro"
    out, _ = cli("log", "verify", "--home", homes / "mun-131016")
    assert out.startswith("OK: ") and "checkpoint(s) agree" in out
    ops = [json.loads(x)["op"] for x in (homes / "mun-131016" / "ledger" / "oplog.jsonl").read_text().splitlines()]
    assert ops == ["opened", "receipt-made", *["output-written"] * 4, "receipt-sent", "checkpoint-exported",
                   "purge-started", "output-deleted"]
    deleted = json.loads((homes / "mun-131016" / "ledger" / "oplog.jsonl").read_text().splitlines()[-1])["facts"]
    assert deleted["kind"] == "opened" and deleted["files"] == 4 and len(deleted["content_sha256"]) == 64

    out, _ = cli("log", "checkpoint", *as_("fed-13"), "--out", tmp_path / "cp")
    first = Path(out.split()[0])
    cli("receipts", "forward", PERIOD, *as_("fed-13"), "--out", tmp_path / "again")
    out, _ = cli("log", "checkpoint", *as_("fed-13"), "--out", tmp_path / "cp2", "--since", first)
    second, *proofs = (Path(x) for x in out.split())
    size = first.name.split("-")[-1].split(".")[0]
    (proof,) = (p for p in proofs if p.name.startswith(f"fed-13-oplog-{size}-"))
    out, _ = cli("log", "compare", first, second, "--proof", proof, "--home", homes / "agency")
    assert out.startswith("OK: secxfer/oplog/fed-13: ") and "extend" in out

    # an edited entry (in a copy of the home; the other tests use fed-13's): exit 3, naming it
    import shutil

    edited = tmp_path / "fed-13-edited"
    shutil.copytree(homes / "fed-13", edited)
    lines = (edited / "ledger" / "oplog.jsonl").read_bytes().split(b"\n")
    lines[1] = lines[1].replace(b'"who":"Yamada Taro"', b'"who":"Yamada Jiro"')
    (edited / "ledger" / "oplog.jsonl").write_bytes(b"\n".join(lines))
    _, err = cli("log", "verify", "--home", edited, code=EXIT_INTEGRITY)
    assert "entry 2 does not continue the log before it: entry 1 was edited" in err


def test_collect_refuses_a_forged_receipt_with_exit_3(month, cli, tmp_path):
    import shutil

    from secxfer.ledger.evidence import RECEIPT_KIND, sign_model, trusted_directory
    from secxfer.ledger.receipts import Receipt
    from secxfer.ledger.returns import write_sealed

    root, network, _ = month
    now = dt.datetime.now(dt.timezone.utc)
    directory = trusted_directory(root / "homes" / "fed-13", now)
    receipt = Receipt(issuer="mun-131024", sender="fed-13", action="open", disposition="accepted", claims_verified=True,
                      period=PERIOD, rehearsal=False, package_id="0" * 32, file_name="x.age", encrypted_sha256=bytes(32),
                      created=now)
    raw = sign_model(RECEIPT_KIND, receipt, network.secrets["mun-131016"])  # signed by the wrong municipality
    write_sealed(tmp_path, kind=RECEIPT_KIND, signed=raw, author="mun-131024", recipient="fed-13", period=PERIOD,
                 rehearsal=False, directory=directory, now=now)
    home = tmp_path / "fed-home"
    shutil.copytree(root / "homes" / "fed-13", home)
    out, err = cli("receipts", "collect", tmp_path, "--key", root / "keys" / "fed-13.key", "--home", home, code=EXIT_INTEGRITY)
    assert "REFUSED mun-131024-to-fed-13/" in out and "signed by 'mun-131016'" in out
    assert "1 receipt(s) or aggregate(s) refused" in err
