"""The CLI's error contract: exit codes and one-line messages, never a traceback."""

from __future__ import annotations

import subprocess
import sys

from secxfer.cli import run
from secxfer.errors import (
    EXIT_INTEGRITY,
    EXIT_REJECTED,
    EXIT_USAGE,
    InputRejectedError,
    IntegrityError,
    SecxferError,
    UsageError,
)


def test_version_is_printed_without_importing_typer():
    out = subprocess.run(
        [sys.executable, "-c", "import sys; from secxfer.cli import main; main(['--version']); print('typer' in sys.modules)"],
        capture_output=True, text=True, check=True,
    )
    assert out.stdout.splitlines() == ["secxfer 0.1.0", "False"]


def test_unknown_command_is_usage_error(capsys):
    assert run(["no-such-command"]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "No such command" in err and "Traceback" not in err


def test_exit_codes_belong_to_error_classes():
    assert SecxferError("x").exit_code == 1
    assert UsageError("x").exit_code == EXIT_USAGE
    assert IntegrityError("x").exit_code == EXIT_INTEGRITY
    assert InputRejectedError("x").exit_code == EXIT_REJECTED
    assert IntegrityError("x", hint="do y").hint == "do y"


def test_usage_lines_name_arguments_as_their_help_does(capsys):
    # PACKAGE, [IN], FILE CARD_OR_ENROLLMENT... (not typer 0.28's {package})
    for args, usage in ((["open", "--help"], "[OPTIONS] PACKAGE\n"), (["age", "encrypt", "--help"], "[OPTIONS] [IN]\n"),
                        (["directory", "add", "--help"], "[OPTIONS] FILE CARD_OR_ENROLLMENT...\n")):
        run(args)
        out = capsys.readouterr().out
        assert usage in out and "{" not in out.split("\n", 1)[0], out[:200]
    run(["open", "--help"])
    assert "\n  PACKAGE  The package addressed to you" in capsys.readouterr().out
