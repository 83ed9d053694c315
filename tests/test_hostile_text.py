"""Text signed by another participant never steers the screen it is shown on.

A municipality signs its receipt's ``detail``; a relay signs the file names and the
withheld reasons of its hop report. ``status`` and ``reconcile`` show them, as text,
``--json`` and ``--html``: escape sequences (clear screen, window title), a ``\\r``
that overwrites a line with a forged "RECONCILED", a ``\\n`` that adds one, bidi
overrides, and a 20,000-character detail must all come out as visible, bounded text.
Limits are enforced again when a receipt or report is verified, not only when made.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import msgspec
import pytest

from secxfer.errors import EXIT_INTEGRITY, FormatError, ProvenanceError
from secxfer.safetext import DISPLAY_MAX_CHARS, safe, safe_tree

PERIOD = "2026-10"
CODES = ["131016", "131024"]
NOW = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
FORGED = "RECONCILED: 2026-10 as seen by agency: 58 of 58 municipalities confirmed"
HOSTILE = ("\x1b]0;secxfer: all clear\x07\x1b[2J\x1b[H" + "\r" + FORGED + "\n" + FORGED
           + " \u202edetsiler\u202c \u2066x\u2069 a\u200db \x9b31m \x7f")
RAW_MARKS = ("\x1b", "\x07", "\r", "\u202e", "\u202c", "\u2066", "\u2069", "\u200d", "\x9b", "\x7f")


# -- the one function ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("mun-131016 opened 2026-11-02", "mun-131016 opened 2026-11-02"),
        ("東京都千代田区\u3000千代田", "東京都千代田区\u3000千代田"),
        ("\x1b[2J", "\\x1b[2J"),
        ("\x1b]0;title\x07", "\\x1b]0;title\\x07"),
        ("ok\rRECONCILED", "ok\\rRECONCILED"),
        ("a\nb\tc", "a\\nb\\tc"),
        ("\u202eevil\u202c", "\\u202eevil\\u202c"),
        ("\u2066x\u2069\u200e\u200f", "\\u2066x\\u2069\\u200e\\u200f"),
        ("zero\u200bwidth\u200d\ufeff", "zero\\u200bwidth\\u200d\\ufeff"),
        ("\x9b31m\x85\x7f", "\\x9b31m\\x85\\x7f"),
        ("line\u2028sep", "line\\u2028sep"),
    ],
)
def test_safe_escapes_controls_and_invisible_characters(text, shown):
    assert safe(text) == shown


def test_safe_cuts_overlong_text_and_says_how_much():
    shown = safe("x" * 20_119)
    assert shown == "x" * DISPLAY_MAX_CHARS + f"…(+{20_119 - DISPLAY_MAX_CHARS} chars)"
    assert safe("y" * 10, limit=4) == "yyyy…(+6 chars)" and safe("short", limit=None) == "short"


def test_safe_tree_escapes_every_string_and_stays_json():
    tree = safe_tree({"detail": HOSTILE, "rows": [1, 2], "nested": [{"\x1bkey": "\u202e"}], "ok": True})
    text = json.dumps(tree, ensure_ascii=False)
    assert not any(mark in text for mark in RAW_MARKS)
    assert tree["rows"] == [1, 2] and tree["ok"] is True and tree["nested"] == [{"\\x1bkey": "\\u202e"}]


def test_trust_render_uses_the_same_function():
    from secxfer.trust import render

    assert render.safe is safe


# -- evidence from a small month -------------------------------------------------------


@pytest.fixture(scope="module")
def month(tmp_path_factory):
    """agency seals, central and fed-13 relay, mun-131016 opens; fed-13's home is the viewer."""
    from secxfer.domain.sample import generate_sample
    from secxfer.ledger import recorded
    from secxfer.testing.network import build_network

    root = tmp_path_factory.mktemp("hostile")
    network = build_network(root, insurer_codes=CODES, now=NOW)
    sample = generate_sample(root / "source", period=PERIOD, rows=40, seed=5, insurers=CODES)
    files = {i + 1: Path(f) for i, f in enumerate(sample.files)}
    k, media = network.secrets, root / "media"
    sealed = recorded.seal(annex_files=files, period=PERIOD, key=k["agency"], home=network.home("agency"), out=media,
                           now=NOW)
    central = recorded.relay(sealed.package.path, key=k["central"], home=network.home("central"), out=media, now=NOW)
    (to_fed,) = [o for o in central.outputs if o.recipient == "fed-13"]
    recorded.relay(to_fed.path, key=k["fed-13"], home=network.home("fed-13"), out=media, now=NOW)
    return network


