"""What the agency's operator reads from seal: the whole report when rows are rejected,
and every withheld municipality by code and name."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from secxfer.domain.sample import generate_sample
from secxfer.errors import EXIT_REJECTED
from secxfer.testing.network import build_network

PERIOD = "2026-10"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("sealcli")
    build_network(root, insurer_codes=["131016", "131024"], without_consent=["131024"],
                  now=dt.datetime.now(dt.timezone.utc))
    return root


def _as_agency(root: Path) -> list:
    return ["--key", root / "keys" / "agency.key", "--home", root / "homes" / "agency"]


def test_a_rejected_seal_prints_every_problem_then_one_error_line(world, run_cli, tmp_path):
    sample = generate_sample(tmp_path / "bad", period=PERIOD, rows=40, seed=3, invalid=6,
                             insurers=["131016", "131024"])
    files = [Path(f) for f in sample.files]
    _, err = run_cli("seal", "--period", PERIOD, "--annex1", files[0], "--annex2", files[1], "--annex3", files[2],
                     *_as_agency(world), "--out", tmp_path / "media", code=EXIT_REJECTED)
    report = [line for line in err.splitlines() if ": error: " in line and not line.startswith("secxfer:")]
    assert len(report) >= 6  # every rejected row, not the first three cut into one line
    assert all(line.split(":")[0] in {str(f) for f in files} for line in report)
    assert err.splitlines()[-1].startswith("secxfer: error: ") and "nothing was sealed" in err
    assert not (tmp_path / "media").exists() or not list((tmp_path / "media").rglob("*.age"))


def test_withheld_rows_name_the_municipality(world, run_cli, tmp_path):
    sample = generate_sample(tmp_path / "good", period=PERIOD, rows=40, seed=4, insurers=["131016", "131024"])
    files = [Path(f) for f in sample.files]
    out, _ = run_cli("seal", "--period", PERIOD, "--annex1", files[0], "--annex2", files[1], "--annex3", files[2],
                     *_as_agency(world), "--out", tmp_path / "media")
    (line,) = [line for line in out.splitlines() if line.strip().startswith("withheld 131024")]
    assert "中央区" in line and "委任状" in line
