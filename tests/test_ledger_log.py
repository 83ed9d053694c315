"""The tamper-evident operations log: every edit, removal, reordering, truncation, torn
line and forked history is reported precisely; checkpoints are strict C2SP notes."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from secxfer.domain.counts import RowCounts
from secxfer.errors import FormatError, SignatureError, UsageError
from secxfer.ledger import oplog
from secxfer.ledger.checkpoint import (
    DASH,
    compare,
    parse_checkpoint,
    sign_checkpoint,
    verify_checkpoint,
    write_checkpoint,
)
from secxfer.ledger.logcheck import compare_files, require_log, verify_log
from secxfer.ledger.errors import LogForkError, LogTamperedError
from secxfer.ledger.store import LedgerHome
from secxfer.ledger.tlog import consistency_proof, entry_hash, tree_root, verify_consistency
from secxfer.testing.network import build_network

NOW = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.timezone.utc)


@pytest.fixture(scope="module")
def net(tmp_path_factory):
    root = tmp_path_factory.mktemp("lognet")
    return build_network(root, insurer_codes=["131016"], now=NOW)


@pytest.fixture
def directory(net):
    from secxfer.ledger.evidence import trusted_directory

    return trusted_directory(net.home("fed-13"), NOW)


def fill(home: Path, count: int, *, start: int = 0, who: str = "Tanaka") -> None:
    for n in range(start, start + count):
        oplog.append(home, op="relayed", who=who, facts={"period": "2026-10", "outputs": n, "rows_in": [n, 0, 1]},
                     now=NOW + dt.timedelta(minutes=n))


def lines_of(home: Path) -> list[bytes]:
    return LedgerHome(home).log_path.read_bytes().split(b"\n")[:-1]


def write_lines(home: Path, lines: list[bytes]) -> None:
    LedgerHome(home).log_path.write_bytes(b"".join(x + b"\n" for x in lines))


def checkpointed(home: Path, key) -> None:
    check = oplog.check_lines(*oplog.read_entries(home))
    write_checkpoint(home, key, check.entries, check.root)


def edit(line: bytes, old: bytes, new: bytes) -> bytes:
    assert old in line
    return line.replace(old, new, 1)


def test_entries_are_chained_and_verify(tmp_path, net, directory):
    fill(tmp_path, 5)
    checkpointed(tmp_path, net.secrets["fed-13"])
    check = verify_log(tmp_path, directory=directory)
    assert check.ok and check.entries == 5 and check.checkpoints == 1
    entries = [json.loads(x) for x in lines_of(tmp_path)]
    assert [e["seq"] for e in entries] == list(range(5)) and entries[2]["who"] == "Tanaka"
    hashes = [entry_hash(x) for x in lines_of(tmp_path)]
    import base64

    assert all(base64.b64decode(e["prev"]) == tree_root(hashes[: e["seq"]]) for e in entries)


def test_an_edited_entry_is_named(tmp_path):
    fill(tmp_path, 6)
    lines = lines_of(tmp_path)
    lines[2] = edit(lines[2], b'"outputs":2', b'"outputs":9')
    write_lines(tmp_path, lines)
    check = verify_log(tmp_path)
    assert check.problems == ["entry 3 does not continue the log before it: entry 2 was edited or replaced"]
    assert check.entries == 3


def test_edited_last_entry_and_rewritten_history_are_caught_by_the_checkpoint(tmp_path, net, directory):
    fill(tmp_path, 4)
    checkpointed(tmp_path, net.secrets["fed-13"])
    lines = lines_of(tmp_path)
    lines[3] = edit(lines[3], b'"outputs":3', b'"outputs":7')
    write_lines(tmp_path, lines)
    (problem,) = verify_log(tmp_path, directory=directory).problems
    assert "signed a different history of the first 4 entries: the log was rewritten" in problem
    # rewriting every link after an edit does not help either
    shutil.rmtree(LedgerHome(tmp_path).log_path.parent / "checkpoints")
    LedgerHome(tmp_path).log_path.unlink()
    fill(tmp_path, 4)
    checkpointed(tmp_path, net.secrets["fed-13"])
    LedgerHome(tmp_path).log_path.unlink()
    fill(tmp_path, 4, who="Someone Else")  # a consistent, re-chained, different history
    assert "the log was rewritten" in verify_log(tmp_path, directory=directory).problems[0]


@pytest.mark.parametrize("how", ["removed", "reordered"])
def test_removed_or_reordered_entries_are_named(tmp_path, how):
    fill(tmp_path, 5)
    lines = lines_of(tmp_path)
    if how == "removed":
        del lines[1]
    else:
        lines[1], lines[2] = lines[2], lines[1]
    write_lines(tmp_path, lines)
    (problem,) = verify_log(tmp_path).problems
    assert problem == "line 2 holds entry 2, expected 1: entries were removed or reordered"


def test_a_truncated_log_is_caught_by_its_checkpoint(tmp_path, net, directory):
    fill(tmp_path, 6)
    checkpointed(tmp_path, net.secrets["fed-13"])
    write_lines(tmp_path, lines_of(tmp_path)[:4])
    (problem,) = verify_log(tmp_path, directory=directory).problems
    assert "covers 6 entries but only 4 verify: entries 4…5 were removed or cut off (a truncated log" in problem
    with pytest.raises(LogTamperedError, match="a truncated log, or a home restored from an older backup"):
        require_log(tmp_path)


def test_a_torn_last_line_is_reported_then_kept_aside_and_recorded(tmp_path):
    fill(tmp_path, 3)
    log = LedgerHome(tmp_path).log_path
    data = log.read_bytes()
    torn = data[: len(data) - 20]  # a crash in the middle of writing the last entry
    log.write_bytes(torn)
    tail = torn[torn.rfind(b"\n") + 1:]
    check = verify_log(tmp_path)
    assert check.entries == 2
    assert check.problems == [f"torn last line after entry 1: {len(tail)} bytes without a newline "
                              "(a crash during an append; the next append keeps them aside and records it)"]
    fill(tmp_path, 1, start=10)
    entries = [json.loads(x) for x in lines_of(tmp_path)]
    recovered = entries[2]
    assert recovered["op"] == "log-recovered" and recovered["facts"]["torn_bytes"] == len(tail)
    kept = LedgerHome(tmp_path).root / recovered["facts"]["kept_as"]
    assert kept.read_bytes() == tail  # nothing silently dropped
    assert entries[3]["facts"]["outputs"] == 10 and verify_log(tmp_path).ok


def test_log_refuses_bad_facts_and_operators(tmp_path, monkeypatch):
    with pytest.raises(UsageError):
        oplog.append(tmp_path, op="made-up", who="x")
    with pytest.raises(UsageError):
        oplog.append(tmp_path, op="sealed", who="x", facts={"Bad Key": 1})
    with pytest.raises(UsageError):
        oplog.append(tmp_path, op="sealed", who="x", facts={"rows": (1, 2, 3)})
    monkeypatch.delenv(oplog.OPERATOR_ENV, raising=False)
    assert oplog.resolve_operator(None, "fed-13") == "fed-13"
    monkeypatch.setenv(oplog.OPERATOR_ENV, "Suzuki Ichiro")
    assert oplog.resolve_operator(None, "fed-13") == "Suzuki Ichiro"
    assert oplog.resolve_operator("Sato", "fed-13") == "Sato"
    for bad in ("a\nb", " padded", "x" * 65, "tab\there"):
        with pytest.raises(UsageError):
            oplog.resolve_operator(bad, "fed-13")
        with pytest.raises(UsageError):
            oplog.append(tmp_path, op="sealed", who=bad)
    assert not LedgerHome(tmp_path).log_path.exists()


def test_no_checkpoint_is_signed_over_a_broken_log(tmp_path, net):
    from secxfer.ledger.checkpoint import kept_checkpoints
    from secxfer.ledger.errors import LogRewrittenError
    from secxfer.ledger.logcheck import checkpoint_log

    fill(tmp_path, 3)
    checkpoint_log(tmp_path, net.secrets["fed-13"])
    assert len(kept_checkpoints(tmp_path)) == 1
    lines = lines_of(tmp_path)
    write_lines(tmp_path, [lines[0], lines[2]])
    fill(tmp_path, 1, start=3)
    with pytest.raises(LogRewrittenError, match="nothing is signed or carried up: the log's chain is broken: .*removed"):
        checkpoint_log(tmp_path, net.secrets["fed-13"])
    assert len(kept_checkpoints(tmp_path)) == 1


# -- checkpoints -----------------------------------------------------------------------


def test_checkpoint_is_a_c2sp_note(net, directory):
    note = sign_checkpoint(net.secrets["fed-13"], 7, bytes(range(32)))
    text = note.decode()
    origin, size, root, blank, signature, end = text.split("\n")
    assert (origin, size, blank, end) == ("secxfer/oplog/fed-13", "7", "", "")
    assert signature.startswith(f"{DASH} fed-13 ")
    checkpoint = verify_checkpoint(note, directory, now=NOW)
    assert (checkpoint.size, checkpoint.root) == (7, bytes(range(32)))


@pytest.mark.parametrize(
    "mutate",
    [
        lambda t: t.replace(b"\n7\n", b"\n8\n"),  # another size under the same signature
        lambda t: t.replace(b"secxfer/oplog/fed-13\n", b"secxfer/oplog/fed-14\n"),
        lambda t: t.replace(b"\n7\n", b"\n07\n"),
        lambda t: t.replace(b"\n\n", b"\nextension\n\n"),
        lambda t: t + b"\xe2\x80\x94 fed-13 AAAA\n",
        lambda t: t[:-2] + b"A\n",
        lambda t: t.replace("\u2014".encode(), b"-"),
    ],
)
def test_any_change_to_a_checkpoint_fails(net, directory, mutate):
    from secxfer.errors import IntegrityError, UsageError as Usage

    note = sign_checkpoint(net.secrets["fed-13"], 7, bytes(range(32)))
    with pytest.raises((IntegrityError, Usage)):
        verify_checkpoint(mutate(note), directory, now=NOW)


def test_a_checkpoint_signed_by_someone_else_fails(net, directory):
    forged = sign_checkpoint(net.secrets["fed-14"], 3, bytes(32)).replace(b"fed-14", b"fed-13")
    with pytest.raises(SignatureError):
        verify_checkpoint(forged, directory, now=NOW)


def export(home: Path, key, out: Path, *, since: Path | None = None):
    from secxfer.ledger.carry import carry

    carried = carry(home, key, out, who="Tanaka", now=NOW, since=since)
    return carried.note, carried.proofs


def test_consistent_checkpoints_compare_with_a_proof(tmp_path, net, directory):
    key = net.secrets["fed-13"]
    LedgerHome(tmp_path).bind("fed-13")
    fill(tmp_path, 5)
    first, _ = export(tmp_path, key, tmp_path / "media")
    assert first.name == "fed-13-oplog-00000006.checkpoint"  # the export is logged, then checkpointed
    fill(tmp_path, 4, start=5)
    second, (proof,) = export(tmp_path, key, tmp_path / "media2", since=first)
    assert proof.name == "fed-13-oplog-00000006-00000011.proof"
    message = compare_files(first, second, directory=directory, now=NOW, proof=proof)
    assert message == "secxfer/oplog/fed-13: 11 entries extend the 6 entries checkpointed before"
    # where the log itself is, no proof file is needed
    assert compare_files(second, first, directory=directory, now=NOW, home=tmp_path) == message
    with pytest.raises(FormatError, match="consistency proof from 6 to 11 entries is needed"):
        compare_files(first, second, directory=directory, now=NOW)


def test_a_checkpoint_from_a_forked_log_is_caught(tmp_path, net, directory):
    from secxfer.ledger.errors import LogRewrittenError

    key = net.secrets["fed-13"]
    one, two = tmp_path / "one", tmp_path / "two"
    LedgerHome(one).bind("fed-13")
    fill(one, 4)
    shutil.copytree(one, two)
    fill(one, 2, start=4)
    fill(two, 2, start=4, who="Another Operator")  # the same first 4 entries, then another history
    a, _ = export(one, key, tmp_path / "a")
    b, _ = export(two, key, tmp_path / "b")
    with pytest.raises(LogForkError, match="same 7 entries have different root hashes: the log shows two histories"):
        compare_files(a, b, directory=directory, now=NOW)
    # a longer forked log cannot carry a checkpoint past the one carried up before
    fill(two, 3, start=7)
    with pytest.raises(LogRewrittenError, match="fed-13-oplog-00000007.checkpoint \\(the earlier one given\\) \\(root [0-9a-f]{16}…\\) "
                       "signed a different history of the first 7 entries"):
        export(two, key, tmp_path / "b2", since=a)
    assert not (tmp_path / "b2").exists()
    c, _ = export(two, key, tmp_path / "c")
    from secxfer.ledger.checkpoint import prove

    check = oplog.check_lines(*oplog.read_entries(two))
    forged_proof = prove(check.leaf_hashes, "secxfer/oplog/fed-13", 7)
    with pytest.raises(LogForkError, match="does not extend"):
        compare(verify_checkpoint(a.read_bytes(), directory, now=NOW), verify_checkpoint(c.read_bytes(), directory, now=NOW), forged_proof)


def test_checkpoint_parse_rejects_oversize_and_non_utf8():
    with pytest.raises(FormatError):
        parse_checkpoint(b"x" * 5000)
    with pytest.raises(FormatError):
        parse_checkpoint(b"\xff\xfe")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(count=st.integers(1, 12), data=st.data())
def test_any_byte_change_anywhere_in_a_checkpointed_log_is_detected(tmp_path_factory, net, count, data):
    home = tmp_path_factory.mktemp("prop")
    fill(home, count)
    checkpointed(home, net.secrets["fed-13"])
    log = LedgerHome(home).log_path
    raw = bytearray(log.read_bytes())
    position = data.draw(st.integers(0, len(raw) - 1))
    value = data.draw(st.integers(0, 255).filter(lambda v: v != raw[position]))
    raw[position] = value
    log.write_bytes(bytes(raw))
    assert not verify_log(home).ok


@settings(max_examples=40, deadline=None)
@given(size=st.integers(1, 40), data=st.data())
def test_consistency_proofs_hold_exactly_for_prefixes(size, data):
    leaves = [entry_hash(bytes([i % 256, i // 256])) for i in range(size)]
    old = data.draw(st.integers(0, size))
    proof = consistency_proof(leaves, old)
    verify_consistency(old, size, tree_root(leaves[:old]), tree_root(leaves), proof)
    if 0 < old < size:
        other = list(leaves)
        other[data.draw(st.integers(0, old - 1))] = entry_hash(b"forked")
        with pytest.raises(LogForkError):
            verify_consistency(old, size, tree_root(other[:old]), tree_root(leaves), proof)


def test_evidence_store_keeps_each_document_once_and_survives_a_torn_append(tmp_path, net):
    from secxfer.ledger.evidence import Verified

    store = LedgerHome(tmp_path)
    docs = [Verified(kind="secxfer/receipt", signer="x", document=None, raw=b'{"n":%d}' % n) for n in range(3)]
    assert store.keep(docs[:2], "2026-10") == 2 and store.keep(docs, "2026-10") == 1
    path = store.evidence_path("2026-10")
    path.write_bytes(path.read_bytes() + b'{"torn')  # a crash in the middle of an append
    assert [raw for _, raw in store.evidence("2026-10")] == [d.raw for d in docs]
    extra = Verified(kind="secxfer/receipt", signer="x", document=None, raw=b'{"n":9}')
    assert store.keep([*docs, extra], "2026-10") == 1
    assert path.read_bytes() == b"".join(d.raw + b"\n" for d in (*docs, extra))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_byte_change_to_a_signed_receipt_is_refused(net, directory, data):
    from secxfer.errors import SecxferError
    from secxfer.ledger.evidence import RECEIPT_KIND, sign_model
    from secxfer.ledger.receipts import Receipt, verify_receipt

    receipt = Receipt(issuer="mun-131016", sender="fed-13", action="open", disposition="accepted",
                      claims_verified=True, period="2026-10", rehearsal=False, package_id="ab" * 16,
                      file_name="2026-10_fed-13_to_mun-131016_abababab.age", encrypted_sha256=bytes(32),
                      rows=RowCounts(1, 0, 2), created=NOW)
    raw = sign_model(RECEIPT_KIND, receipt, net.secrets["mun-131016"])
    assert verify_receipt(raw, directory, now=NOW).document == receipt
    mutated = bytearray(raw)
    position = data.draw(st.integers(0, len(raw) - 1))
    mutated[position] = data.draw(st.integers(0, 255).filter(lambda v: v != raw[position]))
    with pytest.raises(SecxferError):
        verify_receipt(bytes(mutated), directory, now=NOW)


@given(st.lists(st.binary(min_size=32, max_size=32), max_size=70))
def test_a_frontier_grown_leaf_by_leaf_has_the_tree_hash_at_every_size(leaves):
    from secxfer.ledger.tlog import Frontier, prefix_roots, tree_root

    frontier = Frontier()
    assert frontier.root() == tree_root([])
    for count, leaf in enumerate(leaves, 1):
        frontier.add(leaf)
        assert frontier.size == count and frontier.root() == tree_root(leaves[:count])
    assert prefix_roots(leaves, set(range(len(leaves) + 2))) == {s: tree_root(leaves[:s]) for s in range(len(leaves) + 1)}
