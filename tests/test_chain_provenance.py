"""Merkle commitment, inclusion proofs and the container grammar."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from secxfer.chain import container
from secxfer.chain.provenance import (
    CarriedLeaf,
    Leaf,
    build_tree,
    leaf_hash,
    merkle_root,
    rows_digest,
    verify_inclusion,
)
from secxfer.chain.rows import group_spans
from secxfer.errors import FormatError, ProvenanceError


def make_leaves(n: int) -> list[Leaf]:
    return [
        Leaf(
            code=f"{i:05d}{i % 10}",
            salt=hashlib.sha256(b"salt%d" % i).digest(),
            rows=(i % 3, 0, 1),
            rows_sha256=(rows_digest(b"r%d\n" % i), rows_digest(b""), rows_digest(b"x\n")),
        )
        for i in range(n)
    ]


def rfc6962_root(hashes: list[bytes]) -> bytes:
    """Reference: the recursive definition from RFC 6962 §2.1."""
    if len(hashes) == 1:
        return hashes[0]
    k = 1
    while k << 1 < len(hashes):
        k <<= 1
    return hashlib.sha256(b"\x01" + rfc6962_root(hashes[:k]) + rfc6962_root(hashes[k:])).digest()


@pytest.mark.parametrize("n", [1, 2, 3, 5, 7, 8, 9, 47, 100])
def test_root_matches_rfc6962_and_every_proof_verifies(n):
    leaves = make_leaves(n)
    root, carried = build_tree(leaves)
    assert root == merkle_root([leaf_hash(x) for x in leaves]) == rfc6962_root([leaf_hash(x) for x in leaves])
    for item in carried:
        verify_inclusion(item, n, root)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(2, 40), data=st.data())
def test_altered_leaf_or_wrong_index_fails(n, data):
    leaves = make_leaves(n)
    root, carried = build_tree(leaves)
    i = data.draw(st.integers(0, n - 1))
    item = carried[i]
    altered = Leaf(code=item.leaf.code, salt=item.leaf.salt, rows=(item.leaf.rows[0] + 1, *item.leaf.rows[1:]),
                   rows_sha256=item.leaf.rows_sha256)
    with pytest.raises(ProvenanceError):
        verify_inclusion(CarriedLeaf(leaf=altered, index=i, path=item.path), n, root)
    j = data.draw(st.integers(0, n - 1).filter(lambda j: j != i))
    with pytest.raises(ProvenanceError):
        verify_inclusion(CarriedLeaf(leaf=item.leaf, index=j, path=item.path), n, root)
    with pytest.raises(ProvenanceError):
        verify_inclusion(CarriedLeaf(leaf=item.leaf, index=i, path=item.path[:-1]), n, root)


def test_unsorted_leaves_refused():
    leaves = make_leaves(3)
    with pytest.raises(ProvenanceError):
        build_tree([leaves[1], leaves[0], leaves[2]])


def test_group_spans_counts_rows_exactly():
    body = b"H\r\na\r\nb\r\nc\r\n"
    assert group_spans(body, 3, len(body), [2, 0, 1]) == [(3, 9), (9, 9), (9, 12)]
    with pytest.raises(ProvenanceError):
        group_spans(body, 3, len(body), [2, 2])
    with pytest.raises(ProvenanceError):
        group_spans(body, 3, len(body), [2])


def test_container_round_trip_and_strictness():
    raw = b"".join(bytes(c) for c in container.serialize([("trust", [b"dir"]), ("annex1.csv", [b"a", b"bc"])]))
    entries = container.parse(raw)
    assert bytes(entries["annex1.csv"].data) == b"abc" and bytes(entries["trust"].data) == b"dir"
    assert len(raw) == container.serialized_size([("trust", [b"dir"]), ("annex1.csv", [b"a", b"bc"])])
    for bad in (raw[:-1], raw + b"\x00", b"X" + raw[1:], raw[:-6]):
        with pytest.raises(FormatError):
            container.parse(bad)
    evil = container.MAGIC + b"\x00\x06../etc" + (3).to_bytes(8, "big") + b"abc\x00\x00"
    with pytest.raises(FormatError):
        container.parse(evil)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_container_parse_never_raises_anything_else(data):
    try:
        container.parse(container.MAGIC + data)
    except FormatError:
        pass


def test_chunk_stream_reads_across_chunks():
    stream = container.ChunkStream([b"ab", memoryview(b"cde"), b"", b"f"])
    assert stream.read(4) == b"abcd" and stream.read() == b"ef"


@pytest.mark.parametrize("name", [b'"AB\rCD"', b'"AB\nCD"', b"AB\rCD", b"AB\nCD"])
def test_no_row_the_agency_seals_holds_a_cr_or_lf_of_its_own(tmp_path, name):
    """docs/format.md §9 lets a reader count LF alone because of this rule at the seal."""
    from pathlib import Path

    from secxfer.domain.sample import generate_sample
    from secxfer.domain.validate import read_annex

    sample = generate_sample(tmp_path, period="2026-10", rows=3, seed=1, insurers=["131016"])
    header, first, *rest = Path(sample.files[0]).read_bytes().split(b"\r\n")
    assert len(read_annex(b"\r\n".join([header, first, *rest]), annex=1, period=None, profile="default").rows) == 3
    altered = b",".join([name, *first.split(b",")[1:]])
    reading = read_annex(b"\r\n".join([header, altered, *rest]), annex=1, period=None, profile="default")
    assert {p.code for p in reading.problems if p.severity == "error"} & {"control-character", "mixed-newlines"}
    assert not any(b"\r" in row.raw or b"\n" in row.raw for row in reading.rows)  # seal refuses the file anyway
