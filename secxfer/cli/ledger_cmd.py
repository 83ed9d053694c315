"""``status``, ``reconcile``, ``receipts``, ``log`` and ``purge``: the ledger wing's commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from secxfer.cli._common import HomeOption, PassphraseFdOption, installation_at, load_key, warn

OperatorOption = Annotated[
    str | None,
    typer.Option("--operator", help="Your name for the operations log (else $SECXFER_OPERATOR, else the participant id)."),
]
KeyOption = Annotated[Path, typer.Option("--key", "-k", help="Your participant key file (<id>.key).")]
AsOption = Annotated[str | None, typer.Option("--as", help="Whose view (default: the participant this home acts for).")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the JSON document (docs/ledger.md) instead of a table.")]

RECONCILE_HELP = """Prove a period complete: every municipality received exactly the agency's rows.

Exit 0 when every municipality below you is confirmed and nothing contradicts; 1 when
receipts or reports are still missing (the problems name them); 3 when evidence
contradicts itself (rows that differ, a package opened twice, counts that do not add up).
For the same result as a JSON document: secxfer status PERIOD --json.
"""


def register(app: typer.Typer) -> None:
    """Add the ledger commands to ``app``."""
    from secxfer.cli.i18n import t, worded

    @app.command("status", help=t("help.status"))
    def status_command(
        period: Annotated[str, typer.Argument(help="YYYY-MM or YYYY-MM..YYYY-MM.")],
        home: HomeOption = None,
        json_output: JsonOption = False,
        viewer: AsOption = None,
        holidays_file: Annotated[Path | None, typer.Option("--holidays-file", help="Holiday override file.")] = None,
        html: Annotated[
            Path | None, typer.Option("--html", help="Also write a self-contained HTML report (Japanese) to this file.")
        ] = None,
    ) -> None:
        import msgspec

        from secxfer import status
        from secxfer.cli.messages import status_lines

        result = status(period, installation=installation_at(home), viewer=viewer, holidays=holidays_file)
        if html is not None:
            from secxfer.report.status_page import write_status_page

            write_status_page(result, html)
        if json_output:
            from secxfer.safetext import safe_tree

            document = safe_tree(result.to_json())  # evidence's text escaped as in the table
            typer.echo(msgspec.json.format(msgspec.json.encode(document), indent=2).decode())
        else:
            typer.echo("\n".join(status_lines(result)))
        result.reconciliation.raise_if_contradicted()

    @app.command("reconcile", help=RECONCILE_HELP)
    def reconcile_command(
        period: Annotated[str, typer.Argument(help="YYYY-MM or YYYY-MM..YYYY-MM.")],
        home: HomeOption = None,
        viewer: AsOption = None,
    ) -> None:
        from secxfer import reconcile
        from secxfer.cli.messages import reconcile_summary

        result = reconcile(period, installation=installation_at(home), viewer=viewer)
        typer.echo("\n".join(reconcile_summary(result)))
        result.raise_if_incomplete()

    receipts_app = typer.Typer(help="Receipts on return media: collect them, forward them upward.", no_args_is_help=True)
    app.add_typer(receipts_app, name="receipts")

    @receipts_app.command("collect")
    def collect_command(
        path: Annotated[Path, typer.Argument(help="Return medium (root, <from>-to-<you> folder or receipts folder).")],
        key: KeyOption,
        home: HomeOption = None,
        operator: OperatorOption = None,
        passphrase_fd: PassphraseFdOption = None,
    ) -> None:
        """Decrypt, verify and keep every receipt and aggregate addressed to you, and check the log checkpoints
        carried with them against those held (exit 3 if anything is refused or a log forked, 5 if a checkpoint
        could not be proven)."""
        from secxfer import collect_receipts

        result = collect_receipts(path, key=load_key(key, passphrase_fd), installation=installation_at(home),
                                  operator=operator, notify=warn)
        typer.echo(t("receipts.collected", files=result.files, stored=result.stored, already=result.already,
                     refused=len(result.rejected) + len(result.checkpoints.rejected)))
        from secxfer.safetext import safe

        for line in result.rejected + result.checkpoints.rejected:  # names on the medium, reasons quoting them
            typer.echo(t("receipts.refused_line", line=safe(line)))
        _checkpoint_findings(result)

    @receipts_app.command("forward")
    def forward_command(
        period: Annotated[str, typer.Argument(help="YYYY-MM or YYYY-MM..YYYY-MM.")],
        key: KeyOption,
        out: Annotated[Path, typer.Option("--out", "-o", help="Root folder of the return medium.")],
        home: HomeOption = None,
        operator: OperatorOption = None,
        passphrase_fd: PassphraseFdOption = None,
    ) -> None:
        """Write your receipts (a municipality) or one signed aggregate (a relay) for the period onto a return medium."""
        from secxfer import forward_receipts

        for path in forward_receipts(period, key=load_key(key, passphrase_fd), installation=installation_at(home),
                                     out=out, operator=operator, notify=warn):
            typer.echo(str(path))

    def _checkpoint_findings(result) -> None:
        """Print what the carried checkpoints showed; exit 3 on a fork or a refusal, 5 if unproven."""
        from secxfer.errors import EXIT_UNPROVEN
        from secxfer.safetext import safe

        found = result.checkpoints  # lines quote what others signed: escaped
        for line in found.notes:
            typer.echo(t("receipts.checkpoint_line", line=safe(worded(line))))
        for line in found.restarts:
            warn(t("receipts.log_restarted", line=safe(line)))
        for line in found.forks:
            typer.echo(t("receipts.fork_line", line=safe(line)))
        for line in found.unproven:
            warn(t("receipts.unproven_line", line=safe(line)))
        result.raise_if_refused()
        if found.unproven:
            warn(t("receipts.unproven_summary", count=len(found.unproven)))
            raise typer.Exit(EXIT_UNPROVEN)

    log_app = typer.Typer(help="The tamper-evident operations log: verify, checkpoint, compare, recover.",
                          no_args_is_help=True)
    app.add_typer(log_app, name="log")

    @log_app.command("verify")
    def log_verify_command(home: HomeOption = None) -> None:
        """Check every entry's link and every kept checkpoint (exit 3 on any edited, removed or reordered entry)."""
        from secxfer import verify_log

        check = verify_log(installation=installation_at(home))
        typer.echo(t("log.verified", entries=check.entries, root=check.root.hex(), checkpoints=check.checkpoints))

    @log_app.command("checkpoint")
    def log_checkpoint_command(
        key: KeyOption,
        out: Annotated[Path, typer.Option("--out", "-o", help="Folder (e.g. a return medium) for the checkpoint.")],
        since: Annotated[
            Path | None, typer.Option("--since", help="A checkpoint carried up before: also write the consistency proof.")
        ] = None,
        home: HomeOption = None,
        operator: OperatorOption = None,
        passphrase_fd: PassphraseFdOption = None,
    ) -> None:
        """Sign a checkpoint of the log (C2SP tlog-checkpoint) and write it to OUT for carrying up, with consistency
        proofs from the checkpoints carried up before (exit 3 if the log no longer matches one of them)."""
        from secxfer import checkpoint_log

        carried = checkpoint_log(key=load_key(key, passphrase_fd), installation=installation_at(home), out=out,
                                 since=since, operator=operator)
        for path in [carried.note, *carried.proofs, *carried.restart]:
            typer.echo(str(path))
        for path in carried.moved_aside:
            warn(t("log.moved_aside", path=path))

    @log_app.command("compare")
    def log_compare_command(
        first: Annotated[Path, typer.Argument(help="A checkpoint file.")],
        second: Annotated[Path, typer.Argument(help="Another checkpoint of the same log.")],
        proof: Annotated[Path | None, typer.Option("--proof", help="Consistency proof between them (.proof file).")] = None,
        home: HomeOption = None,
    ) -> None:
        """Verify two checkpoints of one log and that the later extends the earlier (exit 3 on a fork)."""
        from secxfer import compare_checkpoints

        typer.echo("OK: " + compare_checkpoints(first, second, installation=installation_at(home), proof=proof))

    @log_app.command("recover")
    def log_recover_command(
        key: KeyOption,
        reason: Annotated[str, typer.Option("--reason", help="Why the log no longer matches its checkpoints (logged).")],
        abandon: Annotated[
            list[Path] | None,
            typer.Option("--abandon", help="A checkpoint of this log from elsewhere (the medium) that it no longer matches."),
        ] = None,
        home: HomeOption = None,
        operator: OperatorOption = None,
        passphrase_fd: PassphraseFdOption = None,
    ) -> None:
        """Keep a log that no longer matches its checkpoints aside and start a new epoch whose first entry records
        why and which checkpoint it abandons (exit 2 if the log verifies: nothing to recover)."""
        from secxfer import recover_log

        done = recover_log(key=load_key(key, passphrase_fd), installation=installation_at(home), reason=reason,
                           abandon=abandon or [], operator=operator)
        for problem in done.problems:
            typer.echo(t("log.recover_problem", problem=problem))
        size, root = (done.abandoned.size, done.abandoned.root.hex()[:16] + "…") if done.abandoned else (0, "-")
        typer.echo(t("log.recovered", epoch=done.epoch, aside=done.kept_aside, size=size, root=root))

    @app.command("purge")
    def purge_command(
        period: Annotated[str, typer.Argument(help="YYYY-MM or YYYY-MM..YYYY-MM.")],
        home: HomeOption = None,
        operator: OperatorOption = None,
        yes: Annotated[bool, typer.Option("--yes", "-y", help="Delete without asking (for scheduled jobs).")] = False,
        force: Annotated[
            bool, typer.Option("--force", help="Purge although reconciliation reports contradictions (logged).")
        ] = False,
    ) -> None:
        """Remove the period's packages and opened files once receipts confirm delivery (else remove nothing)."""
        from secxfer import purge

        def confirm(plan) -> bool:
            for line in purge_plan_lines(plan):
                typer.echo(line)
            return yes or _ask(t("purge.confirm"))

        result = purge(period, installation=installation_at(home), confirm=confirm, force=force, operator=operator)
        for line in purge_result_lines(result):
            typer.echo(line)
        result.raise_if_kept()


