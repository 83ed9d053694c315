"""``secxfer validate`` and ``secxfer sample``: annex CSV checking and sample data."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from secxfer.cli.messages import TOP_INSURERS

SAMPLE_HELP = """Write realistic sample annex files (fictitious people) for a period.

Writes annex1_PERIOD.csv, annex2_PERIOD.csv and annex3_PERIOD.csv (CP932, CRLF,
Japanese header) into DIR: ROWS valid rows in all, half in 別紙1. --invalid K adds K
labelled invalid rows and lists where they are. Same seed, same bytes.

Examples:

\b
  secxfer sample --out demo --period 2026-10 --rows 5000
  secxfer sample --out bench --period 2019-04..2026-10 --rows 100000 --seed 7
  secxfer sample --out broken --period 2026-10 --rows 300 --invalid 20
"""


def register(app: typer.Typer) -> None:
    """Add ``validate`` and ``sample`` to ``app``."""
    from secxfer.cli.i18n import t

    @app.command("validate", help=t("help.validate"))
    def validate_command(
        files: Annotated[list[Path], typer.Argument(metavar="FILE...", help="Annex CSV files.", show_default=False)],
        annex: Annotated[int, typer.Option("--annex", min=1, max=3, help="Which annex the files are: 1, 2 or 3.")],
        period: Annotated[
            str | None,
            typer.Option("--period", help="YYYY-MM, YYYY-MM..YYYY-MM or YYYY-MM..; event dates must fall in it."),
        ] = None,
        profile: Annotated[str, typer.Option("--profile", help="Input profile (docs/input-profiles.md).")] = "default",
        json_output: Annotated[bool, typer.Option("--json", help="Print a JSON report on stdout instead.")] = False,
        notes: Annotated[bool, typer.Option("--notes/--no-notes", help="Show notes (ward routing, era dates).")] = True,
        top: Annotated[int, typer.Option("--top", min=0, help="Insurers listed in the summary.")] = TOP_INSURERS,
    ) -> None:
        import msgspec

        from secxfer import validate_annex
        from secxfer.cli.messages import validate_summary

        report = validate_annex(files, annex=annex, period=period, profile=profile)
        if json_output:
            typer.echo(msgspec.json.format(msgspec.json.encode(report), indent=2).decode())
        else:
            from secxfer.cli.messages import problem_line

            for problem in report.problems:
                if notes or problem.severity == "error":
                    typer.echo(problem_line(problem))
            typer.echo("\n".join(validate_summary(report, top=top)))
        report.raise_if_rejected()

    @app.command("sample", help=SAMPLE_HELP)
    def sample_command(
        out: Annotated[Path, typer.Option("--out", help="Folder to write into (created if missing).")],
        period: Annotated[str, typer.Option("--period", help="YYYY-MM, YYYY-MM..YYYY-MM or YYYY-MM..")],
        rows: Annotated[int, typer.Option("--rows", min=0, help="Valid rows over the three files.")] = 1000,
        seed: Annotated[int, typer.Option("--seed", help="Random seed; the same seed gives the same bytes.")] = 1,
        invalid: Annotated[int, typer.Option("--invalid", min=0, help="Labelled invalid rows to add.")] = 0,
        insurer: Annotated[
            list[str] | None, typer.Option("--insurer", help="Only this insurer's residents (repeatable).")
        ] = None,
        encoding: Annotated[str, typer.Option("--encoding", help="cp932, or utf-8 (written with a BOM).")] = "cp932",
    ) -> None:
        from secxfer.domain.sample import generate_sample

        result = generate_sample(out, period=period, rows=rows, seed=seed, invalid=invalid,
                                 insurers=insurer or None, encoding=encoding)
        for path, count in zip(result.files, result.rows_per_file, strict=True):
            typer.echo(f"{path}\t{count} rows")
        for label in result.invalid_rows:
            typer.echo(f"invalid: {label.file}:{label.line}: {label.code}")
