"""Lazy CLI start-up: a command loads only its own module, and --help still lists everything.

Start-up speed itself is measured in bench/ (``bench/run --only startup``); these
tests pin the behaviour that makes it fast without timing anything.
"""

from __future__ import annotations

import json
import subprocess
import sys

from secxfer.cli import run
from secxfer.cli.app import COMMAND_MODULES, MODULES, build_app, registered_names


def _loaded_after(args: list[str]) -> set[str]:
    code = (
        "import json, sys; from secxfer.cli import run; "
        f"run({args!r}); print(json.dumps(sorted(sys.modules)))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def test_help_lists_every_command_of_every_module(capsys):
    everything = registered_names(build_app())
    assert {"validate", "calendar", "age", "keys", "directory", "seal", "relay", "open", "verify", "demo"} <= everything
    assert run(["--help"]) == 0
    listed = capsys.readouterr().out
    for name in everything:
        assert f"  {name} " in listed or listed.rstrip().endswith(f"  {name}"), name


def test_every_command_is_found_when_named_first():
    everything = registered_names(build_app())
    for name in everything:
        assert name in registered_names(build_app([name, "--help"]))


def test_the_shortcut_table_has_no_stale_entries():
    for name, module in COMMAND_MODULES.items():
        assert module in MODULES
        assert name in registered_names(build_app([name])), f"{name} is not registered by {module}"


def test_a_named_command_registers_only_its_module():
    only_chain = registered_names(build_app(["open", "package.age"]))
    assert "open" in only_chain and "directory" not in only_chain and "age" not in only_chain


def test_a_misspelt_command_is_a_usage_error_with_every_command_known(capsys):
    assert run(["opne"]) == 2
    assert "No such command" in capsys.readouterr().err


def test_root_options_before_the_command_do_not_hide_it():
    assert "age" in registered_names(build_app(["--help", "age"]))


def test_verify_help_leaves_other_wings_unloaded():
    loaded = _loaded_after(["verify", "--help"])
    assert "secxfer.cli.chain_cmd" in loaded
    for lazy in ("secxfer.cli.directory_cmd", "secxfer.cli.keys_cmd", "secxfer.cli.age_cmd", "secxfer.domain.calendar",
                 "rich"):
        assert lazy not in loaded, lazy


def test_the_app_attribute_still_gives_the_complete_app():
    from secxfer.cli import app as app_module

    assert registered_names(app_module.app) == registered_names(build_app())


def _loaded_by_import(statement: str) -> set[str]:
    code = f"import json, sys; {statement}; print(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def test_the_trust_wing_imports_its_parts_on_first_use():
    loaded = _loaded_by_import("import secxfer.trust")
    for lazy in ("secxfer.trust.authoring", "secxfer.trust.cards", "secxfer.trust.secret_keys", "nacl.pwhash"):
        assert lazy not in loaded, lazy
    from secxfer import trust

    assert callable(trust.sign_directory) and trust.KeyCard.__name__ == "KeyCard"  # the names still resolve
    assert set(trust.__all__) <= set(dir(trust))


def test_the_officer_workbook_needs_no_spreadsheet_library():
    loaded = _loaded_by_import("from secxfer.domain.workbook import build_workbook")
    assert not any(name.split(".")[0] in ("openpyxl", "et_xmlfile") for name in loaded)
