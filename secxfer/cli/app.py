"""The root typer app; each wing's commands live in their own module and register here."""

from __future__ import annotations

from typing import Annotated

import typer

from secxfer import __version__

app = typer.Typer(
    name="secxfer",
    help=(
        "Signed, encrypted, verifiable transfer of Specified Skilled Worker records "
        "(別紙1-3) from the agency through central and the prefectural federations to "
        "municipalities, on removable media.\n\n"
        "Exit codes: 0 ok, 1 operational failure, 2 usage, 3 authentication/integrity "
        "failure, 4 input data rejected."
    ),
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=True,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"secxfer {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", "-V", help="Print the version and exit.", callback=_version, is_eager=True)
    ] = False,
) -> None:
    """secxfer command line."""


def _register() -> None:
    from secxfer.cli import (
        age_cmd,
        calendar_cmd,
        chain_cmd,
        demo_cmd,
        directory_cmd,
        domain_cmd,
        keys_cmd,
        ledger_cmd,
    )

    for module in (domain_cmd, calendar_cmd, age_cmd, keys_cmd, directory_cmd, chain_cmd, ledger_cmd, demo_cmd):
        module.register(app)


_register()
