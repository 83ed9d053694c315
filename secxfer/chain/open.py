"""Open at the municipality: verify everything back to the agency, then write the annexes.

Outputs are written into a temporary folder beside ``out`` and renamed into place
only after every check passed, so ``out`` either holds the complete, verified
annexes or does not exist. Rows keep their original bytes unless ``utf8`` asks for
conversion, which happens only after verification.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import secrets
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from secxfer.chain.home import ChainHome
from secxfer.chain.identity import Identified, PackageIdentity, received_identity
from secxfer.chain.package import ReceivedPackage, receive
from secxfer.chain.verify import ANNEX_FILES
from secxfer.errors import NotFoundError, OutputExistsError, UsageError
from secxfer.chain.staging import HOLDER_PREFIX, noted
from secxfer.fsutil import binary, fsync_dir, rename_into_place

if TYPE_CHECKING:
    from secxfer.trust import Participant, ParticipantSecret


@dataclass(frozen=True)
class OpenResult(Identified):
    identity: PackageIdentity  # the package opened (its recipient is this municipality)
    purpose: str
    use_limits: str
    files: tuple[Path, ...]
    chain: tuple[str, ...]  # sender of each hop, agency first
    outer_signature_checked: bool
    directory_version: int
    origin_package_id: str = ""  # the delivery: the agency's package id (hop 0), as the replay record keys it
    delivery_id: str = ""  # the agency's commitment's delivery id
    sha256: tuple[bytes, ...] = ()  # of each file in ``files``, as written (recorded for purge)


def _to_utf8(data: bytes) -> bytes:
    if data.startswith(b"\xef\xbb\xbf"):
        return data
    return b"\xef\xbb\xbf" + data.decode("cp932").encode("utf-8")


def _staging_holder(out: Path) -> Path:
    """The folder beside ``out`` that holds ``out``'s staging folders (and nothing else).

    Its name depends on ``out`` alone, so leftovers of a killed run are found by
    looking at one path, not by listing ``out``'s parent (which may hold every
    municipality's output); each run still stages under its own random name inside it.
    """
    return out.parent / f"{HOLDER_PREFIX}{out.name}"


def _prepare_out(out: Path, outputs: dict[str, bytes]) -> bool:
    """Make way for ``outputs`` in ``out``; True if ``out`` already holds exactly them.

    A run killed after its outputs were in place but before it recorded the package as
    opened left them complete (they appear in one rename); its rerun only records. A
    run killed earlier left a staging folder with plaintext: that goes now.
    """
    holder = _staging_holder(out)
    if holder.is_symlink() or holder.is_file():
        holder.unlink()  # never stage through a link planted beside the output
    elif holder.is_dir():
        shutil.rmtree(holder)
    if out.exists():
        if out.is_dir() and not out.is_symlink() and any(out.iterdir()):
            present = {p.name: p for p in out.iterdir()}
            if present.keys() == outputs.keys() and all(
                p.is_file() and not p.is_symlink() and p.read_bytes() == outputs[n] for n, p in present.items()
            ):
                return True
        if not out.is_dir() or any(out.iterdir()):
            raise OutputExistsError(f"{str(out)!r} exists and is not an empty folder",
                                    facts={"wording": "not-empty", "path": str(out)})
        out.rmdir()
    out.parent.mkdir(parents=True, exist_ok=True)
    return False


def _write_staged(out: Path, outputs: dict[str, bytes], home: Path) -> None:
    """Write ``outputs`` into a private staging folder, then rename it to ``out`` in one step.

    No file in the staging folder is ever under a final name, so each is written in
    place and fsynced, and the folder is fsynced once before the rename (not once per
    file): ``out`` appears only with every file complete and durable. The staging
    folder is noted in ``home`` meanwhile, so a killed run's leftover is found and
    removed by the next run (secxfer.chain.staging).
    """
    holder = _staging_holder(out)
    holder.mkdir(mode=0o700, exist_ok=True)
    staging = holder / secrets.token_hex(6)
    with noted(home, staging):
        _fill_and_rename(staging, out, outputs, holder)


def _fill_and_rename(staging: Path, out: Path, outputs: dict[str, bytes], holder: Path) -> None:
    staging.mkdir(mode=0o700)
    try:
        for name, data in outputs.items():
            fd = os.open(staging / name, binary(os.O_WRONLY | os.O_CREAT | os.O_EXCL), 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
        fsync_dir(staging)
        rename_into_place(staging, out)  # Windows: a scanner may hold a file inside for a moment
        fsync_dir(out.parent)
        fsync_dir(holder)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            shutil.rmtree(staging)
        raise
    finally:
        with contextlib.suppress(OSError):
            holder.rmdir()  # only when empty: a concurrent run of the same output keeps its own


def _refuse_formula_cells(outputs: dict[str, bytes]) -> None:
    """Check again, before anything is written, that no cell would run as a spreadsheet
    formula: the agency validated its rows, but a signature proves who sent data, not that
    it is safe to open (secxfer.domain.formula, the same rule as ``validate``)."""
    from secxfer.domain.errors import FormulaCellError
    from secxfer.domain.formula import formula_cells

    found = [(name, line, column, problem) for name, data in outputs.items()
             for line, column, problem in formula_cells(data)]
    if found:
        name, line, column, problem = found[0]
        more = f" (and {len(found) - 1} more such cell(s))" if len(found) > 1 else ""
        raise FormulaCellError(f"{name}:{line}:{column}: {problem}{more}; nothing was written",
                               cells=tuple((n, line_no, col) for n, line_no, col, _ in found))


def annex_output_name(period: str, recipient: str, annex: int) -> str:
    """``2026-10_mun-131016_annex1.csv``: period and municipality in the name of every output,
    so a file copied out of its folder still says what it is (FAT/Windows-safe)."""
    from secxfer.domain.period import parse_period

    return f"{parse_period(period).slug}_{recipient}_annex{annex}.csv"


def _officer_workbook(pkg: ReceivedPackage, me: Participant) -> dict[str, bytes]:
    """The officer's workbook, named with period and municipality, from the verified CSVs."""
    from secxfer.domain.workbook import AnnexFile, WorkbookFacts, build_workbook, workbook_name

    manifest = pkg.manifest
    facts = WorkbookFacts(period=manifest.period, recipient_id=me.id, recipient_name=me.name,
                          profile=pkg.chain.commitment.profile, rehearsal=manifest.rehearsal)
    files = [AnnexFile(annex, pkg.data(name)) for annex, name in ANNEX_FILES.items()]
    return {workbook_name(manifest.period, me.id, me.name): build_workbook(files, facts)}


