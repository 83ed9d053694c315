"""Named limits on every reader of outside data, enforced before allocation or arithmetic."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from secxfer.chain import media
from secxfer.chain.verify import decode_leaves
from secxfer.errors import FormatError
from secxfer.limits import CSV_MAX_ROWS, MEDIA_INDEX_MAX_BYTES, OUTER_MAX_BYTES, PACKAGE_MAX_BYTES


def _leaf(rows):
    return json.dumps([{
        "leaf": {"code": "131016", "salt": "A" * 43 + "=", "rows": rows, "rows_sha256": ["A" * 43 + "="] * 3},
        "index": 0, "path": [],
    }], separators=(",", ":")).encode()  # the canonical form (docs/format.md §1)


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


def test_documents_given_by_path_are_read_only_up_to_their_limit(tmp_path):
    import datetime as dt

    from secxfer.chain.trustlink import directory_for_checks
    from secxfer.cli import run as cli_run
    from secxfer.errors import EXIT_INTEGRITY
    from secxfer.fsutil import read_bounded
    from secxfer.ledger.checkpoint import PROOF_MAX_BYTES, parse_proof
    from secxfer.ledger.logcheck import compare_files

    big = _sparse(tmp_path / "big.json", 1 << 30)  # 1 GiB on paper, nothing allocated
    (tmp_path / "small").write_bytes(b"abc")
    assert read_bounded(tmp_path / "small", 3, "thing") == b"abc"
    with pytest.raises(FormatError, match="larger than 2 bytes"):
        read_bounded(tmp_path / "small", 2, "thing")
    with pytest.raises(FormatError, match="checkpoint"):
        compare_files(big, big, directory=None, now=None)
    with pytest.raises(FormatError, match="larger than"):
        parse_proof(b"secxfer-consistency-v1\n" + b"A" * PROOF_MAX_BYTES)
    with pytest.raises(FormatError, match="key directory file"):
        directory_for_checks(tmp_path / "home", big, dt.datetime.now(dt.timezone.utc))
    # the commands that read a card, a directory or a root from a file
    home = ["--home", str(tmp_path / "home")]
    assert cli_run(["keys", "show", str(big)]) == EXIT_INTEGRITY
    assert cli_run(["directory", "import", str(big), *home]) == EXIT_INTEGRITY
    assert cli_run(["media", "verify", str(tmp_path), "--directory", str(big), *home]) == EXIT_INTEGRITY
    key = Path(__file__).parent / "vectors" / "mun-131016.key"
    assert cli_run(["open", str(big), "--key", str(key), "--out", str(tmp_path / "out"), "--root", str(big), *home]) == EXIT_INTEGRITY
    assert not (tmp_path / "out").exists()
