"""Open stages its outputs beside ``out`` without listing ``out``'s parent."""

from __future__ import annotations

import os

import pytest

from secxfer.chain import open as chain_open
from secxfer.chain.open import _prepare_out, _staging_holder, _write_staged
from secxfer.fsutil import TEMP_PREFIX

OUTPUTS = {"annex1.csv": b"h\r\n1\r\n", "annex2.csv": b"h\r\n", "annex3.csv": b"h\r\n2\r\n"}


def test_leftovers_of_this_output_go_and_nothing_else_is_touched(tmp_path):
    out = tmp_path / "mun-131016"
    holder = _staging_holder(out)
    assert holder.parent == tmp_path and holder.name.startswith(TEMP_PREFIX)
    leftover = holder / "0123456789ab"
    leftover.mkdir(parents=True)
    (leftover / "annex1.csv").write_bytes(b"plaintext of a killed run")
    keep = [
        _staging_holder(tmp_path / "mun-131016x") / "0123456789ab",  # another output's staging
        _staging_holder(tmp_path / "mun-141003") / "0123456789ab",
        tmp_path / "mun-131016.bak",
    ]
    for folder in keep:
        folder.mkdir(parents=True)
        (folder / "annex1.csv").write_bytes(b"rows")
    assert _prepare_out(out, OUTPUTS) is False
    assert not holder.exists()
    assert all((folder / "annex1.csv").read_bytes() == b"rows" for folder in keep)


def test_the_parent_is_never_listed(tmp_path, monkeypatch):
    out = tmp_path / "mun-131016"
    listed = []
    real_listdir, real_scandir = os.listdir, os.scandir
    monkeypatch.setattr(os, "listdir", lambda p=".": listed.append(str(p)) or real_listdir(p))
    monkeypatch.setattr(os, "scandir", lambda p=".": listed.append(str(p)) or real_scandir(p))
    assert _prepare_out(out, OUTPUTS) is False
    _write_staged(out, OUTPUTS, tmp_path / "home")
    assert str(tmp_path) not in listed
    assert {p.name: p.read_bytes() for p in out.iterdir()} == OUTPUTS
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home", "mun-131016"]  # no staging holder left
    assert not list((tmp_path / "home" / "chain" / "staging").iterdir())  # nor its note in the home
    assert _prepare_out(out, OUTPUTS) is True  # a rerun finds the same outputs in place


def test_a_link_planted_as_the_holder_is_removed_not_followed(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "precious").write_bytes(b"keep")
    out = tmp_path / "opened" / "mun-131016"
    out.parent.mkdir()
    _staging_holder(out).symlink_to(elsewhere, target_is_directory=True)
    assert _prepare_out(out, OUTPUTS) is False
    assert not _staging_holder(out).exists() and (elsewhere / "precious").read_bytes() == b"keep"
    _write_staged(out, OUTPUTS, tmp_path / "home")
    assert sorted(p.name for p in elsewhere.iterdir()) == ["precious"]


def test_a_failed_write_leaves_no_output_and_no_plaintext(tmp_path, monkeypatch):
    out = tmp_path / "mun-131016"

    def failing_fsync(fd):
        if list(_staging_holder(out).glob("*/annex2.csv")):  # the second file fails to sync
            raise OSError(5, "I/O error")

    monkeypatch.setattr(chain_open.os, "fsync", failing_fsync)
    with pytest.raises(OSError):
        _write_staged(out, OUTPUTS, tmp_path / "home")
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["home"]
    assert not list((tmp_path / "home" / "chain" / "staging").iterdir())
