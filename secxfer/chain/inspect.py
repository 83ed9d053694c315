"""Checks that need no secret key: one package's outer signature, a whole medium, public facts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from secxfer.chain import media
from secxfer.chain.binding import index_entry_agrees
from secxfer.chain.manifest import OUTER_KIND, OuterStatement, decode_outer
from secxfer.chain.package import verify_outer
from secxfer.chain.trustlink import directory_for_checks
from secxfer.errors import IntegrityError, NotFoundError, SecxferError
from secxfer.limits import MEDIA_INDEX_MAX_BYTES, OUTER_MAX_BYTES
from secxfer.trust.signing import SignedDocument


def verify_package(
    package: Path, *, home: Path, directory_file: Path | None = None, root_file: Path | None = None
) -> OuterStatement:
    """Verify ``package`` against its outer signature with the directory only.

    Needs no secret key and no prepared home: ``root_file`` and ``directory_file``
    (a trust bundle or a signed key directory) are enough (see
    :func:`secxfer.chain.trustlink.directory_for_checks` for where trust starts).

    Raises IntegrityError (exit 3) if the file was truncated, altered or renamed, or
    the signature is not by the sender's current key.
    """
    package = Path(package)
    if not package.is_file() or package.is_symlink():
        raise NotFoundError(f"no package file at {str(package)!r}")
    directory = directory_for_checks(home, directory_file, dt.datetime.now(dt.timezone.utc), root_file=root_file)
    return verify_outer(package, directory)


def inspect_package(package: Path) -> list[str]:
    """Public, unverified facts about a package, as lines of text."""
    from secxfer.age import read_header

    package = Path(package)
    lines = [f"file: {package.name}", f"size: {package.stat().st_size} bytes"]
    with open(package, "rb") as handle:
        header = read_header(handle)
    kinds = [s.type for s in header.stanzas]
    lines.append(f"age v1 file, {len(kinds)} recipient stanza(s): {', '.join(kinds)}")
    try:
        doc = SignedDocument.decode(media.read_sidecar(package), kind=OUTER_KIND, max_bytes=OUTER_MAX_BYTES)
        outer = decode_outer(doc.payload)
        lines += [
            "outer statement (NOT verified; use 'secxfer verify'):",
            f"  sender {outer.sender} -> recipient {outer.recipient}",
            f"  period {outer.period}{'  REHEARSAL' if outer.rehearsal else ''}",
            f"  package id {outer.package_id}, created {outer.created.isoformat()}",
        ]
    except SecxferError as error:
        lines.append(f"outer statement: unavailable ({error})")
    return lines


# What a media check found, one kind per wording (a front end words them in its language;
# ``where`` names the folder or file, ``detail`` is the library's reason for ``invalid``).
FINDING_ENGLISH = {
    "ok": "ok   {where} ({sender} -> {recipient})",
    "no_index": "FAIL {where}: no {index}",
    "symlink": "FAIL {where}: symbolic link (not followed)",
    "leftover": "FAIL {where}: leftover of an interrupted write",
    "missing": "FAIL {where}: listed in the index but missing",
    "invalid": "FAIL {where}: {detail}",
}
SUMMARY_ENGLISH = "{packages} package(s) checked, {failures} problem(s)"


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
    findings: list[MediaFinding] = field(default_factory=list)
    failures: int = 0
    packages: int = 0

    @property
    def ok(self) -> bool:
        return self.failures == 0

    @property
    def lines(self) -> list[str]:
        """The report in English: one line per finding, then the counts."""
        return [str(f) for f in self.findings] + [SUMMARY_ENGLISH.format(packages=self.packages, failures=self.failures)]

    def fail(self, kind: str, where: str, detail: str = "") -> None:
        self.failures += 1
        self.findings.append(MediaFinding(kind, where, detail))


def _medium_folders(path: Path, report: MediaReport) -> list[Path]:
    if (path / media.INDEX_NAME).exists() or any(path.glob("*.age")):
        return [path]
    for link in sorted(p for p in path.iterdir() if p.is_symlink()):
        report.fail("symlink", link.name)
    return sorted(p for p in path.iterdir() if p.is_dir() and not p.is_symlink())


def verify_media(
    path: Path, *, home: Path, directory_file: Path | None = None, root_file: Path | None = None
) -> MediaReport:
    """Check each medium under ``path``: signed index, every package and its outer signature.

    Flags files the index does not list, listed files that are missing, symlinks (never
    followed) and leftovers of an interrupted write.
    """
    path = Path(path)
    if not path.is_dir():
        raise NotFoundError(f"{str(path)!r} is not a folder")
    directory = directory_for_checks(home, directory_file, dt.datetime.now(dt.timezone.utc), root_file=root_file)
    report = MediaReport()
    for folder in _medium_folders(path, report):
        _verify_medium(folder, directory, report)
    return report


def _verify_medium(folder: Path, directory, report: MediaReport) -> None:
    from secxfer.trust.fingerprint import key_id
    from secxfer.trust.signing import verify

    index_path = folder / media.INDEX_NAME
    listed: dict[str, media.IndexEntry] = {}
    index_sender = ""
    if not index_path.exists() and not index_path.is_symlink():
        report.fail("no_index", folder.name)
    else:
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
            listed = {e.file_name: e for e in index.packages}
            index_sender = index.sender
        except SecxferError as error:
            report.fail("invalid", f"{folder.name}/{media.INDEX_NAME}", str(error))
    for leftover in media.leftovers(folder):
        report.fail("leftover", f"{folder.name}/{leftover}")
    seen = set()
    for item in sorted(folder.iterdir()):
        if item.is_symlink():
            report.fail("symlink", f"{folder.name}/{item.name}")
            continue
        if item.suffix != ".age":
            continue
        seen.add(item.name)
        report.packages += 1
        try:
            statement = verify_outer(item, directory)
            entry = listed.get(item.name)
            if listed and (entry is None or not index_entry_agrees(entry, index_sender, statement)):
                raise IntegrityError("not listed in the medium's index as it is")
            report.findings.append(MediaFinding("ok", f"{folder.name}/{item.name}", sender=statement.sender,
                                                recipient=statement.recipient))
        except SecxferError as error:
            report.fail("invalid", f"{folder.name}/{item.name}", str(error))
    for missing in sorted(set(listed) - seen):
        report.fail("missing", f"{folder.name}/{missing}")
