"""Named limits on every reader of outside data, enforced before allocation or arithmetic."""

from __future__ import annotations

import json

import pytest

from secxfer.chain import media
from secxfer.chain.verify import decode_leaves
from secxfer.errors import FormatError
from secxfer.limits import CSV_MAX_ROWS, MEDIA_INDEX_MAX_BYTES, OUTER_MAX_BYTES, PACKAGE_MAX_BYTES


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


def _sparse(path, size):
    with open(path, "wb") as handle:
        handle.truncate(size)
    return path


@pytest.mark.parametrize(
    ("reader", "suffix", "limit"),
    [("sidecar", ".age.sig", OUTER_MAX_BYTES), ("index", "", MEDIA_INDEX_MAX_BYTES), ("package", ".age", PACKAGE_MAX_BYTES)],
)
def test_medium_files_over_their_limit_are_refused_before_reading(tmp_path, reader, suffix, limit):
    # sparse files: nothing is allocated, so a read attempt would show as memory, not disk
    if reader == "sidecar":
        _sparse(tmp_path / f"p{suffix}", limit + 1)
        call = lambda: media.read_sidecar(tmp_path / "p.age")  # noqa: E731
    elif reader == "index":
        _sparse(tmp_path / media.INDEX_NAME, limit + 1)
        assert media.read_index_unverified(tmp_path) is None  # bookkeeping treats it as absent
        call = lambda: media.read_medium_file(tmp_path / media.INDEX_NAME, "medium index", limit)  # noqa: E731
    else:
        _sparse(tmp_path / f"p{suffix}", limit + 1)
        call = lambda: media.open_package_file(tmp_path / f"p{suffix}")  # noqa: E731
    with pytest.raises(FormatError, match=f"larger than {limit}"):
        call()
