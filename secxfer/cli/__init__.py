"""The ``secxfer`` command: a thin typer layer over the library.

``main`` is the one place that turns errors into exit codes and one-line messages;
commands themselves only call library functions and print results.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else list(argv)
    if argv is None and shell_leaves_wildcards():
        args = expand_wildcards(args)
    tolerate_unencodable_output()
    if args in (["--version"], ["-V"]):
        # Answered before importing typer so that version checks stay instant.
        from secxfer import __version__

        print(f"secxfer {__version__}")
        return
    sys.exit(run(args))


def tolerate_unencodable_output() -> None:
    """Print ``?`` for a character the output encoding lacks instead of failing.

    Japanese Windows writes cp932 when output goes to a file or a pipe
    (``secxfer validate … > result.txt``), and cp932 has no ``·``, ``—`` or ``–``: the
    summary line would end the command with an internal error after the work was done.
    """
    for stream in (sys.stdout, sys.stderr):
        if getattr(stream, "errors", None) == "strict" and hasattr(stream, "reconfigure"):
            try:
                stream.reconfigure(errors="replace")
            except (ValueError, OSError):  # a stream that cannot change any more: leave it
                pass


def shell_leaves_wildcards() -> bool:
    return sys.platform == "win32"


def expand_wildcards(args: list[str]) -> list[str]:
    """Expand ``*`` and ``?`` in arguments as a POSIX shell would (Windows only).

    cmd.exe and PowerShell pass ``E:\\agency-to-central\\*.age`` on unchanged, and click
    expands only when it reads sys.argv itself. Windows forbids both characters in
    file names, so an argument holding one is never a literal name; one that matches
    nothing is passed on as it is, and the command says it does not exist.
    """
    import glob

    out: list[str] = []
    for arg in args:
        matches = sorted(glob.glob(arg)) if ("*" in arg or "?" in arg) else []
        out.extend(matches or [arg])
    return out


def run(args: list[str]) -> int:
    """Run the CLI on ``args`` and return the exit code (never raises for bad input)."""
    import typer
    from typer._click import exceptions as click_exc  # typer >= 0.28 vendors click
    from typer.main import get_command

    from secxfer.cli.i18n import language, language_from, set_language, t

    # Chosen before any command module is imported: help texts are taken from the catalog then.
    set_language(language_from(args))
    from secxfer.cli.app import build_app, hoist_root_options

    args = hoist_root_options(args)
    from secxfer.cli import framework_words

    framework_words.install()
    from secxfer.errors import EXIT_OPERATIONAL, EXIT_USAGE, SecxferError

    command = get_command(build_app(args))
    try:
        result = command.main(args=args, prog_name="secxfer", standalone_mode=False)
    except SecxferError as error:
        _fail_error(error)
        return error.exit_code
    except typer.Exit as done:
        return done.exit_code
    except typer.Abort:
        _fail(t("cli.aborted"), None)
        return 130
    except click_exc.UsageError as error:
        if isinstance(error, click_exc.NoArgsIsHelpError) or language() == "en":
            error.show()
        else:
            print("\n".join(framework_words.usage_error_lines(error)), file=sys.stderr)
        return EXIT_USAGE
    except click_exc.ClickException as error:
        error.show()
        return error.exit_code
    except KeyboardInterrupt:
        _fail(t("cli.interrupted"), None)
        return 130
    except BrokenPipeError:
        return EXIT_OPERATIONAL
    except OSError as error:
        where = f" {error.filename!r}" if error.filename else ""
        _fail(f"{error.strerror or error}{where}", t("cli.os_error_hint"))
        return EXIT_OPERATIONAL
    except Exception as error:  # a bug, not bad input: one line unless debugging
        if os.environ.get("SECXFER_DEBUG"):
            raise
        _fail(
            t("cli.internal_error", detail=f"{type(error).__name__}: {error}"),
            t("cli.internal_error_hint"),
        )
        return EXIT_OPERATIONAL
    return result if isinstance(result, int) else 0


# An error message may quote what another participant signed (a receipt's detail, a
# file name on a medium): escaped like every other such text, with room for its context.
ERROR_MAX_CHARS = 1000


def _fail(message: str, hint: str | None) -> None:
    from secxfer.cli.i18n import t
    from secxfer.safetext import safe

    line = t("cli.error_line", message=safe(message, ERROR_MAX_CHARS))
    if hint:
        line += t("cli.hint_suffix", hint=safe(hint, ERROR_MAX_CHARS))
    print(line, file=sys.stderr)


def _fail_error(error) -> None:
    """One line for a SecxferError: in Japanese the class's title and hint, the English detail after.

    The hint is the CLI's: the library's hints name no flag or command, so where the error
    names its advice (``facts["advice"]``) or carries its class's default hint, the catalog
    words it with this CLI's flags and commands (``advice.<name>``, ``error.<Class>.hint``)."""
    from secxfer.cli.i18n import advice_text, error_text, language, t
    from secxfer.safetext import safe

    advice = advice_text(error)
    if language() == "en":
        if advice is None and error.hint == type(error).default_hint:
            advice = error_text(type(error), "hint")
        _fail(f"{error}", advice or error.hint)
        return
    title = error_text(type(error), "title") or t("error.SecxferError.title")
    hint = advice or error_text(type(error), "hint")
    worded = error_text(type(error), "detail", error.facts) if error.facts else None
    if worded is not None:  # the whole detail as a sentence of this language, from the error's facts
        detail = worded
    else:
        # A raise site's own hint is more specific than the class's: keep it, in English, with the detail.
        plain = advice is not None or error.hint == type(error).default_hint
        detail = f"{error}" if plain else f"{error}; hint: {error.hint}"
    print(t("cli.error_line_ja", title=title, hint=hint, detail=safe(detail, ERROR_MAX_CHARS)), file=sys.stderr)
