"""The house's guard rails (docs/architecture.md): no import circle, the wing order, short files.

The import graph is read with ``ast`` from the source, so nothing is imported and a
circle is found even where Python would happen to survive it. Each check also runs on a
small made-up package here, so a checker that could no longer find anything fails too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "secxfer"

# The wings from the bottom up. A module may import its own wing and any wing on a lower
# rung, never one on its own rung (sideways) or above.
WING_ORDER: tuple[tuple[str, ...], ...] = (
    ("shared ground",),
    ("age", "domain"),
    ("trust",),
    ("chain",),
    ("ledger",),
    ("report",),
    ("testing",),
    ("public API",),
    ("cli",),
)
# Top-level modules and packages that belong to a wing of another name. The package root
# (``secxfer/__init__.py``, name "") and ``secxfer.api`` behind it are the public API.
MEMBERS = {
    "shared ground": (
        "errors", "limits", "models", "fsutil", "merkle", "safetext", "installation",
        "notices", "nofollow",
    ),
    "public API": ("", "api"),
    "cli": ("__main__",),
}
_WING_OF_MEMBER = {member: wing for wing, members in MEMBERS.items() for member in members}

MAX_LINES = 500
# Files allowed over MAX_LINES until their split lands; each entry is a debt, not a rule.
TOO_LONG_FOR_NOW: set[str] = set()


def module_files(package: Path) -> dict[str, Path]:
    """Dotted module name -> file, for every module under ``package``."""
    modules = {}
    for path in sorted(package.rglob("*.py")):
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports_of(
    module: str, path: Path, modules: dict[str, Path], *, runtime_top_level: bool
) -> list[tuple[str, int]]:
    """The package modules ``module`` imports, with line numbers.

    With ``runtime_top_level`` only the imports run when the module is loaded (not those
    inside functions or under ``if TYPE_CHECKING:``): the ones that can make a circle.
    Otherwise every import, wherever it sits: the ones the wing order is about.
    """
    root = next(iter(modules)).split(".")[0]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: list[tuple[str, int]] = []

    def visit(nodes: list[ast.stmt] | list[ast.AST]) -> None:
        for node in nodes:
            if isinstance(node, ast.Import):
                found.extend(
                    (alias.name, node.lineno)
                    for alias in node.names
                    if alias.name == root or alias.name.startswith(root + ".")
                )
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - node.level + 1]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                if target != root and not target.startswith(root + "."):
                    continue
                for alias in node.names:
                    sub = f"{target}.{alias.name}"
                    found.append((sub if sub in modules else target, node.lineno))
            elif runtime_top_level:
                if isinstance(node, ast.If):
                    if not _is_type_checking(node.test):
                        visit(node.body)
                    visit(node.orelse)
                elif isinstance(node, (ast.Try, ast.With)):
                    for block in ("body", "orelse", "finalbody"):
                        visit(getattr(node, block, []))
                    for handler in getattr(node, "handlers", []):
                        visit(handler.body)
            else:
                visit(list(ast.iter_child_nodes(node)))

    visit(ast.parse(path.read_text(encoding="utf-8"), str(path)).body)
    return found


def find_circles(package: Path) -> list[list[str]]:
    """Every import circle among the modules' load-time imports, each as the modules in
    order (Tarjan's strongly connected components, then one concrete loop per component)."""
    modules = module_files(package)
    graph = {
        name: sorted({t for t, _ in imports_of(name, path, modules, runtime_top_level=True) if t != name})
        for name, path in modules.items()
    }
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[set[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, []):
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(component)

    for node in graph:
        if node not in index:
            connect(node)
    return [_loop_in(sorted(component), graph) for component in components]


def _loop_in(component: list[str], graph: dict[str, list[str]]) -> list[str]:
    """One loop through a strongly connected component, starting at its first module."""
    start = component[0]
    members = set(component)
    path = [start]
    seen = {start}
    while True:
        step = next(t for t in graph[path[-1]] if t in members and (t == start or t not in seen))
        if step == start:
            return path + [start]
        if step in seen:  # pragma: no cover - a component always closes back to its start
            return path + [step]
        path.append(step)
        seen.add(step)


def wing_of(module: str) -> str:
    parts = module.split(".")
    top = parts[1] if len(parts) > 1 else ""
    return _WING_OF_MEMBER.get(top, top)


def rung_of(wing: str) -> int | None:
    return next((i for i, wings in enumerate(WING_ORDER) if wing in wings), None)


def wing_violations(package: Path) -> list[str]:
    """Every import of a wing that is not below the importer's, and every module in no wing."""
    modules = module_files(package)
    found = []
    for name, path in modules.items():
        wing = wing_of(name)
        rung = rung_of(wing)
        if rung is None:
            found.append(f"{name}: wing {wing!r} is not in the wing order (place it in "
                         "tests/test_architecture.py and docs/architecture.md)")
            continue
        for target, line in imports_of(name, path, modules, runtime_top_level=False):
            other = wing_of(target)
            other_rung = rung_of(other)
            if other != wing and (other_rung is None or other_rung >= rung):
                where = path.relative_to(package.parent)
                found.append(f"{where}:{line}: {wing} imports {target} ({other} is not below it)")
    return found


def too_long(package: Path, limit: int = MAX_LINES) -> dict[str, int]:
    """Package files over ``limit`` lines, path (relative to the package) -> line count."""
    counts = {}
    for path in sorted(package.rglob("*.py")):
        lines = path.read_text(encoding="utf-8").count("\n")
        if lines > limit:
            counts[path.relative_to(package).as_posix()] = lines
    return counts


# --- the house -------------------------------------------------------------------


def test_no_import_circle():
    circles = find_circles(PACKAGE)
    assert not circles, "import circles (load-time imports):\n" + "\n".join(
        " -> ".join(loop) for loop in circles
    )


def test_each_wing_imports_only_wings_below_it():
    violations = wing_violations(PACKAGE)
    assert not violations, "wing order broken:\n" + "\n".join(violations)


def test_no_library_file_over_500_lines():
    offenders = {p: n for p, n in too_long(PACKAGE).items() if p not in TOO_LONG_FOR_NOW}
    assert not offenders, f"files over {MAX_LINES} lines (split them along their seams): " + ", ".join(
        f"{p} ({n})" for p, n in sorted(offenders.items())
    )


def test_the_allow_list_holds_only_files_still_too_long():
    """An entry whose file was split (or removed) must leave the allow-list."""
    stale = TOO_LONG_FOR_NOW - set(too_long(PACKAGE))
    assert not stale, f"no longer over {MAX_LINES} lines, remove from TOO_LONG_FOR_NOW: {sorted(stale)}"


# --- the checkers find what they are for ------------------------------------------


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / "pkg" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root / "pkg"


def test_a_circle_is_found_and_named(tmp_path):
    package = _write(tmp_path, {
        "__init__.py": "",
        "trust/__init__.py": "",
        "trust/a.py": "from pkg.trust import b\n",
        "trust/b.py": "from .c import thing\n",
        "trust/c.py": "import pkg.trust.a\n",
        "trust/d.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.trust import a\n",
        "trust/e.py": "def late():\n    from pkg.trust import a\n",
    })
    assert find_circles(package) == [["pkg.trust.a", "pkg.trust.b", "pkg.trust.c", "pkg.trust.a"]]
    # Imports for type checking or inside functions run after loading: no circle.
    (package / "trust" / "c.py").write_text("def late():\n    import pkg.trust.a\n")
    assert find_circles(package) == []


@pytest.mark.parametrize(
    ("module", "text", "expected"),
    [
        ("chain/x.py", "from pkg.ledger.store import LedgerHome\n", "chain imports pkg.ledger.store"),
        ("chain/x.py", "def f():\n    from pkg.ledger import store\n", "chain imports pkg.ledger.store"),
        ("chain/x.py", "if TYPE_CHECKING:\n    import pkg.report\n", "chain imports pkg.report"),
        ("age/x.py", "from pkg.domain.period import Period\n", "age imports pkg.domain.period"),
        ("errors.py", "from pkg.trust.ids import x\n", "shared ground imports pkg.trust.ids"),
        ("report/x.py", "import pkg.testing.demo\n", "report imports pkg.testing.demo (testing"),
        ("testing/network.py", "from pkg.cli import app\n", "testing imports pkg.cli (cli"),
        ("ledger/x.py", "from pkg import Something\n", "ledger imports pkg (public API"),
        ("elsewhere/x.py", "", "wing 'elsewhere' is not in the wing order"),
    ],
)
def test_an_import_against_the_wing_order_is_found(tmp_path, module, text, expected):
    package = _write(tmp_path, {
        "__init__.py": "", "errors.py": "", "ledger/__init__.py": "", "ledger/store.py": "",
        "report/__init__.py": "", "domain/__init__.py": "", "domain/period.py": "",
        "trust/__init__.py": "", "trust/ids.py": "",
        module: text,
    })
    violations = wing_violations(package)
    assert len(violations) == 1 and expected in violations[0], violations


def test_imports_down_the_order_pass(tmp_path):
    package = _write(tmp_path, {
        "__init__.py": "from pkg.ledger import store\n",
        "errors.py": "", "limits.py": "from pkg import errors\n",
        "ledger/__init__.py": "", "ledger/store.py": "from pkg.chain import seal\nfrom . import other\n",
        "ledger/other.py": "", "chain/__init__.py": "", "chain/seal.py": "from ..trust import ids\n",
        "trust/__init__.py": "", "trust/ids.py": "from pkg.age.keys import k\nfrom pkg.errors import E\n",
        "age/__init__.py": "", "age/keys.py": "", "cli/__init__.py": "from pkg import api\n",
        "api/__init__.py": "from pkg import errors\n", "testing/__init__.py": "",
        "testing/network.py": "from pkg.report import x\n", "testing/demo.py": "from pkg.testing import network\n",
        "report/__init__.py": "", "report/x.py": "",
        "__main__.py": "from pkg.cli import main\n",
    })
    assert wing_violations(package) == []


def test_a_long_file_is_listed(tmp_path):
    package = _write(tmp_path, {"__init__.py": "", "domain/long.py": "x = 1\n" * 501, "short.py": "x = 1\n" * 500})
    assert too_long(package) == {"domain/long.py": 501}
