"""Types: every public library parameter is annotated, and the type checker passes.

The annotation check reads the source with ``ast`` (no import, no type checker needed),
so a plain ``pytest`` catches an untyped parameter. The type checker's run needs mypy
(``pip install -e '.[test]'``); .ci/run runs it before the tests, so CI never skips it.
"""

from __future__ import annotations

import ast
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "secxfer"
# The command line is typed by its framework's signatures (typer), not checked here.
NOT_LIBRARY = ("cli",)
# Functions left untyped for now, by name (so a move does not break the list). Each entry
# is a debt; the test below fails once one is typed and still listed.
NOT_YET_TYPED: set[str] = set()


def untyped(source: str) -> list[tuple[int, str, str]]:
    """(line, function, parameter or "return") for each public function or method in
    ``source`` with a parameter or its return left unannotated. Private names (``_x``),
    methods of private classes and functions nested in functions are not public."""
    found: list[tuple[int, str, str]] = []

    def visit(node: ast.AST, public: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef):
                visit(child, public and not child.name.startswith("_"))
            elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                name = child.name
                if public and (not name.startswith("_") or name == "__init__"):
                    args = child.args
                    params = [*args.posonlyargs, *args.args, *args.kwonlyargs]
                    params += [a for a in (args.vararg, args.kwarg) if a is not None]
                    if isinstance(node, ast.ClassDef) and params and params[0].arg in ("self", "cls"):
                        params = params[1:]
                    found.extend((child.lineno, name, p.arg) for p in params if p.annotation is None)
                    if child.returns is None and name != "__init__":
                        found.append((child.lineno, name, "return"))
            # functions nested in a function are not part of any interface: not visited

    visit(ast.parse(source), True)
    return found


def library_files() -> list[Path]:
    return [
        path for path in sorted(PACKAGE.rglob("*.py"))
        if path.relative_to(PACKAGE).parts[0] not in NOT_LIBRARY
    ]


def test_every_public_library_parameter_and_return_is_typed():
    missing = [
        f"{path.relative_to(ROOT)}:{line}: {function}: {what}"
        for path in library_files()
        for line, function, what in untyped(path.read_text(encoding="utf-8"))
        if function not in NOT_YET_TYPED
    ]
    assert not missing, "public functions without types:\n" + "\n".join(missing)


def test_the_not_yet_typed_list_holds_only_untyped_functions():
    still = {f for path in library_files() for _, f, _ in untyped(path.read_text(encoding="utf-8"))}
    assert not NOT_YET_TYPED - still, f"typed now, remove from NOT_YET_TYPED: {sorted(NOT_YET_TYPED - still)}"


def test_the_annotation_check_finds_what_it_is_for():
    source = '''
def typed(a: int, *rest: str, key: bytes = b"", **more: int) -> None: ...
def loose(a, b: int, *, key=None): ...
def _private(a): ...
class Public:
    def __init__(self, size) -> None: ...
    def method(self, x: int): ...
    @classmethod
    def make(cls, y: int) -> "Public": ...
    def _hidden(self, z): ...
class _Private:
    def method(self, x): ...
def outer() -> None:
    def inner(x): ...
'''
    assert untyped(source) == [
        (3, "loose", "a"), (3, "loose", "key"), (3, "loose", "return"),
        (6, "__init__", "size"), (7, "method", "return"),
    ]


def half_typed(source: str) -> list[tuple[int, str]]:
    """(line, function) for every function, private and nested ones too, that annotates some
    of its parameters or its return but not all: mypy's ``disallow_incomplete_defs``, which
    a plain pytest without mypy enforces here (``__init__`` may leave out ``-> None``)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            args = node.args
            params = [*args.posonlyargs, *args.args, *args.kwonlyargs]
            params += [a for a in (args.vararg, args.kwarg) if a is not None]
            if params and params[0].arg in ("self", "cls") and params[0].annotation is None:
                params = params[1:]
            marks = [p.annotation is not None for p in params]
            if node.name != "__init__" or not any(marks):
                marks.append(node.returns is not None)
            if any(marks) and not all(marks):
                found.append((node.lineno, node.name))
    return found


# The modules mypy checks (pyproject.toml [tool.mypy] exclude).
NOT_CHECKED = ("cli", "testing", "report", "__main__.py")


def test_no_checked_function_is_half_typed():
    offenders = [
        f"{path.relative_to(ROOT)}:{line}: {function}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.relative_to(PACKAGE).parts[0] not in NOT_CHECKED
        for line, function in half_typed(path.read_text(encoding="utf-8"))
    ]
    assert not offenders, "functions typed in part (annotate every parameter and the return):\n" + "\n".join(
        offenders
    )


def test_the_half_typed_check_finds_what_it_is_for():
    source = '''
def whole(a: int) -> int: ...
def bare(a, b): ...
def half(a: int, b): ...
def no_return(a: int): ...
class Thing:
    def __init__(self, a: int): ...
    def method(self, a) -> None: ...
def outer() -> None:
    def inner(x: int): ...
'''
    assert sorted(half_typed(source)) == [(4, "half"), (5, "no_return"), (8, "method"), (10, "inner")]


@pytest.mark.skipif(importlib.util.find_spec("mypy") is None,
                    reason="mypy is not installed (pip install -e '.[test]'); .ci/run always runs it")
def test_mypy_passes_on_the_library():
    env = {**os.environ, "MYPY_FORCE_COLOR": "0"}
    run = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-error-summary", "--cache-dir", str(ROOT / ".mypy_cache")],
        cwd=ROOT, capture_output=True, text=True, env=env,
    )
    assert run.returncode == 0, f"mypy (settings in pyproject.toml [tool.mypy]):\n{run.stdout}{run.stderr}"
