"""Excerpts of the key directory: the signed header with chosen entries and their proofs.

An excerpt holds the entries asked for plus the federation of every municipality
among them, agency and central, so that on its own it verifies a whole chain of
manifests down to those municipalities. It carries the full directory's signed header
unchanged: the root signatures cover it, and each entry's audit path ties the entry
to the header's Merkle root, so an excerpt can only ever show entries the full
directory holds, at the positions it holds them.

The trust bundle is what travels with every package: the roots since the first and a
directory (full or an excerpt), so media carry key updates down the chain. The
directory file is embedded as it is (a JSON object), not nested once more as base64;
its parts that are signed or hashed stay bytes inside it. Nothing is verified when a
bundle is made or read: the trust store's rules do that when a bundle is applied.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Literal

import msgspec

from secxfer import merkle
from secxfer.errors import FormatError, UsageError
from secxfer.limits import DIRECTORY_MAX_BYTES
from secxfer.models import Model
from secxfer.trust.codec import decode_strict, encode
from secxfer.trust.directory.checks import EXCERPT_ALWAYS
from secxfer.trust.directory.file import (
    DirectoryFile,
    DirectoryLeaf,
    LeafProof,
    decode_header,
    leaf_digest,
    read_directory_file,
)
from secxfer.trust.errors import UnknownParticipantError
from secxfer.trust.ids import Role, check_participant_id, federation_of
from secxfer.trust.kinds import BUNDLE_FORMAT
from secxfer.trust.root import ROOT_MAX_BYTES


class _IdOnly(msgspec.Struct):
    id: str


_ID = msgspec.json.Decoder(_IdOnly)


def excerpt_ids(only: Iterable[str]) -> set[str]:
    """The ids an excerpt for ``only`` holds: those, their federations, agency and central."""
    wanted = set(EXCERPT_ALWAYS)
    for pid in only:
        wanted.add(pid)
        if check_participant_id(pid) is Role.MUNICIPALITY:
            wanted.add(federation_of(pid))
    return wanted


class Excerpter:
    """Cuts excerpts out of one directory file (full, or an excerpt holding what is asked).

    The leaves are hashed and the audit paths computed once, so a relay can cut one
    excerpt per recipient cheaply. ``file`` must already be verified: nothing is
    checked here beyond what cutting needs.
    """

    def __init__(self, file: DirectoryFile) -> None:
        self.file = file
        self.version = decode_header(file).version
        if file.proofs is None:
            paths = merkle.audit_paths([leaf_digest(leaf) for leaf in file.leaves])
            proofs = [LeafProof(index=i, path=path) for i, path in enumerate(paths)]
        else:
            proofs = list(file.proofs)
        self._by_id: dict[str, tuple[DirectoryLeaf, LeafProof]] = {
            _ID.decode(leaf.participant).id: (leaf, proof) for leaf, proof in zip(file.leaves, proofs, strict=True)
        }

    def excerpt(self, only: Iterable[str]) -> DirectoryFile:
        """The excerpt for ``only`` (see :func:`excerpt_ids`); UnknownParticipantError if
        one of them is not here."""
        wanted = excerpt_ids(only)
        missing = sorted(wanted - self._by_id.keys())
        if missing:
            where = "this excerpt of " if self.file.is_excerpt else ""
            raise UnknownParticipantError(f"{missing[0]!r} is not in {where}key directory v{self.version}")
        chosen = sorted((self._by_id[pid] for pid in wanted), key=lambda item: item[1].index)
        return DirectoryFile(
            header=self.file.header,
            leaves=tuple(leaf for leaf, _ in chosen),
            proofs=tuple(proof for _, proof in chosen),
        )


def make_excerpt(file: DirectoryFile, only: Iterable[str]) -> DirectoryFile:
    """One excerpt of ``file`` (use :class:`Excerpter` to cut many)."""
    return Excerpter(file).excerpt(only)


def same_header(a: DirectoryFile, b: DirectoryFile) -> bool:
    """Whether two files carry the same signed header (same version, same signatures)."""
    return encode(a.header) == encode(b.header)


def merge_excerpts(a: DirectoryFile, b: DirectoryFile) -> DirectoryFile:
    """The union of two excerpts under the same signed header.

    Both must have been verified; the union is then one too (each entry keeps its
    proof). Two different entries claiming one position is refused.
    """
    if a.proofs is None or b.proofs is None or not same_header(a, b):
        raise UsageError("only excerpts of the same signed directory can be merged")
    by_index: dict[int, tuple[DirectoryLeaf, LeafProof]] = {}
    for leaf, proof in (*zip(a.leaves, a.proofs, strict=True), *zip(b.leaves, b.proofs, strict=True)):
        kept = by_index.setdefault(proof.index, (leaf, proof))
        if kept[0] != leaf:
            raise FormatError(f"two excerpts of key directory disagree on entry {proof.index}")
    ordered = [by_index[i] for i in sorted(by_index)]
    return DirectoryFile(
        header=a.header, leaves=tuple(leaf for leaf, _ in ordered), proofs=tuple(proof for _, proof in ordered)
    )


# -- the trust bundle ------------------------------------------------------------

ROOT_CHAIN_MAX = 64
# signed roots are base64 inside a bundle (4/3); the directory file is embedded as it is
BUNDLE_MAX_BYTES = DIRECTORY_MAX_BYTES + ROOT_CHAIN_MAX * ROOT_MAX_BYTES * 4 // 3 + 64 * 1024

SignedRoot = Annotated[bytes, msgspec.Meta(max_length=ROOT_MAX_BYTES)]


class TrustBundle(Model, kw_only=True):
    """The roots since the first and the current directory (full or an excerpt), as carried in packages."""

    format: Literal["secxfer/trust-bundle-v2"] = BUNDLE_FORMAT
    roots: Annotated[tuple[SignedRoot, ...], msgspec.Meta(max_length=ROOT_CHAIN_MAX)]
    directory: DirectoryFile


_BUNDLE = msgspec.json.Decoder(TrustBundle)


def make_bundle(signed_roots: Iterable[bytes], directory_file: bytes | DirectoryFile) -> bytes:
    """A trust bundle from signed roots (oldest first) and a directory file (not verified here)."""
    return encode(TrustBundle(roots=tuple(map(bytes, signed_roots)), directory=read_directory_file(directory_file)))


def is_bundle(data: bytes) -> bool:
    """Whether ``data`` looks like a trust bundle (its format field comes first)."""
    return bytes(data[:40]).startswith(b'{"format":"secxfer/trust-bundle-')


def read_bundle(bundle_bytes: bytes) -> TrustBundle:
    """Parse a bundle strictly (its contents are verified when applied)."""
    return decode_strict(bundle_bytes, _BUNDLE, what="trust bundle", max_bytes=BUNDLE_MAX_BYTES)
