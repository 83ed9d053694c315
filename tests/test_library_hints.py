"""The library speaks no CLI: no flag and no command line in its messages and hints, and no
print, prompt or terminal.

A Python caller has no ``--home`` to pass and no ``secxfer log verify`` to run; the
library says what to do in words and carries the particulars as ``facts``. The CLI adds
its own flags and commands from the catalog (``advice.<name>`` for a raise site's
``facts["advice"]``, ``error.<Class>.hint`` for a class's default hint).
"""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "secxfer"
FLAG = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")
# Strings that look like a flag but are data, each with its reason.
ALLOWED: dict[str, str] = {}


@cache
def commands() -> tuple[str, ...]:
    """The CLI's top-level command and group names, from the app itself."""
    from typer.main import get_command

    from secxfer.cli.app import build_app

    return tuple(sorted(get_command(build_app([])).commands))


def cli_wording(text: str) -> list[str]:
    """The flags and ``secxfer COMMAND`` lines in ``text``."""
    command = re.compile(r"\bsecxfer (?:%s)\b" % "|".join(map(re.escape, commands())))
    return FLAG.findall(text) + command.findall(text)


def _docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                ids.add(id(body[0].value))
    return ids


def library_strings(package: Path = PACKAGE) -> list[tuple[str, int, str]]:
    """Every string literal (f-string parts included, docstrings left out) in the library
    outside ``cli/``: (file, line, text)."""
    found = []
    for path in sorted(package.rglob("*.py")):
        relative = path.relative_to(package).as_posix()
        if relative.startswith("cli/"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skip = _docstrings(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
                found.append((relative, node.lineno, node.value))
    return found


def test_no_library_string_names_a_cli_flag_or_command():
    offending = [
        f"{file}:{line}: {text!r} names {', '.join(words)}"
        for file, line, text in library_strings()
        if (words := [w for w in cli_wording(text) if w not in ALLOWED])
    ]
    assert offending == [], "\n".join(offending)


def test_the_scan_finds_a_flag_and_a_command_line(tmp_path):
    (tmp_path / "cli").mkdir()
    (tmp_path / "cli" / "x.py").write_text('HINT = "pass --home"\n')  # the CLI may name its flags
    (tmp_path / "a.py").write_text(
        '"""Docstrings may show the command: secxfer log verify --home H."""\n'
        'def f(home):\n'
        '    raise ValueError(f"no log in {home}", "check --home")\n'
        'HINT = "run \'secxfer log verify\' first"\n'
        'FINE = "secxfer never writes through links; a-b--c is no flag"\n'
    )
    hits = sorted((line, cli_wording(text)) for _, line, text in library_strings(tmp_path) if cli_wording(text))
    assert hits == [(3, ["--home"]), (4, ["secxfer log"])]


@pytest.mark.parametrize("text", ["secxfer seal --again", "use -i/--identity", "(--since)"])
def test_cli_wording_is_recognised(text):
    assert cli_wording(text)


# What only a front end does: print, prompt, look at the terminal, parse a command line.
UI_MODULES = {"getpass", "typer", "click", "readline"}
UI_CALLS = {"print", "input", "breakpoint"}
UI_ATTRIBUTES = {"isatty", "stdout", "stderr", "stdin", "getpass"}


def ui_uses(package: Path = PACKAGE) -> list[str]:
    """Every print, prompt, terminal or CLI-framework use in the library outside ``cli/``."""
    found = []
    for path in sorted(package.rglob("*.py")):
        relative = path.relative_to(package).as_posix()
        if relative.startswith("cli/") or relative == "__main__.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name.split(".")[0] for a in node.names if a.name.split(".")[0] in UI_MODULES]
            elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in UI_MODULES:
                names = [node.module or ""]
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in UI_CALLS:
                names = [node.func.id]
            elif isinstance(node, ast.Attribute) and node.attr in UI_ATTRIBUTES:
                names = [node.attr]
            found += [f"{relative}:{node.lineno}: {name}" for name in names]
    return found


def test_the_library_prints_prompts_and_parses_no_command_line():
    """Output, prompts and the terminal belong to the CLI (secxfer/cli/): the library returns
    data, reports progress through callbacks and takes a passphrase from its caller."""
    assert ui_uses() == []


def test_the_ui_scan_finds_print_prompt_and_terminal(tmp_path):
    (tmp_path / "cli").mkdir()
    (tmp_path / "cli" / "x.py").write_text("import typer\nprint('the CLI may')\n")
    (tmp_path / "a.py").write_text(
        "import sys, getpass\n"
        "def f():\n"
        "    print('x', file=sys.stderr)\n"
        "    return sys.stdin.isatty() and input('?')\n"
    )
    found = {line.split(": ", 1)[1] for line in ui_uses(tmp_path)}
    assert found == {"getpass", "print", "stderr", "stdin", "isatty", "input"}
