"""Relay at central and at each federation: verify, re-check consent, split, reseal.

The split keeps every row's bytes: a recipient's data file is the agency's header
followed by exactly its leaves' row groups, sliced from the verified input. Each
output carries the manifests so far plus this relay's own, the recipient's leaves
with their inclusion proofs, and the newest directory. Output package ids derive
from the input's, so a rerun after a crash rewrites the same names and a recipient's
replay defence sees one package, never two.

Rows of a municipality whose 委任状 was withdrawn after sealing are withheld: the
relay's manifest to the next hop lists the code with the reason (so that hop expects
the rest of its scope), its hop report counts the rows, and a federation sends the
municipality nothing at all (docs/format.md §10.6).
"""

from __future__ import annotations

import datetime as dt
import os
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec

from secxfer.chain import media
from secxfer.chain.home import ChainHome
from secxfer.chain.manifest import WITHDRAWN, Manifest, Parent, WithheldCode, derive_package_id
from secxfer.chain.package import ReceivedPackage, WrittenPackage, receive, write_index, write_package, written_from_index
from secxfer.chain.trustlink import current_bundle, newest_bundle
from secxfer.domain.counts import ANNEX_NUMBERS, RowCounts
from secxfer.errors import ConsentError, UsageError

if TYPE_CHECKING:
    from secxfer.trust import Directory, Participant, ParticipantSecret

CONSENT_WITHDRAWN = WITHDRAWN
JST = dt.timezone(dt.timedelta(hours=9))


@dataclass(frozen=True)
class RelayResult:
    relay: str
    period: str
    rehearsal: bool
    received_package: str
    rows_in: RowCounts
    outputs: list[WrittenPackage]
    withheld: dict[str, RowCounts] = field(default_factory=dict)

    @property
    def rows_out(self) -> RowCounts:
        return RowCounts.sum(p.rows for p in self.outputs)


def _targets(directory: Directory, me: Participant, codes: list[str]) -> dict[str, list[int]]:
    """Next-hop recipient id -> positions of the carried leaves it gets."""
    targets: dict[str, list[int]] = defaultdict(list)
    if str(me.role) == "central":
        for fed in directory.by_role("federation"):
            targets[fed.id] = []
        by_pref = {fed.code[:2]: fed.id for fed in directory.by_role("federation")}
        for pos, code in enumerate(codes):
            targets[by_pref[code[:2]]].append(pos)
    else:
        municipalities = {m.code: m.id for m in directory.municipalities_of(me.id)}
        for pos, code in enumerate(codes):
            if code not in municipalities:
                raise ConsentError(f"{code} is not a municipality of {me.id}'s prefecture in the directory")
            targets[municipalities[code]].append(pos)
    return targets


def _consent_gate(directory: Directory, codes: list[str], sealed_on: dt.date, today: dt.date) -> set[str]:
    """Codes to hold back because consent was withdrawn after sealing.

    A code whose consent was not in force when the agency sealed should never have
    been sealed: that is injection, refused outright.
    """
    held = set()
    for code in codes:
        if directory.consent_in_force(code, today):
            continue
        if not directory.consent_in_force(code, sealed_on):
            raise ConsentError(
                f"the package carries rows for {code}, which had no power of attorney (委任状) in force when sealed",
                facts={"wording": "none-at-seal", "code": code},
            )
        held.add(code)
    return held


def _plan(
    directory: Directory, me: Participant, sealed: dt.datetime, codes: list[str], now: dt.datetime
) -> tuple[set[str], dict[str, list[int]]]:
    """The codes held back (consent withdrawn since sealing) and each next-hop recipient's leaf positions."""
    held = _consent_gate(directory, codes, sealed.astimezone(JST).date(), now.astimezone(JST).date())
    return held, _targets(directory, me, codes)