def _ask(question: str) -> bool:
    """A y/N answer from standard input; no input at all refuses (PurgeNeedsConfirmationError)."""
    import sys

    from secxfer.ledger.errors import PurgeNeedsConfirmationError

    print(question, end="", file=sys.stderr, flush=True)
    try:
        answer = sys.stdin.readline() if sys.stdin is not None else ""
    except (OSError, ValueError):
        answer = ""
    if not answer:
        print(file=sys.stderr)
        raise PurgeNeedsConfirmationError("purge deletes files and asks first, but there is no input to answer")
    return answer.strip().lower() in ("y", "yes")


def purge_plan_lines(plan) -> list[str]:
    """What purge is about to remove: one line per folder (counts only, no personal data)."""
    from secxfer.cli.i18n import t

    lines = [t("purge.plan", participant=plan.participant, name=plan.name, period=plan.period,
               files=plan.files, folders=len(plan.folders))]
    for folder in plan.folders:
        key = "purge.plan_opened" if folder.kind == "opened" else "purge.plan_package"
        line = t(key, folder=folder.folder, files=folder.files, package=folder.package_id[:8])
        lines.append(line + (t("purge.plan_interrupted") if folder.interrupted else ""))
    lines += [t("purge.plan_staging", folder=folder) for folder in plan.leftovers]
    if plan.forced:
        lines.append(t("purge.forced", count=len(plan.forced), first=plan.forced[0]))
    return lines


def purge_result_lines(result) -> list[str]:
    """Each folder emptied and what was removed; each file kept and why; the totals."""
    from secxfer.cli.i18n import t

    lines = []
    for folder in result.folders:
        key = "purge.partly" if folder.kept else "purge.emptied"
        lines.append(t(key, folder=folder.folder, removed=folder.removed, absent=folder.absent, kept=len(folder.kept)))
        lines += [t("purge.kept", name=name, why=t(f"purge.why.{why}")) for name, why in folder.kept]
    for swept in result.staging:
        lines.append(t("purge.staging", folder=swept.folder, files=swept.files))
    lines.append(t("purge.summary", period=result.period, files=result.files, bytes=result.bytes))
    return lines
