"""Named limits on every reader of outside data, enforced before allocation or arithmetic."""

from __future__ import annotations

import json

import pytest

from secxfer.chain.verify import decode_leaves
from secxfer.errors import FormatError
from secxfer.limits import CSV_MAX_ROWS


def _leaf(rows):
    return json.dumps([{
        "leaf": {"code": "131016", "salt": "A" * 43 + "=", "rows": rows, "rows_sha256": ["A" * 43 + "="] * 3},
        "index": 0, "path": [],
    }]).encode()


@pytest.mark.parametrize("count", [-1, CSV_MAX_ROWS + 1, 2**32, 2**63])
def test_leaf_row_counts_are_bounded_when_decoded(count):
    # found by the leaves fuzz target: a count outside u32 crashed the leaf hash
    with pytest.raises(FormatError):
        decode_leaves(_leaf([count, 0, 0]))


def test_leaf_row_counts_within_the_limit_decode():
    assert decode_leaves(_leaf([CSV_MAX_ROWS, 0, 1]))[0].leaf.rows == (CSV_MAX_ROWS, 0, 1)
