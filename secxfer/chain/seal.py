"""Seal at the agency: validate, apply the consent gate, commit, encrypt for central.

Rows for municipalities without a power of attorney (委任状) in force are withheld
here and only counted; they never enter a package. Every covered municipality gets
a leaf in the commitment, with zero rows when it has none this period.
"""

from __future__ import annotations

import datetime as dt
import os
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from secxfer.chain import media
from secxfer.chain.datacheck import Positional, Span
from secxfer.chain.home import ChainHome
from secxfer.chain.manifest import Commitment, Manifest
from secxfer.chain.package import WrittenPackage, write_index, write_package
from secxfer.chain.provenance import SALT_BYTES, Leaf, build_tree, leaf_hash
from secxfer.chain.spool import RowSpool
from secxfer.chain.trustlink import current_bundle
from secxfer.domain.counts import ANNEX_NUMBERS, RowCounts
from secxfer.errors import InputRejectedError, OutputExistsError, UsageError

if TYPE_CHECKING:
    from secxfer.domain.annex import AnnexReading
    from secxfer.domain.period import Period
    from secxfer.trust import Directory, ParticipantSecret

NEWLINE_NAMES = {b"\r\n": "crlf", b"\n": "lf"}
NO_CONSENT = "no-consent"


@dataclass(frozen=True)
class SealResult:
    package: WrittenPackage
    period: str
    rehearsal: bool
    delivery_id: str
    rows_read: RowCounts
    rows_sealed: RowCounts
    covered: int
    withheld: dict[str, RowCounts] = field(default_factory=dict)  # code -> rows per annex
    per_insurer: dict[str, RowCounts] = field(default_factory=dict)
    leaf_sha256: dict[str, bytes] = field(default_factory=dict)  # code -> leaf hash in the commitment
    merkle_root: bytes = b""

    @property
    def withheld_rows(self) -> int:
        return sum(v.total for v in self.withheld.values())


def _read_all(
    annex_files: Mapping[int, Path], period: Period, profile: str, spools: Mapping[int, RowSpool]
) -> dict[int, AnnexReading]:
    from secxfer.domain.validate import read_annex_streamed

    if tuple(sorted(annex_files)) != ANNEX_NUMBERS:
        raise UsageError("seal needs all three annex files (別紙1, 別紙2, 別紙3); send a header-only file for an empty annex")
    readings = {}
    problems = []
    for annex, path in sorted(annex_files.items()):
        with open(path, "rb") as handle:
            reading = read_annex_streamed(handle, annex=annex, period=period, profile=profile, source=str(path),
                                          on_row=spools[annex].add)
        readings[annex] = reading
        problems += [p for p in reading.problems if p.severity == "error"]
    if problems:
        raise SealRejectedError(tuple(problems))
    return readings


class SealRejectedError(InputRejectedError):
    """The annex files have errors, so nothing was sealed; ``problems`` lists every one.

    The message names the first three; a caller shows ``problems`` in full (each with
    file, line and column, as ``validate`` prints them).
    """

    default_hint = "correct the listed rows at the source and seal again (validating checks a file alone)"

    def __init__(self, problems: tuple) -> None:
        shown = "; ".join(str(p) for p in problems[:3])
        super().__init__(f"{len(problems)} problem(s) in the annex files, nothing was sealed: {shown}"
                         + (" …" if len(problems) > 3 else ""), facts={"count": str(len(problems))})
        self.problems = problems


def seal_without_trail(
    *,
    annex_files: Mapping[int, Path],
    period: str,
    key: ParticipantSecret,
    home: Path,
    out: Path,
    rehearsal: bool = False,
    profile: str = "default",
    now: dt.datetime | None = None,
    rng: Callable[[int], bytes] = os.urandom,
    anchor: bytes | None = None,
    again: bool = False,
) -> SealResult:
    """Validate the month's three annex CSVs and seal them into one package for central.

    Internal: the chain's part only; ``secxfer.seal`` adds the hop report and the log.

    Refuses (InputRejectedError, exit 4) if any row is rejected; nothing is written then.
    The package lands in ``out/agency-to-central/`` with its outer signature and index.
    Refuses (OutputExistsError) when that medium already holds a complete package for
    the period, unless ``again``: a rerun after a crash never makes a second delivery.
    """
    from secxfer.domain.period import parse_period

    now = now or dt.datetime.now(dt.timezone.utc)
    the_period = parse_period(period) if isinstance(period, str) else period
    bundle, directory = current_bundle(home, now, anchor=anchor)
    me = directory.participant(key.participant_id)
    if str(me.role) != "agency":
        raise UsageError(f"{key.participant_id!r} is a {me.role}; only the agency seals", hint="relay or open instead")
    # Accepted rows go to scratch files in the home folder as they are read, then regrouped
    # per insurer into a second set: memory does not grow with the month (chain/spool.py).
    scratch = ChainHome(home).scratch_files(2 * len(ANNEX_NUMBERS))
    spools = dict(zip(ANNEX_NUMBERS, map(RowSpool, scratch[: len(ANNEX_NUMBERS)]), strict=True))
    grouped = dict(zip(ANNEX_NUMBERS, scratch[len(ANNEX_NUMBERS) :], strict=True))
    try:
        readings = _read_all(annex_files, the_period, profile, spools)
        return _seal_read(readings, spools, grouped, the_period=the_period, directory=directory, bundle=bundle,
                          key=key, home=home, out=out, rehearsal=rehearsal, profile=profile, now=now, rng=rng,
                          again=again)
    finally:
        for handle in scratch:
            handle.close()


