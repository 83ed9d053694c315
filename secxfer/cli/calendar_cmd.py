"""``secxfer calendar``: the delivery deadline of a period and how it was found."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    import datetime

def register(app: typer.Typer) -> None:
    """Add ``calendar`` to ``app``."""
    from secxfer.cli.i18n import t

    @app.command("calendar", help=t("help.calendar"))
    def calendar_command(
        period: Annotated[str, typer.Argument(help="YYYY-MM, YYYY-MM..YYYY-MM or YYYY-MM.. (open end: this month)")],
        holidays_file: Annotated[
            Path | None,
            typer.Option("--holidays-file", help="Override file adding newly announced holidays (docs/calendar.md)."),
        ] = None,
        json_output: Annotated[bool, typer.Option("--json", help="Print a JSON object instead of text.")] = False,
        today: Annotated[
            str | None, typer.Option("--today", help="Count days left from this date (YYYY-MM-DD), not today in Japan.")
        ] = None,
    ) -> None:
        import msgspec

        from secxfer.cli.messages import calendar_lines
        from secxfer.domain.calendar import explain_deadline, load_holiday_overrides
        from secxfer.domain.period import parse_period, tokyo_today

        extra = load_holiday_overrides(holidays_file) if holidays_file is not None else None
        day = _parse_day(today) if today is not None else tokyo_today()
        explanation = explain_deadline(parse_period(period, today=day), extra_holidays=extra)
        if json_output:
            report = msgspec.to_builtins(explanation) | {
                "today": day.isoformat(),
                "days_left": (explanation.deadline - day).days,
            }
            typer.echo(msgspec.json.encode(report).decode())
        else:
            typer.echo("\n".join(calendar_lines(explanation, today=day)))


def _parse_day(text: str) -> datetime.date:
    import datetime
    import unicodedata

    from secxfer.errors import UsageError

    try:
        return datetime.date.fromisoformat(unicodedata.normalize("NFKC", text).strip())
    except ValueError:
        raise UsageError(f"--today {text!r} is not a date", hint="give it as YYYY-MM-DD") from None
