"""Shared test fixtures: paths to the shared age test kit and the stock age binary."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
TESTKIT_AGE = REPO.parent / "shared" / "testkit" / "age"
KEYS_EXAMPLE = REPO / "keys-example"


@pytest.fixture(scope="session")
def age_testkit() -> Path:
    """The shared age test vectors, read in place (never copied into the repo).

    A plain clone has no ``../shared``: the vector tests skip there, saying why. CI
    sets SECXFER_REQUIRE_TESTKIT (``.ci/run``), so there they cannot skip.
    """
    if not TESTKIT_AGE.is_dir():
        message = f"age test kit not found at {TESTKIT_AGE} (../shared beside the repo holds it)"
        if os.environ.get("SECXFER_REQUIRE_TESTKIT"):
            pytest.fail(message)
        pytest.skip(message)
    return TESTKIT_AGE


def stock_age() -> str | None:
    """Path of the stock ``age`` binary; CI sets SECXFER_REQUIRE_AGE so it cannot skip."""
    path = shutil.which("age")
    if path is None and os.environ.get("SECXFER_REQUIRE_AGE"):
        pytest.fail("the stock 'age' command is required here (apt-get install age)")
    return path


@pytest.fixture
def age_binary() -> str:
    path = stock_age()
    if path is None:
        pytest.skip("stock 'age' command not installed (apt-get install age)")
    return path


@pytest.fixture(autouse=True)
def english_by_default(monkeypatch):
    """Tests read English output unless they choose Japanese themselves (--lang or LANG)."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def run_cli(capsys, monkeypatch):
    """Run the CLI in-process: ``run_cli(*args, code=0) -> (stdout, stderr)``.

    Asserts the exit code and that no traceback reached the user; no passphrase leaks
    in from the developer's environment.
    """
    from secxfer.cli import run

    monkeypatch.delenv("SECXFER_PASSPHRASE", raising=False)

    def call(*args, code=0):
        result = run([str(a) for a in args])
        out, err = capsys.readouterr()
        assert result == code, f"exit {result}, expected {code}\nstdout: {out}\nstderr: {err}"
        assert "Traceback" not in err
        return out, err

    return call


@pytest.fixture
def english_afterwards():
    """Reset the process-wide CLI language after a test that switched it."""
    from secxfer.cli.i18n import set_language

    yield
    set_language("en")
