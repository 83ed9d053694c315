"""``secxfer validate`` and ``secxfer sample``: annex CSV checking and sample data."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from secxfer.domain.validate import ValidationReport

VALIDATE_HELP = """Check annex CSV files (別紙1-3) and report every problem at once.

Each problem is printed as FILE:LINE:COLUMN: error|note: MESSAGE [code], then a
summary: files, rows, rejected rows and accepted rows per insurer. Rows are never
changed. Exit code 0 when every row is valid, 4 when any row or file is rejected.

Examples:

\b
  secxfer validate --annex 1 --period 2026-10 annex1_2026-10.csv
  secxfer validate --annex 2 --period 2019-04.. --json first-delivery/annex2.csv
  secxfer validate --annex 3 --profile utf-8 export.csv
"""

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

TOP_INSURERS = 10


def register(app: typer.Typer) -> None:
    """Add ``validate`` and ``sample`` to ``app``."""

    @app.command("validate", help=VALIDATE_HELP)
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

        from secxfer.domain.validate import validate_files

        report = validate_files(files, annex=annex, period=period, profile=profile)
        if json_output:
            typer.echo(msgspec.json.format(msgspec.json.encode(report), indent=2).decode())
        else:
            for problem in report.problems:
                if notes or problem.severity == "error":
                    typer.echo(f"{problem.source}:{problem.line}:{problem.column}: {problem.severity}: "
                               f"{problem.message} [{problem.code}]")
            typer.echo("\n".join(summary_lines(report, top=top)))
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


def summary_lines(report: ValidationReport, *, top: int = TOP_INSURERS) -> list[str]:
    """The human summary printed after the problems: counts only, never row contents."""
    from secxfer.domain.municipalities import lookup

    verdict = "OK" if report.ok else "REJECTED"
    lines = [
        f"{verdict}: 別紙{report.annex}, period {report.period or '(not checked)'}, profile {report.profile}",
        f"files {len(report.files)} · rows {report.rows} · accepted {report.accepted} · rejected {report.rejected}"
        f" · errors {report.errors} · notes {report.notes}",
    ]
    for summary in report.files:
        layout = f"{summary.encoding}{' with BOM' if summary.bom else ''}, {summary.newline}"
        layout += ", header" if summary.header else ", no header"
        lines.append(f"  {summary.source}: {layout}; {summary.rows_read} rows, {summary.rows_rejected} rejected")
    counts = sorted(report.insurer_counts.items(), key=lambda item: (-item[1], item[0]))
    if counts:
        shown = counts[:top]
        heading = "accepted rows per insurer" if len(shown) == len(counts) else (
            f"accepted rows per insurer (top {len(shown)} of {len(counts)})"
        )
        lines.append(heading + ":")
        width = len(str(shown[0][1])) if shown else 1
        lines.extend(f"  {code} {count:>{width}}  {lookup(code).name}" for code, count in shown)
        if len(shown) < len(counts):
            rest = sum(count for _, count in counts[len(shown):])
            lines.append(f"  … {len(counts) - len(shown)} more insurers: {rest} rows")
        lines.append(f"  total {report.accepted} rows for {len(counts)} insurers")
    return lines