def _seal_read(
    readings: dict[int, AnnexReading], spools: Mapping[int, RowSpool], grouped: Mapping[int, BinaryIO], *,
    the_period: Period, directory: Directory, bundle: bytes, key: ParticipantSecret, home: Path, out: Path,
    rehearsal: bool, profile: str, now: dt.datetime, rng: Callable[[int], bytes], again: bool,
) -> SealResult:
    today = now.astimezone(dt.timezone(dt.timedelta(hours=9))).date()
    covered = sorted(p.code for p in directory.covered_municipalities(today))
    covered_set = set(covered)

    withheld: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for annex, spool in spools.items():
        for code, count in spool.counts().items():
            if code not in covered_set:
                withheld[code][annex - 1] += count

    newlines = tuple(reading.newline for _, reading in sorted(readings.items()))
    groups = {a: spools[a].regroup(covered, newlines[a - 1], grouped[a]) for a in ANNEX_NUMBERS}
    leaves = [
        Leaf(code=code, salt=rng(SALT_BYTES), rows=tuple(groups[a][index][0] for a in ANNEX_NUMBERS),
             rows_sha256=tuple(groups[a][index][1] for a in ANNEX_NUMBERS))
        for index, code in enumerate(covered)
    ]
    root, carried = build_tree(leaves)

    prefixes = tuple(
        reading.bom + ((reading.header + reading.newline) if reading.header is not None else b"")
        for _, reading in sorted(readings.items())
    )
    commitment = Commitment(
        delivery_id=rng(16).hex(),
        profile=profile,
        newlines=tuple(NEWLINE_NAMES[n] for n in newlines),
        prefixes=prefixes,
        total_rows=RowCounts.of(sum(count for count, _ in groups[a]) for a in ANNEX_NUMBERS),
        covered=tuple(covered),
        merkle_root=root,
    )
    central = directory.by_role("central")
    if len(central) != 1:
        raise UsageError("the directory must list exactly one central association")
    recipient = central[0].id
    folder = media.medium_folder(out, key.participant_id, recipient)
    prefix = media.package_name_prefix(the_period.slug, key.participant_id, recipient, rehearsal)
    sealed = media.complete_packages(folder, prefix)
    if sealed and not again:  # e.g. a rerun after a crash that came after the package was complete
        raise OutputExistsError(
            f"{str(folder)!r} already holds {sealed[0]!r}, sealed for {the_period.label}",
            hint="deliver that package; seal a second one for the same period only on purpose, saying so",
            facts={"wording": "sealed-already", "advice": "seal-again", "folder": str(folder), "package": sealed[0], "period": the_period.label},
        )
    media.clear_interrupted(folder, prefix)  # what a crash before the index was written left
    sequence = ChainHome(home).next_sequences([recipient])[recipient]
    manifest = Manifest(
        hop=0,
        package_id=rng(16).hex(),
        sender=key.participant_id,
        sender_keyid=key.signing_keyid,
        recipient=recipient,
        recipient_keys=(),
        period=the_period.label,
        sequence=sequence,
        created=now,
        rehearsal=rehearsal,
        directory_version=directory.version,
        commitment=commitment,
        files=(),
        leaves_sha256=b"",
    )
    files: dict[int, list] = {}
    for a in ANNEX_NUMBERS:
        grouped[a].flush()
        size = grouped[a].seek(0, os.SEEK_END)
        files[a] = [prefixes[a - 1]] + ([Span(Positional(grouped[a]), 0, size)] if size else [])
    written = write_package(
        folder=folder, sender=key, directory=directory, bundle=bundle, previous=(),
        manifest=manifest, leaves=carried, files=files, rng=rng,
    )
    write_index(folder, key, [written.index_entry])
    return SealResult(
        package=written,
        period=the_period.label,
        rehearsal=rehearsal,
        delivery_id=commitment.delivery_id,
        rows_read=RowCounts.of(r.rows_read for _, r in sorted(readings.items())),
        rows_sealed=commitment.total_rows,
        covered=len(covered),
        withheld={k: RowCounts.of(v) for k, v in sorted(withheld.items())},
        per_insurer={leaf.code: RowCounts.of(leaf.rows) for leaf in leaves},
        leaf_sha256={leaf.code: leaf_hash(leaf) for leaf in leaves},
        merkle_root=root,
    )