def _fed_report(network, home: Path):
    from secxfer.ledger.evidence import trusted_directory
    from secxfer.ledger.reconcile import load_evidence

    evidence = load_evidence(home, PERIOD, trusted_directory(home, NOW), now=NOW)
    (report,) = [r for r in evidence.reports if r.reporter == "fed-13"]
    return report


def _failure_receipt(network, home: Path, detail: str, **changes):
    from secxfer.ledger.receipts import Receipt

    (output,) = [o for o in _fed_report(network, home).outputs if o.recipient == "mun-131024"]
    receipt = Receipt(issuer="mun-131024", sender="fed-13", action="open", disposition="integrity-failed",
                      detail=detail, claims_verified=False, period=PERIOD, rehearsal=False,
                      package_id=output.package_id, file_name=output.file_name,
                      encrypted_sha256=output.encrypted_sha256, created=NOW)
    return msgspec.structs.replace(receipt, **changes)


def _store_raw(home: Path, raw: bytes) -> None:
    """Put a signed document into a home's evidence as if it had been collected earlier."""
    from secxfer.ledger.store import LedgerHome

    path = LedgerHome(home).evidence_path(PERIOD)
    with open(path, "ab") as handle:
        handle.write(raw + b"\n")


@pytest.fixture
def fed_home(month, tmp_path):
    import shutil

    home = tmp_path / "fed-13"
    shutil.copytree(month.home("fed-13"), home)
    return home


def _signed_receipt(month, home, detail, **changes) -> bytes:
    from secxfer.ledger.evidence import RECEIPT_KIND, sign_model

    return sign_model(RECEIPT_KIND, _failure_receipt(month, home, detail, **changes), month.secrets["mun-131024"])


def test_a_hostile_receipt_detail_is_escaped_in_status_reconcile_json_and_html(month, fed_home, run_cli, tmp_path):
    _store_raw(fed_home, _signed_receipt(month, fed_home, HOSTILE[:300]))
    out, _ = run_cli("status", PERIOD, "--home", fed_home, code=EXIT_INTEGRITY)
    assert not any(mark in out for mark in RAW_MARKS)
    assert "\\x1b]0;secxfer: all clear\\x07\\x1b[2J" in out and "\\r" + FORGED + "\\n" + FORGED in out
    assert not any(line.startswith("RECONCILED") for line in out.splitlines())
    out, err = run_cli("reconcile", PERIOD, "--home", fed_home, code=EXIT_INTEGRITY)
    assert out.startswith("NOT RECONCILED") and not any(mark in out + err for mark in RAW_MARKS)
    assert not any(line.startswith("RECONCILED") for line in (out + err).splitlines())
    out, _ = run_cli("status", PERIOD, "--home", fed_home, "--json", "--html", tmp_path / "status.html",
                     code=EXIT_INTEGRITY)
    assert not any(mark in out for mark in RAW_MARKS)
    document = json.loads(out)
    (problem,) = [p for p in document["problems"] if p["where"] == "mun-131024"]
    assert "\\x1b[2J" in problem["message"] and "\\u202e" in problem["message"]
    page = (tmp_path / "status.html").read_text("utf-8")
    assert not any(mark in page for mark in RAW_MARKS) and "\\x1b[2J" in page


def test_the_same_receipt_raw_would_have_reached_the_screen(month, fed_home):
    """The library keeps the detail as signed (evidence is evidence); only display escapes it."""
    from secxfer.ledger.reconcile import reconcile_home

    _store_raw(fed_home, _signed_receipt(month, fed_home, HOSTILE[:300]))
    rec = reconcile_home(fed_home, PERIOD, now=NOW)
    (problem,) = [p for p in rec.problems if p.where == "mun-131024"]
    assert "\x1b[2J" in problem.message
    from secxfer.cli.messages import reconcile_summary, status_lines
    from secxfer.ledger.status import status

    shown = "\n".join(reconcile_summary(rec) + status_lines(status(fed_home, PERIOD, now=NOW)))
    assert not any(mark in shown for mark in RAW_MARKS)


