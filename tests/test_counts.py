"""RowCounts and annex numbers: indexed by annex, carried as the same JSON array as before."""

import msgspec
import pytest

from secxfer.chain.manifest import Commitment
from secxfer.domain.counts import ANNEX_NUMBERS, RowCounts


def test_indexed_by_annex_number_never_by_position():
    counts = RowCounts(3, 0, 7)
    assert [counts[a] for a in ANNEX_NUMBERS] == [3, 0, 7]
    assert (counts.annex1, counts.annex2, counts.annex3) == (3, 0, 7)
    for wrong in (0, 4, -1):
        with pytest.raises(KeyError):
            counts[wrong]  # type: ignore[index]


def test_arithmetic_and_iteration():
    assert RowCounts.sum([RowCounts(1, 2, 3), RowCounts(10, 0, 1)]) == RowCounts(11, 2, 4)
    assert RowCounts.sum([]) == RowCounts.zero()
    assert RowCounts(1, 2, 3) + RowCounts(1, 1, 1) == RowCounts(2, 3, 4)
    assert list(RowCounts(1, 2, 3)) == [1, 2, 3] and RowCounts(1, 2, 3).total == 6
    assert RowCounts.of(n for n in (4, 5, 6)) == RowCounts(4, 5, 6)
    assert str(RowCounts(1, 0, 2)) == "(1, 0, 2)"  # as messages have always shown counts
    with pytest.raises(ValueError):
        RowCounts.of([1, 2])


def test_wire_form_is_the_three_element_array():
    assert msgspec.json.encode(RowCounts(1, 0, 2)) == b"[1,0,2]"
    assert msgspec.json.decode(b"[1,0,2]", type=RowCounts) == RowCounts(1, 0, 2)
    for bad in (b"[1,0]", b"[1,0,2,3]", b'{"annex1":1,"annex2":0,"annex3":2}', b'[1,0,"2"]'):
        with pytest.raises(msgspec.ValidationError):
            msgspec.json.decode(bad, type=RowCounts)
    # inside a signed model the bytes are those a tuple[int, int, int] gave
    fields = dict(delivery_id="d", profile="default", newlines=("crlf",) * 3, prefixes=(b"",) * 3,
                  covered=(), merkle_root=bytes(32))
    assert b'"total_rows":[5,0,1]' in msgspec.json.encode(Commitment(total_rows=RowCounts(5, 0, 1), **fields))
