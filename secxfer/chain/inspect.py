"""Checks that need no secret key: one package's outer signature, a whole medium, public facts."""

from __future__ import annotations

import datetime as dt
import hmac
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from secxfer.chain import media
from secxfer.chain.binding import index_entry_agrees
from secxfer.chain.manifest import OUTER_KIND, OuterStatement, decode_outer
from secxfer.chain.package import verify_outer
from secxfer.chain.trustlink import directory_for_checks
from secxfer.errors import IntegrityError, NotFoundError, OperationalError, SecxferError
from secxfer.limits import MEDIA_INDEX_MAX_BYTES, OUTER_MAX_BYTES
from secxfer.notices import Notice
from secxfer.trust.signing import SignedDocument

if TYPE_CHECKING:
    from secxfer.trust import Directory


def verify_package(
    package: Path, *, home: Path, directory_file: Path | None = None, root_file: Path | None = None,
    now: dt.datetime | None = None,
) -> OuterStatement:
    """Verify ``package`` against its outer signature with the directory only.

    Needs no secret key and no prepared home: ``root_file`` and ``directory_file``
    (a trust bundle or a signed key directory) are enough (see
    :func:`secxfer.chain.trustlink.directory_for_checks` for where trust starts).

    Raises IntegrityError (exit 3) if the file was truncated, altered or renamed, or
    the signature is not by the sender's current key, or it is a link (never followed);
    FormatError if it is not a regular file (never opened).
    """
    package = Path(package)
    if _lstat_kind(package) == "missing":
        raise NotFoundError(f"no package file at {str(package)!r}")
    now = now or dt.datetime.now(dt.timezone.utc)
    directory = directory_for_checks(home, directory_file, now, root_file=root_file)
    return verify_outer(package, directory, now=now)


@dataclass(frozen=True)
class PackageFacts:
    """What a package file shows without a key or a directory. **Nothing here is verified**:
    the outer statement is decoded from the ``.sig`` beside the file, which anyone could
    have written, so a front end shows its text escaped (:func:`secxfer.safetext.safe`)
    and says so."""

    file_name: str
    size: int
    stanza_types: tuple[str, ...]  # the age header's recipient stanzas, in order
    outer: OuterStatement | None  # decoded, NOT verified
    outer_unavailable: SecxferError | None = None  # why there is no outer statement to show


def inspect_package(package: Path) -> PackageFacts:
    """Public, unverified facts about a package: its age header and its outer statement."""
    from secxfer.age import read_header

    package = Path(package)
    with media.open_package_file(package) as handle:  # no link followed, no pipe opened
        size = os.fstat(handle.fileno()).st_size
        header = read_header(handle)
    outer, unavailable = None, None
    try:
        doc = SignedDocument.decode(media.read_sidecar(package), kind=OUTER_KIND, max_bytes=OUTER_MAX_BYTES)
        outer = decode_outer(doc.payload)
    except SecxferError as error:
        unavailable = error
    return PackageFacts(file_name=package.name, size=size, stanza_types=tuple(s.type for s in header.stanzas),
                        outer=outer, outer_unavailable=unavailable)


# What a media check found, one kind per wording (a front end words them in its language;
# ``where`` names the folder or file, ``detail`` is the library's reason for ``invalid``
# and the signed name for ``renamed``).
FINDING_ENGLISH = {
    "ok": "ok   {where} ({sender} -> {recipient})",
    "renamed": "RENAMED {where}: intact, but signed as {detail} ({sender} -> {recipient}); rename it back",
    "no_index": "FAIL {where}: no {index}",
    "symlink": "FAIL {where}: symbolic link (not followed)",
    "folder": "FAIL {where}: a folder where a package or its signature belongs (not opened)",
    "pipe": "FAIL {where}: a named pipe (not opened)",
    "device": "FAIL {where}: a device file (not opened)",
    "socket": "FAIL {where}: a socket (not opened)",
    "other": "FAIL {where}: not a regular file (not opened)",
    "leftover": "FAIL {where}: leftover of an interrupted write",
    "missing": "FAIL {where}: listed in the index but missing",
    "invalid": "FAIL {where}: {detail}",
}
SUMMARY_ENGLISH = "{packages} package(s) checked, {failures} problem(s)"
RENAMED_ENGLISH = "{renamed} package(s) renamed: contents intact; give each its signed name again before delivery"
# Entries a medium folder may hold besides packages: anything else that is not a regular
# file is reported, whatever its name (never opened: a pipe would block the check).
ODD_KINDS = ("symlink", "folder", "pipe", "device", "socket", "other")


