"""Commands of this wing (filled in as the wing lands)."""

import typer


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
