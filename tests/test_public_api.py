"""The public API: ``import secxfer`` gives exactly the documented names, each resolves,
importing it stays light, and the CLI reaches the chain and the ledger only through it."""

from __future__ import annotations

import ast
import inspect
import subprocess
import sys
from pathlib import Path

import pytest

import secxfer

PACKAGE = Path(secxfer.__file__).resolve().parent
DOCUMENTED = {
    "__version__",
    # the installation, the key, the annex files
    "Installation", "TrustAnchor", "ParticipantKey", "AnnexFiles", "RowCounts", "AnnexNumber",
    # operations
    "seal", "relay", "open_package", "verify_package", "verify_medium", "validate_annex", "inspect_package",
    "collect_receipts", "forward_receipts", "reconcile", "status",
    "verify_log", "checkpoint_log", "compare_checkpoints", "recover_log", "purge",
    # results
    "SealResult", "RelayResult", "OpenResult", "OuterStatement", "MediaReport", "PackageFacts", "ValidationReport",
    "CollectResult", "Reconciliation", "Status", "LogCheck", "Carried", "Recovery", "PurgePlan", "PurgeResult",
    # errors
    "SecxferError", "OperationalError", "UsageError", "IntegrityError", "InputRejectedError", "NotFoundError",
    "OutputExistsError", "SignatureError", "NotForUsError", "ReplayError", "WrongPassphraseError",
    "SealRejectedError", "AnnexRejectedError", "IncompleteError", "ReconciliationError", "LogTamperedError",
}
OPERATIONS = ("seal", "relay", "open_package", "verify_package", "verify_medium", "validate_annex", "inspect_package",
              "collect_receipts", "forward_receipts", "reconcile", "status", "verify_log", "checkpoint_log",
              "compare_checkpoints", "recover_log", "purge")
# What the CLI may import from the chain and ledger wings directly: their documented faces
# for what the API leaves out. Everything else goes through ``secxfer.<name>``.
CLI_ALLOWED = {
    ("secxfer.ledger.errors", "PurgeNeedsConfirmationError"),  # the CLI's own refusal when nobody can answer
    ("secxfer.ledger.reconcile", "STATES"),  # the states' display order in the tables
}


def test_all_is_exactly_the_documented_names_and_each_resolves():
    assert set(secxfer.__all__) == DOCUMENTED
    assert len(secxfer.__all__) == len(set(secxfer.__all__))
    for name in secxfer.__all__:
        assert getattr(secxfer, name) is not None, name
    assert set(secxfer.__all__) <= set(dir(secxfer))
    with pytest.raises(AttributeError):
        secxfer.no_such_name  # noqa: B018


def test_every_error_is_in_the_tree_with_its_exit_code():
    for name in secxfer.__all__:
        value = getattr(secxfer, name)
        if isinstance(value, type) and issubclass(value, BaseException):
            assert issubclass(value, secxfer.SecxferError), name
    assert [secxfer.OperationalError.exit_code, secxfer.UsageError.exit_code, secxfer.IntegrityError.exit_code,
            secxfer.InputRejectedError.exit_code] == [1, 2, 3, 4]
    assert issubclass(secxfer.SealRejectedError, secxfer.InputRejectedError)
    assert issubclass(secxfer.ReplayError, secxfer.IntegrityError)


@pytest.mark.parametrize("name", OPERATIONS)
def test_operations_are_typed_documented_and_take_no_kwargs(name):
    function = getattr(secxfer, name)
    signature = inspect.signature(function)
    assert function.__module__.startswith("secxfer.api."), "the API, not a wing's internal function"
    assert "Raises" in (function.__doc__ or ""), f"{name} does not say what it raises"
    assert signature.return_annotation is not inspect.Signature.empty
    for parameter in signature.parameters.values():
        assert parameter.kind is not inspect.Parameter.VAR_KEYWORD, f"{name}(**{parameter.name})"
        assert parameter.annotation is not inspect.Parameter.empty, f"{name}({parameter.name}) has no type"
    assert "check_replay" not in signature.parameters


def test_importing_secxfer_loads_no_heavy_module():
    code = ("import sys, secxfer; heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
            "('cryptography', 'nacl', 'typer', 'msgspec', 'rich', 'openpyxl', 'holidays') or "
            "(m.startswith('secxfer.') and m != 'secxfer')); print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_py_typed_ships_with_the_package():
    assert (PACKAGE / "py.typed").is_file()
    pyproject = (PACKAGE.parent / "pyproject.toml").read_text(encoding="utf-8")
    assert '"secxfer" = ["py.typed"]' in pyproject


def _imports(path: Path) -> set[tuple[str, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[tuple[str, str]] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found |= {(node.module, alias.name) for alias in node.names}
        elif isinstance(node, ast.Import):
            found |= {(alias.name, "") for alias in node.names}
    return found


def test_the_cli_reaches_chain_and_ledger_only_through_the_api():
    wings = ("secxfer.chain", "secxfer.ledger")
    reached = {}
    for path in sorted((PACKAGE / "cli").rglob("*.py")):
        for module, name in _imports(path):
            if module.startswith(wings) and (module, name) not in CLI_ALLOWED:
                reached.setdefault(path.name, []).append(f"{module}.{name}")
    assert reached == {}, "use secxfer.<name> (or add the wing's face to CLI_ALLOWED with a reason)"


def test_the_scan_sees_an_internal_import(tmp_path):
    """The scan above must be able to fail: it finds a chain import where one is written."""
    sample = tmp_path / "cmd.py"
    sample.write_text("def f():\n    from secxfer.chain.seal import seal\n    import secxfer.ledger.recorded\n")
    assert ("secxfer.chain.seal", "seal") in _imports(sample)
    assert ("secxfer.ledger.recorded", "") in _imports(sample)


def test_the_chain_steps_without_their_trail_are_not_named_like_the_api():
    """``check_replay`` and friends stay internal: the chain's functions have other names."""
    from secxfer.chain import open as chain_open
    from secxfer.chain import relay as chain_relay
    from secxfer.chain import seal as chain_seal

    assert not hasattr(chain_seal, "seal") and not hasattr(chain_relay, "relay")
    assert not hasattr(chain_open, "open_package")
    assert "check_replay" in inspect.signature(chain_open.open_without_trail).parameters