def test_an_overlong_detail_is_refused_when_the_receipt_is_verified(month, fed_home, run_cli):
    from secxfer.ledger.evidence import trusted_directory
    from secxfer.ledger.receipts import DETAIL_MAX_CHARS, verify_receipt

    raw = _signed_receipt(month, fed_home, "A" * 20_119)
    with pytest.raises(FormatError, match=f"detail has 20119 characters; the limit is {DETAIL_MAX_CHARS}"):
        verify_receipt(raw, trusted_directory(fed_home, NOW), now=NOW)
    _store_raw(fed_home, raw)
    out, _ = run_cli("status", PERIOD, "--home", fed_home, code=EXIT_INTEGRITY)
    assert "invalid-evidence" in out and "detail has 20119 characters" in out and "A" * 400 not in out
    assert max(len(line) for line in out.splitlines()) < 1000


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda r: {"outputs": (msgspec.structs.replace(r.outputs[0], file_name="x\x1b[2J\rRECONCILED.age"),
                                *r.outputs[1:])}, "is not a media-safe name"),
        (lambda r: {"outputs": (msgspec.structs.replace(r.outputs[0], file_name="a" * 20_000 + ".age"),
                                *r.outputs[1:])}, "is not a media-safe name"),
        (lambda r: {"withheld": ({"code": "131024", "reason": "no-consent\x1b[2J", "rows": (0, 0, 0)},)},
         "is not a code and a reason token"),
        (lambda r: {"outputs": (msgspec.structs.replace(r.outputs[0], recipient="mun-\u202e131016"),
                                *r.outputs[1:])}, "is not a participant id"),
    ],
)
def test_hop_report_fields_are_checked_when_verified(month, fed_home, run_cli, change, message):
    from secxfer.ledger.evidence import REPORT_KIND, sign_model, trusted_directory
    from secxfer.ledger.reports import Withheld, verify_report

    report = _fed_report(month, fed_home)
    changes = change(report)
    if "withheld" in changes:
        changes["withheld"] = tuple(Withheld(**w) for w in changes["withheld"])
    forged = msgspec.structs.replace(report, created=NOW + dt.timedelta(seconds=1), **changes)
    raw = sign_model(REPORT_KIND, forged, month.secrets["fed-13"])
    with pytest.raises(ProvenanceError, match=message):
        verify_report(raw, trusted_directory(fed_home, NOW), now=NOW)
    _store_raw(fed_home, raw)
    out, _ = run_cli("status", PERIOD, "--home", fed_home, code=EXIT_INTEGRITY)
    assert "invalid-evidence" in out and not any(mark in out for mark in RAW_MARKS)


def test_genuine_reports_and_receipts_still_verify(month, fed_home):
    from secxfer.ledger.reports import field_problem

    assert field_problem(_fed_report(month, fed_home)) is None


def test_an_error_line_quoting_evidence_is_escaped(month, fed_home, run_cli):
    """``reconcile`` exits with the first contradiction in its error line: escaped there too."""
    from secxfer.errors import EXIT_INTEGRITY

    _store_raw(fed_home, _signed_receipt(month, fed_home, "\x1b[2J\u202e" + "B" * 200))
    _, err = run_cli("reconcile", PERIOD, "--home", fed_home, code=EXIT_INTEGRITY)
    assert "\x1b" not in err and "\u202e" not in err and "\\x1b[2J\\u202e" in err
    assert len(err.splitlines()) == 1


def test_a_return_file_with_escape_sequences_in_its_name_is_refused_escaped(month, fed_home, run_cli, tmp_path):
    from secxfer.errors import EXIT_INTEGRITY

    folder = tmp_path / "returns" / "mun-131024-to-fed-13" / "receipts"
    folder.mkdir(parents=True)
    (folder / "\x1b]0;all clear\x07\x1b[2J\u202e.receipt.age").write_bytes(b"not an age file")
    out, _ = run_cli("receipts", "collect", tmp_path / "returns", "--key", month.key_path("fed-13"),
                     "--home", fed_home, code=EXIT_INTEGRITY)
    assert "1 refused" in out and "\\x1b]0;all clear\\x07\\x1b[2J\\u202e.receipt.age" in out
    assert not any(mark in out for mark in RAW_MARKS)
