"""Deleting without following links: the openat walk and the lstat fallback (Windows) alike."""

from __future__ import annotations

import hashlib
import os

import pytest

from secxfer.nofollow import (
    ABSENT,
    DIFFERS,
    LINKED,
    NOT_A_FILE,
    REMOVED,
    dir_fd_supported,
    remove_empty_folder,
    remove_files_named,
    remove_recorded,
)

DATA = b"row 1\r\nrow 2\r\n"
DIGEST = hashlib.sha256(DATA).digest()
WAYS = [pytest.param(False, id="openat"), pytest.param(True, id="lstat-fallback")]


@pytest.fixture(params=WAYS)
def fallback(request):
    if not request.param and not dir_fd_supported():
        pytest.skip("no dir_fd support on this platform")
    return request.param


@pytest.fixture
def folder(tmp_path):
    target = tmp_path / "out" / "2026-10"
    target.mkdir(parents=True)
    (target / "annex1.csv").write_bytes(DATA)
    return target


def test_removes_the_recorded_file(folder, fallback):
    assert remove_recorded(folder, "annex1.csv", DIGEST, fallback=fallback) == (REMOVED, len(DATA))
    assert not (folder / "annex1.csv").exists()
    assert remove_recorded(folder, "annex1.csv", DIGEST, fallback=fallback) == (ABSENT, 0)
    assert remove_recorded(folder / "gone", "annex1.csv", DIGEST, fallback=fallback) == (ABSENT, 0)


def test_other_content_is_kept(folder, fallback):
    (folder / "annex1.csv").write_bytes(b"changed")
    assert remove_recorded(folder, "annex1.csv", DIGEST, fallback=fallback) == (DIFFERS, 0)
    assert (folder / "annex1.csv").exists()


@pytest.mark.parametrize("level", [0, 1, 2])
def test_a_link_anywhere_on_the_path_is_not_followed(tmp_path, folder, fallback, level):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "annex1.csv").write_bytes(DATA)
    linked = [folder, folder.parent, tmp_path / "lnk"][level]
    if level == 2:  # an ancestor link, the recorded path reaching the folder through it
        (tmp_path / "lnk").symlink_to(elsewhere.parent, target_is_directory=True)
        recorded = tmp_path / "lnk" / "elsewhere"
    else:
        os.rename(linked, tmp_path / "moved")
        linked.symlink_to(elsewhere if level == 0 else elsewhere.parent, target_is_directory=True)
        recorded = folder if level == 0 else folder.parent / "elsewhere"
    assert remove_recorded(recorded, "annex1.csv", DIGEST, fallback=fallback)[0] == LINKED
    assert (elsewhere / "annex1.csv").read_bytes() == DATA


def test_a_linked_file_fifo_or_odd_name_is_not_removed(tmp_path, folder, fallback):
    (tmp_path / "real.csv").write_bytes(DATA)
    os.unlink(folder / "annex1.csv")
    (folder / "annex1.csv").symlink_to(tmp_path / "real.csv")
    assert remove_recorded(folder, "annex1.csv", DIGEST, fallback=fallback)[0] == LINKED
    assert (tmp_path / "real.csv").exists()
    if hasattr(os, "mkfifo"):  # a FIFO would block a reader that opened it blindly
        os.mkfifo(folder / "annex2.csv")
        assert remove_recorded(folder, "annex2.csv", DIGEST, fallback=fallback)[0] == NOT_A_FILE
    assert remove_recorded(folder, "../annex1.csv", DIGEST, fallback=fallback)[0] == NOT_A_FILE
    assert remove_recorded(folder.relative_to(tmp_path), "annex1.csv", DIGEST, fallback=fallback)[0] == NOT_A_FILE


def test_folder_removal_and_named_sweep_follow_no_link(tmp_path, folder, fallback):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "annex1.csv").write_bytes(DATA)
    (folder / "link").symlink_to(elsewhere, target_is_directory=True)
    (folder / "notes.txt").write_bytes(b"mine")
    removed, kept = remove_files_named(folder, {"annex1.csv"}.__contains__, fallback=fallback)
    assert (removed, kept) == (1, ["notes.txt"]) and (elsewhere / "annex1.csv").exists()
    assert not remove_empty_folder(folder, fallback=fallback)  # not empty
    os.unlink(folder / "notes.txt")
    assert remove_empty_folder(folder, fallback=fallback) and not folder.exists()