class MediumRenamedError(OperationalError):
    """Packages whose contents verify but whose file names are not the ones signed."""

    default_hint = "rename each package (and its .sig) back to the name it was signed as, shown above"


@dataclass(frozen=True)
class MediaFinding:
    kind: str
    where: str
    detail: str = ""
    sender: str = ""
    recipient: str = ""

    @property
    def ok(self) -> bool:
        return self.kind == "ok"

    def values(self) -> dict[str, str]:
        return {"where": self.where, "detail": self.detail, "sender": self.sender, "recipient": self.recipient,
                "index": media.INDEX_NAME}

    def __str__(self) -> str:
        return FINDING_ENGLISH[self.kind].format(**self.values())


@dataclass
class MediaReport:
    """Findings of a media check. ``failures`` counts integrity problems and odd entries
    (exit 3); ``renamed`` counts intact packages under another name (exit 1 when alone)."""

    findings: list[MediaFinding] = field(default_factory=list)
    failures: int = 0
    packages: int = 0
    renamed: int = 0

    @property
    def ok(self) -> bool:
        return self.failures == 0 and self.renamed == 0

    @property
    def lines(self) -> list[str]:
        """The report in English: one line per finding, then the counts."""
        lines = [str(f) for f in self.findings]
        lines.append(SUMMARY_ENGLISH.format(packages=self.packages, failures=self.failures))
        if self.renamed:
            lines.append(RENAMED_ENGLISH.format(renamed=self.renamed))
        return lines

    def raise_for(self, path: Path) -> None:
        """Raise IntegrityError (exit 3) for any problem on the medium at ``path``, else
        MediumRenamedError (exit 1) when packages were only renamed; nothing when all is well."""
        if self.failures:
            raise IntegrityError(f"{self.failures} problem(s) on {path}", hint="do not deliver this medium; rewrite it",
                                 facts={"wording": "medium-problems", "count": str(self.failures), "path": str(path)})
        if self.renamed:
            raise MediumRenamedError(f"{self.renamed} package(s) on {path} renamed; their contents are intact")

    def fail(self, kind: str, where: str, detail: str = "") -> None:
        self.failures += 1
        self.findings.append(MediaFinding(kind, where, detail))


def _lstat_kind(path: Path) -> str:
    try:
        return media.entry_kind(os.lstat(path))
    except FileNotFoundError:
        return "missing"


def _medium_folders(path: Path, report: MediaReport) -> list[Path]:
    if _lstat_kind(path / media.INDEX_NAME) != "missing" or any(p.name.endswith(".age") for p in path.iterdir()):
        return [path]
    folders = []
    for item in sorted(path.iterdir()):
        kind = _lstat_kind(item)
        if kind == "folder":
            folders.append(item)
        elif kind in ODD_KINDS:
            report.fail(kind, item.name)
    return folders


def verify_media(
    path: Path, *, home: Path, directory_file: Path | None = None, root_file: Path | None = None,
    now: dt.datetime | None = None,
) -> MediaReport:
    """Check each medium under ``path``: signed index, every package and its outer signature.

    Flags files the index does not list, listed files that are missing, leftovers of an
    interrupted write, and every entry that is not a regular file (links, folders,
    pipes, devices, sockets), by name, without opening it. A package whose contents
    verify under another name than the one signed is reported as ``renamed``, not as
    tampering.
    """
    path = Path(path)
    if _lstat_kind(path) != "folder":
        raise NotFoundError(f"{str(path)!r} is not a folder")
    now = now or dt.datetime.now(dt.timezone.utc)
    directory = directory_for_checks(home, directory_file, now, root_file=root_file)
    report = MediaReport()
    for folder in _medium_folders(path, report):
        _verify_medium(folder, directory, report, now)
    return report


