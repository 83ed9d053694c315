"""The root typer app; each wing's commands live in their own module and register here.

Start-up is dominated by imports and by typer turning every command's signature into
click parameters, so :func:`build_app` registers only the module that owns the
command being run (``COMMAND_MODULES``); help, completion and any name it does not
know get every module, so ``secxfer --help`` always lists every command.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Sequence
from typing import Annotated

import typer

from secxfer import __version__
from secxfer.cli.i18n import LANGUAGES, set_language, t

# Every command module, in the order their commands are listed in --help.
MODULES = ("domain_cmd", "calendar_cmd", "age_cmd", "keys_cmd", "directory_cmd", "chain_cmd", "ledger_cmd", "demo_cmd")
# Top-level command or group -> the module that registers it. Only a shortcut: a name
# missing here (or a stale entry) falls back to registering every module.
COMMAND_MODULES = {
    "validate": "domain_cmd",
    "sample": "domain_cmd",
    "calendar": "calendar_cmd",
    "age": "age_cmd",
    "keys": "keys_cmd",
    "directory": "directory_cmd",
    "seal": "chain_cmd",
    "relay": "chain_cmd",
    "open": "chain_cmd",
    "verify": "chain_cmd",
    "inspect": "chain_cmd",
    "media": "chain_cmd",
    "demo": "demo_cmd",
    "status": "ledger_cmd",
    "reconcile": "ledger_cmd",
    "receipts": "ledger_cmd",
    "log": "ledger_cmd",
    "purge": "ledger_cmd",
}


def _version(value: bool) -> None:
    if value:
        typer.echo(f"secxfer {__version__}")
        raise typer.Exit()


def _language(value: str | None) -> str | None:
    # secxfer.cli.run has already chosen the language from the arguments; this checks the value.
    if value is not None:
        if value not in LANGUAGES:
            raise typer.BadParameter(t("cli.lang_invalid", value=value, choices=", ".join(LANGUAGES)))
        set_language(value)
    return value


def _quiet(value: bool) -> bool:
    from secxfer.cli.progress import set_quiet

    set_quiet(value)
    return value


# Root options that take a value: the command name is never the word after them.
ROOT_VALUE_OPTIONS = ("--lang",)


def _root(
    version: Annotated[
        bool, typer.Option("--version", "-V", help=t("opt.version"), callback=_version, is_eager=True)
    ] = False,
    lang: Annotated[
        str | None, typer.Option("--lang", metavar="ja|en", help=t("opt.lang"),
                                 callback=_language, is_eager=True, show_default=False)
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help=t("opt.quiet"), callback=_quiet)] = False,
) -> None:
    """secxfer command line."""


def _argument_metavar(self, ctx, *, usage: bool = False) -> str:
    """An argument as ``PACKAGE``, ``[IN]``, ``FILES...``, as help texts name it (typer 0.28
    writes a required argument as ``{package}``)."""
    var = self.metavar or (self.name or "").upper() + ("..." if self.nargs != 1 else "")
    return f"[{var}]" if usage and not self.required and not var.startswith("[") else var


def _new_app() -> typer.Typer:
    typer.core.TyperArgument.make_metavar = _argument_metavar  # type: ignore[method-assign]
    app = typer.Typer(
        name="secxfer",
        help=t("help.root"),
        no_args_is_help=True,
        pretty_exceptions_show_locals=False,
        add_completion=True,
        rich_markup_mode=None,
    )
    app.callback()(_root)
    return app


def _register(app: typer.Typer, modules: Sequence[str]) -> None:
    from secxfer.cli import helptext

    for name in modules:
        importlib.import_module(f"secxfer.cli.{name}").register(app)
    helptext.apply(app)  # every command's help in the chosen language
    helptext.apply_options(app)


def registered_names(app: typer.Typer) -> set[str]:
    """Top-level command and group names registered on ``app``."""
    names = {info.name or info.callback.__name__ for info in app.registered_commands}  # type: ignore[union-attr]
    return names | {info.name or info.typer_instance.info.name for info in app.registered_groups}  # type: ignore[union-attr]


# Root options an operator may also write after the subcommand (`secxfer open … --lang ja`).
HOISTED_FLAGS = ("--quiet", "-q")


def hoist_root_options(args: Sequence[str]) -> list[str]:
    """``args`` with ``--lang``/``--quiet`` moved in front of the command, wherever they were.

    Only up to a ``--``: what follows it is a file name, never an option.
    """
    front: list[str] = []
    rest: list[str] = []
    index = 0
    while index < len(args):
        arg = args[index]
        if arg == "--":
            rest.extend(args[index:])
            break
        if arg in ROOT_VALUE_OPTIONS and index + 1 < len(args):
            front.extend(args[index:index + 2])
            index += 2
            continue
        if arg.startswith("--lang=") or arg in HOISTED_FLAGS:
            front.append(arg)
        else:
            rest.append(arg)
        index += 1
    return front + rest


def _command_name(args: Sequence[str]) -> str | None:
    """The command the arguments name (skipping root options and their values), or None."""
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg in ROOT_VALUE_OPTIONS:
            skip = True
        elif not arg.startswith("-"):
            return arg
    return None


def build_app(args: Sequence[str] | None = None) -> typer.Typer:
    """The root app with what ``args`` needs: the owning module of its command, or every module."""
    completing = any(key.startswith("_SECXFER_COMPLETE") for key in os.environ)
    module = None if args is None or completing else COMMAND_MODULES.get(_command_name(args) or "")
    if module is not None:
        app = _new_app()
        _register(app, [module])
        if _command_name(args or ()) in registered_names(app):
            return app
    app = _new_app()
    _register(app, MODULES)
    return app


def __getattr__(name: str):
    # ``secxfer.cli.app.app``: the complete app, built on first use (importing this
    # module no longer imports every command module).
    if name == "app":
        app = build_app()
        globals()["app"] = app
        return app
    raise AttributeError(name)
