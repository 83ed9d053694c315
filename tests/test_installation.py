"""One default home on every OS, shared by the trust store, the chain, the ledger and the CLI."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from secxfer import installation
from secxfer.chain import home as chain_home
from secxfer.trust import store as trust_store


@pytest.mark.parametrize(
    ("platform", "env", "expected"),
    [
        ("win32", {"LOCALAPPDATA": "C:/Users/clerk/AppData/Local"}, Path("C:/Users/clerk/AppData/Local/secxfer")),
        ("win32", {}, Path.home() / "AppData" / "Local" / "secxfer"),
        ("darwin", {}, Path.home() / "Library" / "Application Support" / "secxfer"),
        ("linux", {"XDG_DATA_HOME": "/srv/data"}, Path("/srv/data/secxfer")),
        ("linux", {}, Path.home() / ".local" / "share" / "secxfer"),
    ],
)
def test_the_default_home_per_platform(monkeypatch, platform, env, expected):
    for name in ("SECXFER_HOME", "LOCALAPPDATA", "XDG_DATA_HOME"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(sys, "platform", platform)
    assert installation.default_home() == expected
    # directory import (trust store), seal/relay/open (chain) and the CLI all agree.
    assert trust_store.TrustStore().home == expected
    assert chain_home.default_home() == expected


def test_secxfer_home_wins_everywhere(monkeypatch, tmp_path):
    monkeypatch.setenv("SECXFER_HOME", str(tmp_path))
    monkeypatch.setattr(sys, "platform", "win32")
    assert installation.default_home() == tmp_path


def test_there_is_one_definition():
    assert chain_home.default_home is installation.default_home
    assert trust_store.default_home is installation.default_home
