"""The published key directory: a root-signed header over a Merkle tree of entries.

* header — version, issue and expiry times, root version, the number of entries and
  the RFC 6962 Merkle root over them, and the directory's policy if it states one
  (``secxfer.trust.policy``); the only bytes the root holders sign
  (kind ``secxfer/directory-header``);
* leaves — one per participant, sorted by id: its entry (the canonical JSON of its
  ``Participant``) and the federation-signed enrollment records that back it.

A full file carries every leaf and the reader recomputes the root. An excerpt carries
some leaves, each with its index and audit path (RFC 9162 §2.1.3), so a
municipality checks its own entry, its federation's, agency's and central's against
the same root signatures without receiving 1,800 others. A leaf is hashed as carried
and only then decoded, strictly.
"""

from __future__ import annotations

import struct
from collections import defaultdict
from collections.abc import Iterable
from typing import Annotated, Literal

import msgspec
import nacl.signing

from secxfer import merkle
from secxfer.errors import FormatError
from secxfer.limits import DIRECTORY_MAX_BYTES, DIRECTORY_MAX_PARTICIPANTS, KIB, PROOF_MAX_DEPTH
from secxfer.models import Model
from secxfer.trust import verified_cache
from secxfer.trust.codec import decode_strict, encode
from secxfer.trust.directory.entries import AwareDatetime, Participant
from secxfer.trust.directory.model import Directory, enrollment_owner
from secxfer.trust.enrollment import ENROLLMENT_MAX_BYTES
from secxfer.trust.kinds import DIRECTORY_FORMAT, DIRECTORY_LEAF_LABEL, KIND_DIRECTORY
from secxfer.trust.policy import DirectoryPolicy
from secxfer.trust.signing import SignedDocument, Signer, sign_document

HEADER_MAX_BYTES = 4 * KIB
SIGNED_HEADER_MAX_BYTES = 4 * HEADER_MAX_BYTES  # the header with up to SIGNATURES_MAX signatures
PARTICIPANT_MAX_BYTES = 40 * KIB  # up to 16 keys of 1,216 bytes (hybrid) each
ENROLLMENTS_PER_PARTICIPANT_MAX = 64

Hash32 = Annotated[bytes, msgspec.Meta(min_length=32, max_length=32)]
_U32 = struct.Struct(">I")


class DirectoryHeader(Model, kw_only=True):
    """What the root holders sign: the directory's version and times, its entries' root
    and its policy (absent when it states none, the form headers had before policies)."""

    version: Annotated[int, msgspec.Meta(ge=1)]
    issued: AwareDatetime
    expires: AwareDatetime
    root_version: Annotated[int, msgspec.Meta(ge=1)]
    entries: Annotated[int, msgspec.Meta(ge=0, le=DIRECTORY_MAX_PARTICIPANTS)]
    entries_root: Hash32
    policy: DirectoryPolicy | msgspec.UnsetType = msgspec.UNSET


class DirectoryLeaf(Model, kw_only=True):
    """One participant's entry (exact bytes) and the enrollments backing a municipality."""

    participant: Annotated[bytes, msgspec.Meta(max_length=PARTICIPANT_MAX_BYTES)]
    enrollments: Annotated[
        tuple[Annotated[bytes, msgspec.Meta(max_length=ENROLLMENT_MAX_BYTES)], ...],
        msgspec.Meta(max_length=ENROLLMENTS_PER_PARTICIPANT_MAX),
    ] = ()


class LeafProof(Model, kw_only=True):
    """Where an excerpt's leaf sits in the signed tree, and its audit path."""

    index: Annotated[int, msgspec.Meta(ge=0)]
    path: Annotated[tuple[Hash32, ...], msgspec.Meta(max_length=PROOF_MAX_DEPTH)]


class DirectoryFile(Model, kw_only=True):
    """A directory as published or carried: the signed header and all (or, with
    ``proofs``, some) of its leaves. A draft is one whose header has no signatures."""

    format: Literal["secxfer/directory-v2"] = DIRECTORY_FORMAT
    header: SignedDocument
    leaves: Annotated[tuple[DirectoryLeaf, ...], msgspec.Meta(max_length=DIRECTORY_MAX_PARTICIPANTS)]
    proofs: Annotated[tuple[LeafProof, ...], msgspec.Meta(max_length=DIRECTORY_MAX_PARTICIPANTS)] | None = None

    @property
    def is_excerpt(self) -> bool:
        return self.proofs is not None

    def encode(self) -> bytes:
        return encode(self)


_FILE = msgspec.json.Decoder(DirectoryFile)
_HEADER = msgspec.json.Decoder(DirectoryHeader)
_PARTICIPANT = msgspec.json.Decoder(Participant)


def is_directory_file(data: bytes) -> bool:
    """Whether ``data`` looks like a directory file (its format field comes first)."""
    return bytes(data[:40]).startswith(b'{"format":"secxfer/directory-')


def read_directory_file(data: bytes | DirectoryFile) -> DirectoryFile:
    """Parse a directory file strictly; nothing is verified yet."""
    if isinstance(data, DirectoryFile):
        return data
    file: DirectoryFile = decode_strict(data, _FILE, what="key directory", max_bytes=DIRECTORY_MAX_BYTES)
    return file


