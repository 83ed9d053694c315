"""``secxfer demo``: the national chain on test keys and generated data."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

HELP = """Run one month through the whole chain on TEST keys and generated data.

The agency seals, central relays to all 47 federations, each federation relays to
its municipalities, and every municipality opens its package; the counts must
reconcile (rows read = rows opened + rows withheld for lack of consent). Then the
receipts go back up (municipality → federation → central → agency) and the agency
reconciles the period and prints its status table.

Example: secxfer demo --workdir /tmp/demo --municipalities all --rows 20000 --seed 7
"""


def note_text(note) -> str:
    """A demo progress note (``secxfer.testing.demo.DemoNote``) in the current language."""
    from secxfer.cli.i18n import t

    return t(f"demo.note.{note.stage}", **note.values)


def repeat_commands(result) -> list[str]:
    """Command lines that repeat one path through the chain by hand (``result``: a
    ``secxfer.testing.demo.DemoResult``)."""
    w = result.workdir
    some = next(iter(sorted(p for p, n in result.summary["rows_per_municipality"].items() if n)), None)
    lines = [
        f"secxfer validate --annex 1 --period {result.summary['period']} {w}/source/*annex1*.csv",
        f"secxfer media verify {w}/media --directory {w}/key-directory.json",
    ]
    if some:
        fed = f"fed-{some[4:6]}"
        lines += [
            f"secxfer verify {w}/media/{fed}-to-{some}/*.age --directory {w}/key-directory.json",
            f"SECXFER_HOME={w}/try-home secxfer open {w}/media/{fed}-to-{some}/*.age --key {w}/keys/{some}.key --out {w}/try-open",
            f"secxfer keys age-identity {w}/keys/{some}.key > id.txt && "
            f"{'secxfer age decrypt' if result.summary.get('encryption') == 'mlkem768x25519' else 'age -d'} "
            f"-i id.txt {w}/media/{fed}-to-{some}/*.age | head -c 200 | xxd | head",
        ]
    lines += [
        f"secxfer status {result.summary['period']} --home {w}/homes/agency",
        f"secxfer reconcile {result.summary['period']} --home {w}/homes/agency",
        f"secxfer log verify --home {w}/homes/central",
    ]
    return lines


def register(app: typer.Typer) -> None:
    """Add ``demo`` to ``app``."""

    @app.command("demo", help=HELP)
    def demo_command(
        workdir: Annotated[Path, typer.Option("--workdir", "-w", help="New folder for the run.")] = Path("secxfer-demo"),
        rows: Annotated[int, typer.Option("--rows", help="Rows of generated annex data.")] = 2000,
        municipalities: Annotated[str, typer.Option("--municipalities", "-m", help="How many municipalities, or 'all' (1,741).")] = "60",
        seed: Annotated[int, typer.Option("--seed", help="Seed for keys and data (same seed, same run).")] = 7,
        period: Annotated[str | None, typer.Option("--period", help="Data month (default: last month).")] = None,
        rehearsal: Annotated[bool, typer.Option("--rehearsal", help="Mark the delivery as a REHEARSAL.")] = False,
        pq: Annotated[bool, typer.Option("--pq", help="Post-quantum hybrid keys (ML-KEM-768 + X25519) for everyone; stock age 1.1.1 cannot open the packages.")] = False,
    ) -> None:
        from secxfer.cli.i18n import t
        from secxfer.cli.messages import status_lines
        from secxfer.cli.progress import steps
        from secxfer.testing.demo import run_demo
        from secxfer.errors import UsageError

        if municipalities == "all":
            count = None
        elif municipalities.isdigit():
            count = int(municipalities)
        else:
            raise UsageError(f"--municipalities takes a number or 'all', not {municipalities!r}")
        if rows < 0:
            raise UsageError("--rows must not be negative")
        typer.echo(t("demo.test_keys", workdir=workdir), err=True)
        with steps(t("progress.demo")) as bar:
            result = run_demo(workdir, rows=rows, municipalities=count, seed=seed, period=period,
                              rehearsal=rehearsal, progress=lambda note: bar.note(note_text(note)),
                              step=bar.step if bar.drawn else None, pq=pq)
        s = result.summary
        r = s["reconciliation"]
        lines = [
            t("demo.headline", period=s["period"], rehearsal=t("demo.rehearsal") if s["rehearsal"] else "",
              pq=t("demo.pq") if pq else "", municipalities=s["participants"]["municipalities"], packages=s["packages"],
              seconds=f"{result.seconds:.1f}"),
            t("demo.rows_read", rows=s["rows_read"]),
            t("demo.rows_sealed", rows=s["rows_sealed"]),
            t("demo.rows_withheld", rows=s["rows_withheld"], codes=len(s["withheld_per_code"])),
            t("demo.rows_opened", rows=s["rows_opened"], municipalities=s["municipalities_opened"]),
            t("demo.reconciled", answer=t("demo.yes") if s["reconciled"] else t("demo.no")),
            t("demo.receipts", confirmed=r["municipalities_confirmed"], total=r["municipalities"],
              verdict=t("demo.passed") if r["complete"] else t("demo.failed")),
            *(f"  {line}" for line in status_lines(result.status, limit=60, full_table=result.workdir / "status.txt")),
            t("demo.summary", path=result.workdir / "demo-summary.json"),
            t("demo.report", path=result.workdir / "status.html"),
            t("demo.repeat"),
            *(f"  {line}" for line in repeat_commands(result)),
        ]
        typer.echo("\n".join(lines))
