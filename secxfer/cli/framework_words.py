"""The command-line framework's own words (Usage, Options, [required], its usage errors) in the chosen language.

typer's vendored click writes a handful of fixed English words into every help page
and usage error. An operator who chose Japanese must not meet them, so this module
puts the catalog's words in their place: the gettext hooks typer uses for section
titles and markers, the usage prefix and the help option's text, and a Japanese
rendering of every usage error the parser raises. English output is left exactly as
the framework writes it.
"""

from __future__ import annotations

import re

from secxfer.cli.i18n import language, t

# typer's gettext'd words -> catalog keys (typer.core and typer.rich_utils call ``_``).
_GETTEXT = {
    "Options": "framework.options",
    "Arguments": "framework.arguments",
    "Commands": "framework.commands",
    "required": "framework.required",
    "default: {default}": "framework.default",
    "env var: {var}": "framework.env_var",
    "(dynamic)": "framework.dynamic",
    "Missing command.": "framework.missing_command",
    "No such command {name!r}.": "framework.no_such_command",
    "Aborted!": "framework.aborted",
}

_installed = False


def install() -> None:
    """Route the framework's fixed words through the catalog (idempotent; a no-op in English)."""
    global _installed
    if _installed or language() == "en":
        return
    import typer.core
    import typer.rich_utils
    from typer._click import core as click_core
    from typer._click import formatting

    def translated(text: str) -> str:
        key = _GETTEXT.get(text)
        # Placeholders stay the framework's own ({default}, {name!r}) so its .format() still works.
        return t(key) if key else text

    typer.core._ = translated  # type: ignore[attr-defined]
    typer.rich_utils._ = translated  # type: ignore[attr-defined]

    plain_write_usage = formatting.HelpFormatter.write_usage

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        plain_write_usage(self, prog, args, t("framework.usage") if prefix is None else prefix)

    formatting.HelpFormatter.write_usage = write_usage  # type: ignore[method-assign]

    plain_help_option = click_core.Command.get_help_option

    def get_help_option(self, ctx):
        option = plain_help_option(self, ctx)
        if option is not None:
            option.help = t("framework.help_option")
        return option

    click_core.Command.get_help_option = get_help_option  # type: ignore[method-assign]
    _installed = True


def usage_error_lines(error) -> list[str]:
    """A usage error (typer/click) as the lines to print in the current language.

    English keeps the framework's own wording; Japanese names what is wrong and how
    to get help, with option names and values as typed.
    """
    from typer._click import exceptions as click_exc

    lines: list[str] = []
    ctx = getattr(error, "ctx", None)
    if ctx is not None:
        lines.append(ctx.get_usage())
        if ctx.command.get_help_option(ctx) is not None:
            lines.append(t("framework.try_help", command=f"{ctx.command_path} {ctx.help_option_names[0]}"))
        lines.append("")
    try:
        message = _message(error, click_exc)
    except Exception:  # the framework changed shape: its own words beat a traceback
        message = error.format_message()
    lines.append(t("framework.error", message=message))
    return lines


def _message(error, click_exc) -> str:
    if isinstance(error, click_exc.NoSuchOption):
        text = t("framework.no_such_option", option=error.option_name)
        if error.possibilities:
            text += t("framework.possible_options", options=", ".join(sorted(error.possibilities)))
        return text
    if isinstance(error, click_exc.MissingParameter):
        hint = _param_hint(error)
        kind = error.param_type or (error.param.param_type_name if error.param is not None else "")
        key = "framework.missing_argument" if kind == "argument" else "framework.missing_option"
        return t(key, name=hint)
    if isinstance(error, click_exc.BadParameter):
        return t("framework.invalid_value", name=_param_hint(error), detail=_reason(error.message))
    if isinstance(error, click_exc.BadOptionUsage):
        if "requires" in error.message:
            return t("framework.option_needs_value", option=error.option_name)
        if "does not take a value" in error.message:
            return t("framework.option_takes_no_value", option=error.option_name)
    match = re.match(r"Got unexpected extra argument(?:s|\(s\))? \((.*)\)$", error.message, re.S)
    if match:
        return t("framework.extra_arguments", arguments=match.group(1))
    return _reason(error.message)


def _param_hint(error) -> str:
    hint = error.param_hint
    if hint is None and error.param is not None:
        try:
            hint = error.param.get_error_hint(error.ctx)  # typer 0.28 (click's signature)
        except TypeError:
            hint = error.param.get_error_hint()
    if isinstance(hint, (list, tuple)):
        return " / ".join(str(h) for h in hint)
    return str(hint or "")


# The framework's value checks (paths, numbers, choices): one Japanese sentence each.
# Compiled on the first usage error, not when every command starts.
_REASONS = (
    (r"^(?:File|Directory|Path) (.+) does not exist\.$", "framework.reason.missing_path"),
    (r"^(?:File|Directory|Path) (.+) is a file\.$", "framework.reason.is_file"),
    (r"^(?:File|Directory|Path) (.+) is a directory\.$", "framework.reason.is_directory"),
    (r"^(?:File|Directory|Path) (.+) is not readable\.$", "framework.reason.not_readable"),
    (r"^(?:File|Directory|Path) (.+) is not writable\.$", "framework.reason.not_writable"),
    (r"valid integer|is not a valid int(?:eger)?\.?$", "framework.reason.integer"),
    (r"valid number|valid float", "framework.reason.number"),
    (r"valid boolean", "framework.reason.boolean"),
    (r"^Input should be (.+)$", "framework.reason.choice"),
    (r"is not one of (.+?)\.?$", "framework.reason.choice"),
)


def _reason(message: str) -> str:
    if language() == "en":
        return message
    for pattern, key in _REASONS:
        found = re.search(pattern, message)
        if found:
            return t(key, what=found.group(1) if found.groups() else "")
    # Our own callbacks raise BadParameter with catalog text already in this language.
    return message