def leaf_digest(leaf: DirectoryLeaf) -> bytes:
    """The Merkle leaf hash of one entry: its parts length-prefixed under the leaf label."""
    parts = [_U32.pack(len(leaf.participant)), leaf.participant, _U32.pack(len(leaf.enrollments))]
    for raw in leaf.enrollments:
        parts += (_U32.pack(len(raw)), raw)
    return merkle.leaf_hash(b"".join(parts), label=DIRECTORY_LEAF_LABEL)


def decode_header(file: DirectoryFile) -> DirectoryHeader:
    """The header's content (its signatures are checked by the caller, before trusting it)."""
    if file.header.kind != KIND_DIRECTORY:
        raise FormatError(f"expected a {KIND_DIRECTORY!r} header, got {file.header.kind!r}")
    header: DirectoryHeader = decode_strict(file.header.payload, _HEADER, what="key directory header", max_bytes=HEADER_MAX_BYTES)
    return header


# -- from a directory value to its published form --------------------------------------


def leaves_of(directory: Directory) -> list[DirectoryLeaf]:
    """One leaf per participant (sorted by id), each with the enrollments about it."""
    grouped: dict[str, list[bytes]] = defaultdict(list)
    for raw in directory.enrollments:
        grouped[enrollment_owner(raw)].append(bytes(raw))
    leaves = []
    for participant in sorted(directory.participants, key=lambda p: p.id):
        leaves.append(DirectoryLeaf(participant=encode(participant), enrollments=tuple(grouped.pop(participant.id, ()))))
    if grouped:
        raise FormatError(f"enrollment of {min(grouped)}, which is not in the directory")
    return leaves


def header_payload(directory: Directory, leaves: list[DirectoryLeaf]) -> bytes:
    """The exact bytes the root holders sign for ``directory``."""
    header = DirectoryHeader(
        version=directory.version,
        issued=directory.issued,
        expires=directory.expires,
        root_version=directory.root_version,
        entries=len(leaves),
        entries_root=merkle.merkle_root([leaf_digest(leaf) for leaf in leaves]),
        policy=msgspec.UNSET if directory.policy is None else directory.policy,
    )
    return encode(header)


def build_file(directory: Directory, signers: Iterable[Signer | nacl.signing.SigningKey] = ()) -> DirectoryFile:
    """The full file of ``directory``, its header signed by ``signers`` (none: a draft).

    Content is not checked here; ``authoring.sign_directory`` checks before signing.
    """
    leaves = leaves_of(directory)
    payload = header_payload(directory, leaves)
    header = SignedDocument.decode(sign_document(KIND_DIRECTORY, payload, signers), max_bytes=SIGNED_HEADER_MAX_BYTES)
    return DirectoryFile(header=header, leaves=tuple(leaves))


# -- from the published form back to a value ---------------------------------------------


def read_content(file: DirectoryFile) -> tuple[DirectoryHeader, Directory]:
    """The header and the directory value of ``file``, checking its structure only.

    Checks: the leaves are exactly the tree the header commits to (full) or each sits
    in it at its index (excerpt); entries decode strictly, in strictly increasing id
    order; each leaf's enrollments are about its own participant. The root signatures
    over the header are NOT checked here (see ``directory.open_directory``).
    """
    header = decode_header(file)
    digests = [leaf_digest(leaf) for leaf in file.leaves]
    if file.proofs is None:
        if len(digests) != header.entries:
            raise FormatError(f"key directory v{header.version} has {len(digests)} entries, its header says {header.entries}")
        if merkle.merkle_root(digests) != header.entries_root:
            raise FormatError(f"the entries of key directory v{header.version} are not those its header commits to")
    else:
        _check_proofs(file, header, digests)
    participants = []
    enrollments: list[bytes] = []
    for leaf in file.leaves:
        participant: Participant = decode_strict(
            leaf.participant, _PARTICIPANT, what="key directory entry", max_bytes=PARTICIPANT_MAX_BYTES
        )
        if participants and participant.id <= participants[-1].id:
            raise FormatError(f"key directory entry {participant.id!r} is out of order or listed twice")
        for raw in leaf.enrollments:
            owner = enrollment_owner(raw)
            if owner != participant.id:
                raise FormatError(f"the entry of {participant.id} carries an enrollment of {owner}")
        participants.append(participant)
        enrollments += leaf.enrollments
    directory = Directory(
        version=header.version,
        issued=header.issued,
        expires=header.expires,
        root_version=header.root_version,
        participants=tuple(participants),
        enrollments=tuple(enrollments),
        excerpt=file.is_excerpt,
        policy=None if header.policy is msgspec.UNSET else header.policy,
    )
    return header, directory


def _check_proofs(file: DirectoryFile, header: DirectoryHeader, digests: list[bytes]) -> None:
    proofs = file.proofs or ()
    if len(proofs) != len(file.leaves):
        raise FormatError("an excerpt needs exactly one proof per entry")
    previous = -1
    for digest, proof in zip(digests, proofs, strict=True):
        if proof.index <= previous:
            raise FormatError("the entries of an excerpt are out of order or listed twice")
        previous = proof.index
        proven = verified_cache.proof_key(header.entries_root, header.entries, proof.index, digest, proof.path)
        if verified_cache.was_proven(proven):
            continue  # this very proof verified earlier in this process
        try:
            merkle.verify_inclusion(digest, proof.index, header.entries, proof.path, header.entries_root)
            verified_cache.record_proven(proven)
        except merkle.MerkleProofError:
            raise merkle.MerkleProofError(
                f"entry {proof.index} of this excerpt is not in key directory v{header.version}",
                hint="the excerpt was altered or assembled from another directory; obtain a fresh copy",
            ) from None