def open_without_trail(
    package: Path,
    *,
    key: ParticipantSecret,
    home: Path,
    out: Path,
    utf8: bool = False,
    now: dt.datetime | None = None,
    anchor: bytes | None = None,
    observe: Callable[[ReceivedPackage], None] | None = None,
    check_replay: bool = True,
    workbook: bool = True,
) -> OpenResult:
    """Verify ``package`` for the municipality holding ``key`` and write its annexes to ``out``.

    Internal: the chain's part only; ``secxfer.open_package`` adds the receipt and the log.

    With ``workbook`` (the default) an Excel workbook for the officer is written beside
    the exact CSVs, in the same single step (``secxfer.domain.workbook``).

    Raises an IntegrityError subclass (exit 3) and writes nothing if any signature,
    proof, row, recipient binding or the replay check fails, and FormulaCellError
    (exit 4) if a row holds a cell a spreadsheet would run as a formula. ``observe`` is called with
    the verified package before anything is written (for bookkeeping such as receipts).
    ``check_replay=False`` is only for completing a run interrupted after the package was
    recorded; the outputs it left are complete and are kept as they are.
    """
    now = now or dt.datetime.now(dt.timezone.utc)
    package, out = Path(package), Path(out)
    if not package.is_file():
        raise NotFoundError(f"no package at {str(package)!r}")
    with receive(package, me=key, home=home, now=now, anchor=anchor, check_replay=check_replay) as pkg:
        me = pkg.directory.participant(key.participant_id)
        if str(me.role) != "municipality":
            raise UsageError(f"{me.id!r} is a {me.role}; only a municipality opens a package",
                             hint="relay the package to pass it on", facts={"advice": "use-relay"})
        if observe is not None:
            observe(pkg)
        outer_checked = pkg.outer_checked
        outputs = {}
        for annex, name in ANNEX_FILES.items():
            data = pkg.data(name)
            outputs[annex_output_name(pkg.manifest.period, me.id, annex)] = _to_utf8(data) if utf8 else data
        _refuse_formula_cells(outputs)
        if workbook:
            outputs.update(_officer_workbook(pkg, me))
        written = [out / name for name in outputs]
        if not _prepare_out(out, outputs):
            _write_staged(out, outputs, Path(home))
        manifest = pkg.manifest
        ChainHome(home).remember_processed(
            package_id=manifest.package_id, origin=pkg.chain.origin.package_id,
            delivery_id=pkg.chain.commitment.delivery_id, recipient=me.id, sha256=pkg.sha256.hex(), role="open",
            period=manifest.period, at=now.isoformat(), out=str(out.resolve()),
        )
        return OpenResult(
            identity=received_identity(pkg),
            purpose=manifest.purpose,
            use_limits=manifest.use_limits,
            files=tuple(written),
            chain=tuple(m.sender for m in pkg.chain.manifests),
            outer_signature_checked=outer_checked,
            directory_version=pkg.directory.version,
            origin_package_id=pkg.chain.origin.package_id,
            delivery_id=pkg.chain.commitment.delivery_id,
            sha256=tuple(hashlib.sha256(data).digest() for data in outputs.values()),
        )
