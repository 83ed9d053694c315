"""The agency's commitment to every insurer's rows, and proofs that survive relaying.

Each covered insurer gets one leaf: a random salt, its code, and per annex the row
count and a hash over its rows' exact bytes in order (:func:`rows_digest`). The leaves, sorted by code,
form an RFC 6962 Merkle tree whose root the agency signs. A relay passes each
recipient its own leaves with their audit paths, so a municipality can prove its
rows came unchanged from the agency without seeing anyone else's. The salt keeps
sibling hashes from revealing other municipalities' row counts (counts are small
and would otherwise be guessable).
"""

from __future__ import annotations

import hashlib
import hmac
import struct
from collections.abc import Sequence
from typing import Annotated

import msgspec

from secxfer import merkle
from secxfer.errors import ProvenanceError
from secxfer.limits import CSV_MAX_ROWS
from secxfer.merkle import LEAF_PREFIX, NODE_PREFIX, audit_paths, merkle_root  # noqa: F401 (re-exported)
from secxfer.models import Model

LEAF_LABEL = b"secxfer-leaf-v1"
ROWS_LABEL = b"secxfer-rows-v1"
# Row counts enter the leaf hash as u32; out-of-range counts are refused when decoded.
RowCount = Annotated[int, msgspec.Meta(ge=0, le=CSV_MAX_ROWS)]
SALT_BYTES = 32


class Leaf(Model, kw_only=True):
    """One insurer's share of a delivery: what the agency committed to for it."""

    code: str
    salt: bytes
    rows: tuple[RowCount, RowCount, RowCount]
    rows_sha256: tuple[bytes, bytes, bytes]

    def digest(self) -> bytes:
        return leaf_hash(self)


class CarriedLeaf(Model, kw_only=True):
    """A leaf as carried in a package: the leaf, its index in the tree and its audit path."""

    leaf: Leaf
    index: int
    path: tuple[bytes, ...]


def rows_digest(group: bytes | memoryview) -> bytes:
    """Hash one insurer's rows for one annex: their exact bytes, each followed by the newline.

    Rows never contain a line terminator, so the joined form is unambiguous, and hashing
    the slice as it lies in the data file costs one call per insurer instead of one per row.
    """
    h = hashlib.sha256(ROWS_LABEL)
    h.update(group)
    return h.digest()


def leaf_hash(leaf: Leaf) -> bytes:
    if len(leaf.salt) != SALT_BYTES or len(leaf.code) != 6 or not leaf.code.isdigit():
        raise ProvenanceError(f"malformed leaf for code {leaf.code!r}")
    h = hashlib.sha256(LEAF_PREFIX + LEAF_LABEL)
    h.update(leaf.salt)
    h.update(leaf.code.encode("ascii"))
    for count, digest in zip(leaf.rows, leaf.rows_sha256, strict=True):
        if len(digest) != 32:
            raise ProvenanceError(f"malformed row hash in leaf for code {leaf.code!r}")
        h.update(struct.pack(">I", count))
        h.update(digest)
    return h.digest()


def root_from_path(leaf_digest: bytes, index: int, size: int, path: Sequence[bytes]) -> bytes:
    """Recompute the root from one leaf and its audit path (RFC 9162 §2.1.3.2)."""
    try:
        return merkle.root_from_path(leaf_digest, index, size, path)
    except merkle.MerkleProofError as exc:
        raise ProvenanceError(str(exc)) from None


def verify_inclusion(carried: CarriedLeaf, size: int, root: bytes) -> None:
    """Raise ProvenanceError unless ``carried`` is leaf ``index`` of the tree with ``root``."""
    got = root_from_path(leaf_hash(carried.leaf), carried.index, size, carried.path)
    if not hmac.compare_digest(got, root):
        raise ProvenanceError(
            f"rows for {carried.leaf.code} do not match the agency's commitment",
            hint="the package was altered after sealing; do not use it and report it to the sender",
        )


def build_tree(leaves: Sequence[Leaf]) -> tuple[bytes, list[CarriedLeaf]]:
    """Root over ``leaves`` (must be sorted by code, unique) and each leaf's carried form."""
    codes = [leaf.code for leaf in leaves]
    if codes != sorted(set(codes)):
        raise ProvenanceError("leaves must be unique and sorted by code")
    digests = [leaf_hash(leaf) for leaf in leaves]
    paths = audit_paths(digests)
    carried = [CarriedLeaf(leaf=leaf, index=i, path=paths[i]) for i, leaf in enumerate(leaves)]
    return merkle_root(digests), carried
