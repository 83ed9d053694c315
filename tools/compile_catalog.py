"""Write secxfer/cli/catalog/compiled.json from the catalog's TOML files.

Run after editing any catalog file: ``python tools/compile_catalog.py``. The CLI reads
the compiled form only while every TOML file still has the digest it was compiled
from, so a stale one costs start-up time, never a wrong message; a test fails on it.
"""

from __future__ import annotations

from secxfer.cli.i18n import CATALOG_DIR, COMPILED_NAME, compile_catalog


def main() -> None:
    target = CATALOG_DIR / COMPILED_NAME
    target.write_bytes(compile_catalog(CATALOG_DIR))
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
