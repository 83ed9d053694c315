"""The compiled catalog (catalog/compiled.json) is the TOML files' messages, and is never used stale."""

from __future__ import annotations

import shutil

from secxfer.cli import i18n


def test_the_shipped_compiled_catalog_is_current():
    shipped = (i18n.CATALOG_DIR / i18n.COMPILED_NAME).read_bytes()
    assert shipped == i18n.compile_catalog(i18n.CATALOG_DIR), (
        "secxfer/cli/catalog/compiled.json is stale: run python tools/compile_catalog.py"
    )
    assert i18n._compiled(i18n.CATALOG_DIR) is not None


def test_an_edited_toml_file_is_read_as_it_is_not_from_a_stale_compile(tmp_path):
    folder = tmp_path / "catalog"
    shutil.copytree(i18n.CATALOG_DIR, folder)
    assert i18n._compiled(folder) is not None
    help_file = folder / "help.toml"
    text = help_file.read_text(encoding="utf-8")
    key, english = next((k, e["en"]) for k, e in i18n._file_messages(help_file).items()
                        if e.get("en") and f'en = "{e["en"]}"' in text)
    edited_folder = tmp_path / "edited"
    shutil.copytree(folder, edited_folder)
    edited = edited_folder / "help.toml"
    edited.write_text(text.replace(f'en = "{english}"', f'en = "{english} (edited)"', 1), encoding="utf-8")
    assert i18n._compiled(edited_folder) is None
    assert i18n._file_messages(edited)[key]["en"] == english + " (edited)"
    assert key in i18n._family(edited_folder, key.split(".", 1)[0])


def test_a_catalog_file_added_or_removed_makes_the_compile_stale(tmp_path):
    added = tmp_path / "added"
    shutil.copytree(i18n.CATALOG_DIR, added)
    (added / "extra.toml").write_text('[extra.word]\nen = "word"\nja = "語"\n', encoding="utf-8")
    assert i18n._compiled(added) is None
    assert i18n._family(added, "extra") == {"extra.word": {"en": "word", "ja": "語"}}
    removed = tmp_path / "removed"
    shutil.copytree(i18n.CATALOG_DIR, removed)
    (removed / "age.toml").unlink()
    assert i18n._compiled(removed) is None


def test_compiled_and_parsed_catalogs_word_every_message_alike(tmp_path):
    parsed_only = tmp_path / "parsed"
    shutil.copytree(i18n.CATALOG_DIR, parsed_only)
    (parsed_only / i18n.COMPILED_NAME).unlink()
    assert i18n._compiled(parsed_only) is None
    for path in sorted(i18n.CATALOG_DIR.glob("*.toml")):
        assert i18n._file_messages(parsed_only / path.name) == i18n._file_messages(path), path.name
    assert i18n._files_by_family(parsed_only) == {
        family: tuple(parsed_only / p.name for p in paths) for family, paths in i18n._files_by_family(i18n.CATALOG_DIR).items()
    }
