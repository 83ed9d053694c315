"""Excerpts of the key directory: the signed header with chosen entries and their proofs.

An excerpt holds the entries asked for plus the federation of every municipality
among them, agency and central, so that on its own it verifies a whole chain of
manifests down to those municipalities. It carries the full directory's signed header
unchanged: the root signatures cover it, and each entry's audit path ties the entry
to the header's Merkle root, so an excerpt can only ever show entries the full
directory holds, at the positions it holds them.
"""

from __future__ import annotations

from collections.abc import Iterable

import msgspec

from secxfer import merkle
from secxfer.errors import FormatError, UsageError
from secxfer.trust.codec import encode
from secxfer.trust.consistency import EXCERPT_ALWAYS
from secxfer.trust.directory_file import DirectoryFile, DirectoryLeaf, LeafProof, decode_header, leaf_digest
from secxfer.trust.errors import UnknownParticipantError
from secxfer.trust.ids import Role, check_participant_id, federation_of


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
