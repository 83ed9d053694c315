"""tests/vectors: reproducible good and bad packages, each with its expected outcome."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest

import secxfer.errors as errors
from secxfer.chain.open import open_without_trail as open_package
from secxfer.trust.secret_keys import load_secret_key

VECTORS = Path(__file__).parent / "vectors"
REPO = Path(__file__).resolve().parent.parent
NOW = dt.datetime(2026, 11, 2, 2, 0, tzinfo=dt.timezone.utc)
CASES = dict(line.split(": ") for line in (VECTORS / "MANIFEST.txt").read_text().splitlines())


def test_vectors_regenerate_byte_for_byte(tmp_path):
    subprocess.run([sys.executable, str(REPO / "tools" / "make_vectors.py"), str(tmp_path)], check=True)
    expected = sorted(p.name for p in VECTORS.iterdir() if p.name != "README.md")
    assert sorted(p.name for p in tmp_path.iterdir()) == expected
    for name in expected:
        assert (tmp_path / name).read_bytes() == (VECTORS / name).read_bytes(), name


@pytest.mark.parametrize("name", sorted(CASES))
def test_vector_outcome(tmp_path, name):
    key = load_secret_key(VECTORS / "mun-131016.key")
    anchor = (VECTORS / "root.json").read_bytes()
    out = tmp_path / "out"
    outcome = CASES[name]
    if outcome == "success":
        result = open_package(VECTORS / f"{name}.age", key=key, home=tmp_path / "home", out=out, now=NOW, anchor=anchor)
        assert result.chain == ("agency", "central", "fed-13") and result.outer_signature_checked
        with pytest.raises(errors.ReplayError):
            open_package(VECTORS / f"{name}.age", key=key, home=tmp_path / "home", out=tmp_path / "again", now=NOW, anchor=anchor)
        assert not (tmp_path / "again").exists()
    else:
        with pytest.raises(getattr(errors, outcome)):
            open_package(VECTORS / f"{name}.age", key=key, home=tmp_path / "home", out=out, now=NOW, anchor=anchor)
        assert not out.exists()