def _verified_index(
    folder: Path, directory: Directory, report: MediaReport, now: dt.datetime
) -> tuple[dict[str, media.IndexEntry], str]:
    """The medium's index entries by file name and the index's sender, once it verifies
    (empty, with a finding, when it is missing or does not verify)."""
    from secxfer.trust.fingerprint import key_id
    from secxfer.trust.signing import verify

    index_path = folder / media.INDEX_NAME
    if _lstat_kind(index_path) == "missing":
        report.fail("no_index", folder.name)
        return {}, ""
    try:
        raw = media.read_medium_file(index_path, "medium index", MEDIA_INDEX_MAX_BYTES)
        doc = SignedDocument.decode(raw, kind=media.INDEX_KIND, max_bytes=MEDIA_INDEX_MAX_BYTES)
        index = media.decode_index(doc.payload)
        sender = directory.participant(index.sender)
        signature = doc.signatures[0] if len(doc.signatures) == 1 else None
        public = next((k.key for k in sender.signing_keys if signature and key_id(k.key) == signature.keyid), None)
        if public is None or signature is None:
            raise IntegrityError("index is not signed by its sender")
        verify(public, media.INDEX_KIND, doc.payload, signature)
        directory.require_signing_key(index.sender, public, None, now=now)  # undated: any revocation refuses
        return {e.file_name: e for e in index.packages}, index.sender
    except SecxferError as error:
        report.fail("invalid", f"{folder.name}/{media.INDEX_NAME}", str(error))
        return {}, ""


def _verify_medium(folder: Path, directory: Directory, report: MediaReport, now: dt.datetime) -> None:
    listed, index_sender = _verified_index(folder, directory, report, now)
    for leftover in media.leftovers(folder):
        report.fail("leftover", f"{folder.name}/{leftover}")
    seen = set()
    for item in sorted(folder.iterdir()):
        where = f"{folder.name}/{item.name}"
        kind = _lstat_kind(item)
        if kind in ODD_KINDS:  # reported by name, never opened or followed
            report.fail(kind, where)
            continue
        if kind != "file" or not item.name.endswith(".age"):
            continue
        seen.add(item.name)
        report.packages += 1
        try:
            statement, signed_as = _check_package(item, directory, listed, index_sender, now)
        except SecxferError as error:
            report.fail("invalid", where, Notice.of_error(error))
            continue
        if signed_as is not None:
            seen.add(signed_as)
            report.renamed += 1
            report.findings.append(MediaFinding("renamed", where, signed_as, statement.sender, statement.recipient))
        else:
            report.findings.append(MediaFinding("ok", where, sender=statement.sender, recipient=statement.recipient))
    for missing in sorted(set(listed) - seen):
        report.fail("missing", f"{folder.name}/{missing}")


def _check_package(
    item: Path, directory: Directory, listed: dict[str, media.IndexEntry], index_sender: str, now: dt.datetime
) -> tuple[OuterStatement, str | None]:
    """``(statement, None)`` for a package that verifies under its own name; ``(statement,
    signed name)`` for one whose bytes are exactly what its sender signed under another
    name (found by its contents: the signature file beside it, or the index entry with
    its hash and that name's signature file). Raises for anything else."""
    size, digest = media.file_sha256(item)
    signed = _signature_beside(item, directory, now)
    if signed is None:  # the .sig kept the old name: look the file up in the signed index by hash
        entry = next((e for e in listed.values() if e.size == size and hmac.compare_digest(e.sha256, digest)), None)
        if entry is None or entry.file_name == item.name:
            verify_outer(item, directory, now=now, measured=(size, digest))  # no signature beside it: raises
            raise NotFoundError(f"no outer signature beside {item.name!r}",
                                facts={"wording": "sig-missing", "file": item.name})
        signed = _signature_beside(item.with_name(entry.file_name), directory, now)
        if signed is None:
            raise NotFoundError(f"no outer signature beside {item.name!r} or under its signed name "
                                f"{entry.file_name!r}")
    if size != signed.size or not hmac.compare_digest(digest, signed.sha256):
        raise IntegrityError(f"{item.name!r} is not the file its sender signed (truncated, corrupted or altered)",
                             facts={"wording": "not-signed-bytes", "file": item.name})
    entry = listed.get(signed.file_name)
    if listed and (entry is None or not index_entry_agrees(entry, index_sender, signed)):
        raise IntegrityError("not listed in the medium's index as it is")
    return signed, (None if signed.file_name == item.name else signed.file_name)


def _signature_beside(path: Path, directory: Directory, now: dt.datetime) -> OuterStatement | None:
    """The verified outer statement in ``path``'s .sig, or None when there is no such file."""
    from secxfer.chain.binding import verified_outer_statement

    if _lstat_kind(Path(str(path) + media.SIDECAR_SUFFIX)) == "missing":
        return None
    return verified_outer_statement(media.read_sidecar(path), directory, now=now)