def relay_without_trail(
    package: Path,
    *,
    key: ParticipantSecret,
    home: Path,
    out: Path,
    now: dt.datetime | None = None,
    rng: Callable[[int], bytes] = os.urandom,
    anchor: bytes | None = None,
    observe: Callable[[ReceivedPackage], None] | None = None,
    check_replay: bool = True,
) -> RelayResult:
    """Verify the incoming package and write one package per next-hop recipient under ``out``.

    Internal: the chain's part only; ``secxfer.relay`` adds the receipt, hop report and log.

    Each recipient's package goes to its own medium folder ``out/<me>-to-<recipient>/``.
    ``observe`` is called with the verified package (for bookkeeping such as receipts).
    ``check_replay=False`` is only for completing a run that was interrupted after the
    package was recorded (its outputs are rewritten under the same names).
    """
    now = now or dt.datetime.now(dt.timezone.utc)
    chain_home = ChainHome(home)
    with receive(Path(package), me=key, home=home, now=now, anchor=anchor, check_replay=check_replay) as pkg:
        directory = pkg.directory
        me = directory.participant(key.participant_id)
        if str(me.role) not in ("central", "federation"):
            raise UsageError(f"{me.id!r} is a {me.role}; only central and federations relay",
                             hint="open the package instead", facts={"advice": "use-open"})
        if observe is not None:
            observe(pkg)
        bundle, directory = newest_bundle(home, pkg.bundle(), now)
        codes = [c.leaf.code for c in pkg.leaves]
        held, targets = _plan(directory, me, pkg.chain.origin.created, codes, now)
        withheld = {c.leaf.code: RowCounts.of(c.leaf.rows) for c in pkg.leaves if c.leaf.code in held}
        current = pkg.manifest
        sequences = chain_home.next_sequences(sorted(targets))
        outputs = []
        for recipient, carried in sorted(targets.items()):
            positions = [p for p in carried if codes[p] not in held]
            held_here = sorted(codes[p] for p in carried if codes[p] in held)
            if carried and not positions and str(me.role) == "federation":
                continue  # a municipality whose 委任状 was withdrawn gets nothing, not an empty package
            folder = media.medium_folder(out, me.id, recipient)
            package_id = derive_package_id(current.package_id, recipient)
            manifest = Manifest(
                hop=current.hop + 1,
                package_id=package_id,
                sender=me.id,
                sender_keyid=key.signing_keyid,
                recipient=recipient,
                recipient_keys=(),
                period=current.period,
                sequence=sequences[recipient],
                created=now,
                rehearsal=current.rehearsal,
                directory_version=directory.version,
                parent=Parent(
                    package_id=current.package_id,
                    sender=current.sender,
                    manifest_sha256=pkg.chain.payload_hashes[-1],
                    encrypted_sha256=pkg.sha256,
                ),
                # signed, so the next hop expects exactly the rest of its scope (docs/format.md §10.6)
                withheld=tuple(WithheldCode(code=c, reason=CONSENT_WITHDRAWN) for c in held_here) or msgspec.UNSET,
                files=(),
                leaves_sha256=b"",
            )
            files = {a: [pkg.prefix(a), *pkg.rows(a, positions)] for a in ANNEX_NUMBERS}
            existing = written_from_index(folder, package_id)
            if existing is not None:
                outputs.append(existing)
                continue
            written = write_package(
                folder=folder, sender=key, directory=directory,
                # a municipality gets an excerpt: its entry, its federation's, agency's, central's
                bundle=bundle if str(me.role) == "central" else current_bundle(home, now, only=[recipient])[0],
                previous=pkg.chain.envelopes, manifest=manifest,
                leaves=[pkg.leaves[p] for p in positions], files=files, rng=rng,
            )
            write_index(folder, key, [written.index_entry])
            outputs.append(written)
        rows_in = RowCounts.sum(RowCounts.of(c.leaf.rows) for c in pkg.leaves)
        chain_home.remember_processed(
            package_id=current.package_id, origin=pkg.chain.origin.package_id,
            delivery_id=pkg.chain.commitment.delivery_id, recipient=me.id, sha256=pkg.sha256.hex(), role="relay",
            period=current.period, at=now.isoformat(), out=str(Path(out).resolve()), outputs=len(outputs),
        )
        return RelayResult(
            relay=me.id, period=current.period, rehearsal=current.rehearsal,
            received_package=current.package_id, rows_in=rows_in, outputs=outputs, withheld=withheld,
        )

