"""The identity of one package: the facts the chain and the ledger both name a package by.

A package is named by its period and rehearsal flag, its id, who sent it to whom, the
file name it was written under, the SHA-256 of the encrypted file as it lies on the
medium, the SHA-256 of its last (this hop's) signed manifest, and its rows per annex.
The chain takes it once when it writes a package (``WrittenPackage.identity``) and once
when it has verified a package it received (:func:`received_identity`); the medium's
index and the outer statement are written from it, and the ledger writes receipts and
hop reports from it. The signed formats keep their own flat fields, in their own order,
so their bytes do not change: this module is where the set is named and copied.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from secxfer.chain.manifest import Manifest, OuterStatement
from secxfer.chain.media import IndexEntry
from secxfer.domain.counts import RowCounts
from secxfer.models import Model

if TYPE_CHECKING:
    from secxfer.chain.received import ReceivedPackage


class PackageIdentity(Model, kw_only=True):
    period: str  # the period's label, e.g. "2026-10"
    rehearsal: bool
    package_id: str
    sender: str
    recipient: str
    file_name: str
    encrypted_sha256: bytes  # of the file as it lies on the medium
    manifest_sha256: bytes  # of this hop's signed manifest payload
    rows: RowCounts


class Identified:
    """For a result that holds a package's identity: its fields read by their own names."""

    identity: PackageIdentity

    @property
    def recipient(self) -> str:
        return self.identity.recipient

    @property
    def package_id(self) -> str:
        return self.identity.package_id

    @property
    def period(self) -> str:
        return self.identity.period

    @property
    def rehearsal(self) -> bool:
        return self.identity.rehearsal

    @property
    def rows(self) -> RowCounts:
        return self.identity.rows


def manifest_rows(manifest: Manifest) -> RowCounts:
    """The rows per annex a manifest's file entries state."""
    return RowCounts.of(f.rows for f in sorted(manifest.files, key=lambda f: f.annex))


def written_identity(
    manifest: Manifest, *, file_name: str, encrypted_sha256: bytes, manifest_sha256: bytes
) -> PackageIdentity:
    """The identity of a package just written from the completed ``manifest``."""
    return PackageIdentity(
        period=manifest.period, rehearsal=manifest.rehearsal, package_id=manifest.package_id,
        sender=manifest.sender, recipient=manifest.recipient, file_name=file_name,
        encrypted_sha256=encrypted_sha256, manifest_sha256=manifest_sha256, rows=manifest_rows(manifest),
    )


def received_identity(pkg: ReceivedPackage) -> PackageIdentity:
    """The identity of a package received and verified (taken while it is open)."""
    return written_identity(
        pkg.manifest, file_name=pkg.path.name, encrypted_sha256=pkg.sha256,
        manifest_sha256=pkg.chain.payload_hashes[-1],
    )


def indexed_identity(entry: IndexEntry, sender: str) -> PackageIdentity:
    """The identity of a package as the sender's medium index lists it."""
    return PackageIdentity(
        period=entry.period, rehearsal=entry.rehearsal, package_id=entry.package_id, sender=sender,
        recipient=entry.recipient, file_name=entry.file_name, encrypted_sha256=entry.sha256,
        manifest_sha256=entry.manifest_sha256, rows=entry.rows,
    )


def index_entry(identity: PackageIdentity, size: int) -> IndexEntry:
    """The medium index's entry for the package (``secxfer-media-index-v1``)."""
    return IndexEntry(
        file_name=identity.file_name, size=size, sha256=identity.encrypted_sha256, package_id=identity.package_id,
        recipient=identity.recipient, period=identity.period, rehearsal=identity.rehearsal, rows=identity.rows,
        manifest_sha256=identity.manifest_sha256,
    )


def outer_statement(identity: PackageIdentity, size: int, created: dt.datetime) -> OuterStatement:
    """What the outer signature covers (``secxfer-outer-v1``)."""
    return OuterStatement(
        file_name=identity.file_name, size=size, sha256=identity.encrypted_sha256, package_id=identity.package_id,
        sender=identity.sender, recipient=identity.recipient, period=identity.period, rehearsal=identity.rehearsal,
        created=created,
    )
