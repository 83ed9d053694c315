"""``secxfer calendar``: the delivery deadline of a period and how it was found."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    import datetime

HELP = """Print the deadline at central for a data month (or range), then the reasoning.

Data for month M is due one business day before the last business day of month M+1.
Business days exclude Saturdays, Sundays, national holidays and 29 Dec - 3 Jan.
The first line of output is the deadline as an ISO date.

Example: secxfer calendar 2026-10   (prints 2026-11-27 first)
"""


def register(app: typer.Typer) -> None:
    """Add ``calendar`` to ``app``."""

    @app.command("calendar", help=HELP)
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

        from secxfer.domain.calendar import explain_deadline, explanation_lines, load_holiday_overrides
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
            typer.echo("\n".join(explanation_lines(explanation, today=day)))


def _parse_day(text: str) -> datetime.date:
    import datetime
    import unicodedata

    from secxfer.errors import UsageError

    try:
        return datetime.date.fromisoformat(unicodedata.normalize("NFKC", text).strip())
    except ValueError:
        raise UsageError(f"--today {text!r} is not a date", hint="give it as YYYY-MM-DD") from None
