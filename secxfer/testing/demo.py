"""The national demo on TEST keys, never for real data: one month through the whole chain,
built only from public functions.

Layout of the work folder (see README):
    keys/<id>.key, keys/<id>.card, keys/root.json   TEST keys of every participant
    key-directory.json                              the trust bundle (roots + signed directory)
    homes/<id>/                                     each participant's installation
    source/                                         the generated annex CSVs
    media/<from>-to-<to>/                           one medium per hop and recipient
    returns/<from>-to-<to>/receipts/                return media: receipts and aggregates going up
    opened/<id>/                                    what each municipality opened
    demo-summary.json                               period, reconciled counts, reconciliation
    status.txt, status.json, status.html            the agency's status table for the period (html: Japanese page)
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec

from secxfer.errors import OutputExistsError, UsageError

if TYPE_CHECKING:
    from secxfer.testing.network import Network

OPERATOR = "demo-operator"
SHOWCASE = ("131016", "141003", "011002", "012131", "271004", "401307")
NO_CONSENT_SHARE = 0.03


@dataclass(frozen=True)
class DemoNote:
    """One progress note: a stage name and its numbers, so a front end can word it in its own
    language; ``str()`` is the English line."""

    stage: str
    values: dict

    def __str__(self) -> str:
        return NOTE_ENGLISH[self.stage].format(**self.values)


NOTE_ENGLISH = {
    "keys": "keys: generating TEST keys for {municipalities} municipalities, 47 federations, central, agency, 3 roots",
    "keys_pq": "keys: generating post-quantum hybrid TEST keys for {municipalities} municipalities, 47 federations, central, agency, 3 roots",
    "data": "data: generating {rows} rows for {period}",
    "seal": "seal: {sealed} rows sealed, {withheld} withheld (no consent)",
    "relay_central": "relay central: {packages} federation packages",
    "relay_open": "relay+open {done}/{total}: {federation} → {municipalities} municipalities",
    "receipts_start": "receipts: every federation collects its municipalities' receipts and forwards them to central",
    "receipts_central": "receipts: central kept {documents} documents and forwarded one aggregate to the agency",
}


@dataclass
class DemoResult:
    workdir: Path
    summary: dict
    seconds: float
    status: object = None  # the agency's secxfer.ledger.status.Status for the period (a front end renders it)


def previous_month(today: dt.date) -> str:
    first = today.replace(day=1) - dt.timedelta(days=1)
    return f"{first.year:04d}-{first.month:02d}"


# The officer's Excel workbook costs ~35 ms an open; the national run (1,741 insurers)
# leaves it out so it stays a measure of the chain, a smaller run writes one each.
WORKBOOKS_UP_TO = 100


def choose_municipalities(count: int | None, seed: int) -> tuple[list[str], list[str]]:
    """Insurer codes for the run and those among them without consent (委任状)."""
    from secxfer.domain.municipalities import insurers

    every = [b.code for b in insurers()]
    rnd = random.Random(seed)
    if count is None or count >= len(every):
        chosen = every
    else:
        if count < 1:
            raise UsageError("the demo needs at least one municipality", hint="ask for 1 or more, or for all of them",
                             facts={"advice": "demo-municipalities", "count": str(count)})
        showcase = [c for c in SHOWCASE if c in every][:count]
        rest = rnd.sample([c for c in every if c not in showcase], count - len(showcase))
        chosen = sorted(showcase + rest)
    candidates = [c for c in chosen if c not in SHOWCASE[:2]]
    withheld = sorted(rnd.sample(candidates, max(1, round(len(chosen) * NO_CONSENT_SHARE)))) if candidates else []
    return chosen, withheld


def run_demo(
    workdir: Path,
    *,
    rows: int = 2000,
    municipalities: int | None = 60,
    seed: int = 7,
    period: str | None = None,
    rehearsal: bool = False,
    progress: Callable[[DemoNote], None] | None = None,
    pq: bool = False,
    step: Callable[[int, int, str], None] | None = None,
) -> DemoResult:
    """Run seal → relay (central, every federation) → open (every municipality) on test keys,
    then return receipts up the chain and reconcile the period at the agency.

    ``pq``: every participant has a post-quantum hybrid key (ML-KEM-768 + X25519) and
    every package and receipt is sealed to it (stock age 1.1.1 cannot open these)."""
    from secxfer.domain.period import tokyo_today
    from secxfer.ledger.recorded import open_package, relay, seal
    from secxfer.domain.sample import generate_sample
    from secxfer.testing.network import build_network

    say = progress or (lambda message: None)
    started = time.perf_counter()
    workdir = Path(workdir)
    if workdir.exists() and any(workdir.iterdir()):
        raise OutputExistsError(f"{str(workdir)!r} is not empty", hint="choose a new work folder or remove the old one",
                                facts={"advice": "demo-workdir", "path": str(workdir)})
    workdir.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    period = period or previous_month(tokyo_today())
    codes, no_consent = choose_municipalities(municipalities, seed)

    say(DemoNote("keys_pq" if pq else "keys", {"municipalities": len(codes)}))
    network = build_network(workdir, insurer_codes=codes, without_consent=no_consent, seed=seed, now=now, pq=pq)
    (workdir / "key-directory.json").write_bytes(network.bundle)

    say(DemoNote("data", {"rows": rows, "period": period}))
    sample = generate_sample(workdir / "source", period=period, rows=rows, seed=seed, insurers=codes)
    files = {i + 1: Path(f) for i, f in enumerate(sample.files)}

    def key(pid: str):
        return network.secrets[pid]

    media, returns = workdir / "media", workdir / "returns"
    sealed = seal(annex_files=files, period=period, key=key("agency"), home=network.home("agency"),
                  out=media, rehearsal=rehearsal, now=now, operator=OPERATOR)
    say(DemoNote("seal", {"sealed": sum(sealed.rows_sealed), "withheld": sealed.withheld_rows}))
    central = relay(sealed.package.path, key=key("central"), home=network.home("central"), out=media, now=now,
                    operator=OPERATOR)
    say(DemoNote("relay_central", {"packages": len(central.outputs)}))

    per_federation: dict[str, int] = {}
    per_municipality: dict[str, int] = {}
    opened_rows: dict[str, int] = {}
    relayed_withheld: dict[str, int] = {}
    packages = 1 + len(central.outputs)
    for n, fed_package in enumerate(central.outputs, 1):
        result = relay(fed_package.path, key=key(fed_package.recipient), home=network.home(fed_package.recipient),
                       out=media, now=now, operator=OPERATOR)
        per_federation[fed_package.recipient] = sum(fed_package.rows)
        relayed_withheld.update({c: sum(r) for c, r in result.withheld.items()})
        packages += len(result.outputs)
        for out in result.outputs:
            pid = out.recipient
            opened = open_package(out.path, key=key(pid), home=network.home(pid), out=workdir / "opened" / pid, now=now,
                                  operator=OPERATOR, receipts_out=returns, workbook=len(codes) <= WORKBOOKS_UP_TO)
            per_municipality[pid] = sum(out.rows)
            opened_rows[pid] = sum(opened.rows)
        if step is not None:  # counted progress for a bar: federations done of all
            step(n, len(central.outputs), fed_package.recipient)
        else:
            say(DemoNote("relay_open", {"done": n, "total": len(central.outputs), "federation": fed_package.recipient,
                                         "municipalities": len(result.outputs)}))

    withheld_per_code = {code: sum(r) for code, r in sealed.withheld.items()}
    withheld_per_code.update(relayed_withheld)
    total_opened = sum(opened_rows.values())
    total_withheld = sum(withheld_per_code.values())
    rows_read = sum(sealed.rows_read)
    summary = {
        "period": sealed.period,
        "rehearsal": rehearsal,
        "encryption": "mlkem768x25519" if pq else "x25519",
        "participants": {"municipalities": len(codes), "without_consent": no_consent, "federations": 47},
        "rows_read": rows_read,
        "rows_sealed": sum(sealed.rows_sealed),
        "rows_withheld": total_withheld,
        "withheld_per_code": dict(sorted(withheld_per_code.items())),
        "rows_per_federation": dict(sorted(per_federation.items())),
        "rows_per_municipality": dict(sorted(per_municipality.items())),
        "rows_opened": total_opened,
        "municipalities_opened": len(opened_rows),
        "packages": packages,
        "reconciled": rows_read == total_opened + total_withheld,
    }
    say(DemoNote("receipts_start", {}))
    summary["reconciliation"], view = return_receipts(network, period=sealed.period, returns=returns, now=now, say=say)
    (workdir / "demo-summary.json").write_bytes(msgspec.json.format(msgspec.json.encode(summary), indent=2) + b"\n")
    if not summary["reconciled"]:
        from secxfer.errors import ProvenanceError

        raise ProvenanceError(f"demo does not reconcile: read {rows_read}, opened {total_opened}, withheld {total_withheld}")
    if not summary["reconciliation"]["complete"]:
        from secxfer.ledger.errors import ReconciliationError

        raise ReconciliationError(f"the agency cannot reconcile the demo: {summary['reconciliation']['problems'][:3]}")
    return DemoResult(workdir=workdir, summary=summary, seconds=time.perf_counter() - started, status=view)


def return_receipts(network: Network, *, period: str, returns: Path, now: dt.datetime,
                    say: Callable[[DemoNote], None]) -> tuple[dict, object]:
    """Federations → central → agency: collect and forward receipts; reconcile at the agency.

    Writes the agency's status table to ``status.txt`` / ``status.json`` and returns the
    summary's ``reconciliation`` section and the agency's status.
    """
    from secxfer.ledger.aggregate import forward
    from secxfer.ledger.collect import collect
    from secxfer.ledger.status import status
    from secxfer.report.status_page import write_status_page

    refused: list[str] = []
    collected = 0
    for pid in sorted(p for p in network.secrets if p.startswith("fed-")):
        result = collect(returns, key=network.secrets[pid], home=network.home(pid), now=now, operator=OPERATOR)
        collected += result.stored
        refused += result.rejected
        forward(period, key=network.secrets[pid], home=network.home(pid), out=returns, now=now, operator=OPERATOR)
    result = collect(returns, key=network.secrets["central"], home=network.home("central"), now=now, operator=OPERATOR)
    refused += result.rejected
    forward(period, key=network.secrets["central"], home=network.home("central"), out=returns, now=now,
            operator=OPERATOR)
    say(DemoNote("receipts_central", {"documents": result.stored}))
    result = collect(returns, key=network.secrets["agency"], home=network.home("agency"), now=now, operator=OPERATOR)
    refused += result.rejected
    view = status(network.home("agency"), period, now=now)
    from secxfer.safetext import safe_tree

    document = safe_tree(view.to_json())  # as `secxfer status --json` prints it
    (network.workdir / "status.json").write_bytes(msgspec.json.format(msgspec.json.encode(document), indent=2) + b"\n")
    (network.workdir / "status.txt").write_text("\n".join(view.lines()) + "\n", encoding="utf-8")
    write_status_page(view, network.workdir / "status.html")
    rec = view.reconciliation
    return {
        "viewer": "agency",
        "complete": view.complete,
        "delivery_id": rec.delivery_id,
        "deadline": document["deadline"],
        "days_left": document["days_left"],
        "municipalities_confirmed": rec.count_confirmed(),
        "municipalities": len(rec.municipalities),
        "states": document["counts"],
        "documents_kept_by_agency": result.stored,
        "receipts_kept_by_federations": collected,
        "refused": refused,
        "problems": document["problems"],
    }, view
