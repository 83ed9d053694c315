"""Fuzz targets for the ledger: receipts, reports, aggregates, checkpoints, log lines."""

from __future__ import annotations

from fuzz import fixtures
from fuzz.registry import KIB, each, scratch_file, target


# -- the ledger: receipts, reports and aggregates on return media, logs and checkpoints ----------


def _payload_checks(data: bytes, decoder, kind: str, then=None) -> None:
    """Decode ``data`` as a ledger payload (what a signer's own bytes may hold) and run ``then``."""
    from secxfer.ledger.evidence import MAX_BYTES
    from secxfer.trust.codec import decode_strict

    model = decode_strict(data, decoder, what=kind, max_bytes=MAX_BYTES[kind])
    if then is not None:
        then(model)


@target("receipt", max_len=16 * KIB)
def receipt(data: bytes) -> None:
    """A signed receipt against a ledger network's directory, and a receipt payload."""
    from secxfer.ledger import receipts
    from secxfer.ledger.evidence import RECEIPT_KIND

    directory = fixtures.ledger_world()["directory"]
    each(lambda: receipts.verify_receipt(data, directory, now=fixtures.NOW),
          lambda: _payload_checks(data, receipts._decoder, RECEIPT_KIND))


@target("report", max_len=16 * KIB)
def report(data: bytes) -> None:
    """A signed hop report, and a report payload with its balance checks."""
    from secxfer.ledger import reports
    from secxfer.ledger.evidence import REPORT_KIND

    directory = fixtures.ledger_world()["directory"]
    each(lambda: reports.verify_report(data, directory, now=fixtures.NOW),
          lambda: _payload_checks(data, reports._decoder, REPORT_KIND, reports.balance_problems))


@target("aggregate", max_len=32 * KIB)
def aggregate(data: bytes) -> None:
    """A federation's signed aggregate as central reads it, a sealed return file, an aggregate payload."""
    from secxfer.ledger import aggregate as agg
    from secxfer.ledger.collect import verify_item
    from secxfer.ledger.evidence import AGGREGATE_KIND
    from secxfer.ledger.returns import open_sealed

    world = fixtures.ledger_world()
    central = world["net"].secrets["central"]
    path = scratch_file("return.age", data)
    each(lambda: agg.verify_aggregate(data, world["directory"], me="central", now=fixtures.NOW),
          lambda: verify_item(open_sealed(path, central), world["directory"], now=fixtures.NOW),
          lambda: _payload_checks(data, agg._decoder, AGGREGATE_KIND))


@target("checkpoint", max_len=4 * KIB)
def checkpoint(data: bytes) -> None:
    """A signed log checkpoint and a consistency proof, as carried on media and compared."""
    from secxfer.ledger import checkpoint as cp

    directory = fixtures.ledger_world()["directory"]
    each(lambda: cp.parse_checkpoint(data), lambda: cp.verify_checkpoint(data, directory, now=fixtures.NOW), lambda: cp.parse_proof(data))


@target("oplog", max_len=32 * KIB)
def oplog(data: bytes) -> None:
    """Operations log lines: sequence, hash links, a torn tail."""
    from secxfer.ledger.oplog import check_lines

    cut = data.rfind(b"\n") + 1
    check_lines(data[:cut].split(b"\n")[:-1], data[cut:])
