"""``seal``, ``relay``, ``open``, ``verify``, ``inspect`` and ``media verify``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from secxfer.cli._common import (
    HomeOption,
    PassphraseFdOption,
    RootOption,
    banner,
    note,
    installation_at,
    participant_context,
    warn,
)
from secxfer.cli.ledger_cmd import OperatorOption
from secxfer.cli.progress import activity

KeyOption = Annotated[Path, typer.Option("--key", "-k", help="Your participant key file (<id>.key).")]
CheckDirectoryOption = Annotated[
    Path | None,
    typer.Option("--directory", "-d", help=(
        "The key directory (a trust bundle, or a signed directory with --root) to check against; else your home's.")),
]
CheckRootOption = Annotated[
    Path | None,
    typer.Option("--root", help=(
        "Signed root (root.json) to start trust from, on any home; compare its fingerprint with your paper form.")),
]


def announce_trust_start(installation, root: Path | None, directory: Path | None) -> None:
    """Say which root a key-less check trusts, by the fingerprint on the paper form."""
    from secxfer import TrustAnchor
    from secxfer.cli.i18n import t

    if root is not None and root.is_file():
        anchor = TrustAnchor.read(root)
        note(t("cli.checking_root", version=anchor.version, path=root, fingerprint=anchor.fingerprint))
    elif directory is not None and directory.is_file() and not installation.trusts_a_root:
        in_bundle = TrustAnchor.in_bundle(directory)
        if in_bundle is not None:
            warn(t("cli.bundle_root", path=directory, fingerprint=in_bundle.fingerprint))

SEAL_HELP = """Validate the month's three annex CSVs and seal them for central (agency only).

Rows for municipalities without a power of attorney (委任状) in force are withheld and
counted, never sealed. Any rejected row stops the seal (exit 4) with the report.
The package is written to OUT/<agency>-to-<central>/ with its outer signature.

Example: secxfer seal --period 2026-10 --annex1 a1.csv --annex2 a2.csv --annex3 a3.csv
--key keys/agency.key --out /media/usb
"""

RELAY_HELP = """Verify an incoming package and reseal it per next-hop recipient (central, federations).

Each recipient's package goes to OUT/<you>-to-<recipient>/ (one medium each); rows
keep their exact bytes; consent is checked again against the newest key directory.

Example: secxfer relay /media/usb/agency-to-central/2026-10_agency_to_central_1a2b3c4d.age
--key keys/central.key --out /media/outgoing
"""

def register(app: typer.Typer) -> None:
    """Add the chain commands to ``app``."""
    from secxfer.cli.i18n import t

    @app.command("seal", help=SEAL_HELP)
    def seal_command(
        period: Annotated[str, typer.Option("--period", "-p", help="YYYY-MM, or a range YYYY-MM..YYYY-MM for the first delivery.")],
        annex1: Annotated[Path, typer.Option("--annex1", help="別紙1 CSV (at entry).")],
        annex2: Annotated[Path, typer.Option("--annex2", help="別紙2 CSV (leaving a job).")],
        annex3: Annotated[Path, typer.Option("--annex3", help="別紙3 CSV (change of status).")],
        key: KeyOption,
        out: Annotated[Path, typer.Option("--out", "-o", help="Folder of the outgoing medium.")],
        rehearsal: Annotated[bool, typer.Option("--rehearsal", help="Mark the delivery as a REHEARSAL (試験).")] = False,
        again: Annotated[bool, typer.Option("--again", help="Seal although OUT already holds a package for the period.")] = False,
        profile: Annotated[str, typer.Option("--profile", help="Input profile of the CSVs.")] = "default",
        home: HomeOption = None,
        passphrase_fd: PassphraseFdOption = None,
        root: RootOption = None,
        operator: OperatorOption = None,
    ) -> None:
        from secxfer import AnnexFiles, SealRejectedError, seal

        installation, secret = participant_context(key, passphrase_fd, home, root)
        try:
            with activity(t("progress.seal")):
                result = seal(
                    AnnexFiles.of(annex1, annex2, annex3), period=period, key=secret, installation=installation,
                    out=out, rehearsal=rehearsal, profile=profile, again=again, root=root, operator=operator,
                    notify=warn,
                )
        except SealRejectedError as rejected:
            from secxfer.cli.messages import problem_line

            for problem in rejected.problems:  # the whole report, one line each, before the error line
                note(problem_line(problem))
            raise
        if rehearsal:
            note(banner([t("rehearsal.banner")]))
        typer.echo(t("seal.headline", period=result.period, rows=sum(result.rows_sealed), covered=result.covered))
        typer.echo(t("seal.counts", read=result.rows_read, sealed=result.rows_sealed, withheld=result.withheld_rows,
                     codes=len(result.withheld)))
        from secxfer.domain.municipalities import participant_name

        for code, rows in sorted(result.withheld.items()):
            typer.echo(t("seal.withheld", code=code, name=participant_name(code) or "", rows=sum(rows)))
        typer.echo(t("seal.package", path=result.package.path))
        typer.echo(t("seal.sha256", digest=result.package.sha256.hex()))

    @app.command("relay", help=RELAY_HELP)
    def relay_command(
        package: Annotated[Path, typer.Argument(help="The incoming package (.age).")],
        key: KeyOption,
        out: Annotated[Path, typer.Option("--out", "-o", help="Root folder for the outgoing media.")],
        home: HomeOption = None,
        passphrase_fd: PassphraseFdOption = None,
        root: RootOption = None,
        operator: OperatorOption = None,
    ) -> None:
        from secxfer import relay

        installation, secret = participant_context(key, passphrase_fd, home, root)
        with activity(t("progress.relay")):
            result = relay(package, key=secret, installation=installation, out=out, root=root, operator=operator,
                           notify=warn)
        if result.rehearsal:
            note(banner([t("rehearsal.banner")]))
        typer.echo(t("relay.headline", period=result.period, relay=result.relay, packages=len(result.outputs),
                     rows_in=result.rows_in, rows_out=result.rows_out))
        from secxfer.domain.municipalities import participant_name

        for code, rows in sorted(result.withheld.items()):
            typer.echo(t("relay.withheld", code=code, name=participant_name(code) or "", rows=sum(rows)))
        typer.echo(t("relay.written", path=out))

    @app.command("open", help=t("help.open"))
    def open_command(
        package: Annotated[Path, typer.Argument(help="The package addressed to you (.age).")],
        key: KeyOption,
        out: Annotated[Path, typer.Option("--out", "-o", help="Folder to create for the annex CSVs.")],
        utf8: Annotated[bool, typer.Option("--utf8", help="Convert the CSVs to UTF-8 (after verification).")] = False,
        no_workbook: Annotated[
            bool, typer.Option("--no-workbook", help="Do not write the Excel workbook beside the CSVs.")
        ] = False,
        home: HomeOption = None,
        passphrase_fd: PassphraseFdOption = None,
        root: RootOption = None,
        operator: OperatorOption = None,
    ) -> None:
        from secxfer import open_package

        installation, secret = participant_context(key, passphrase_fd, home, root)
        with activity(t("progress.open")):
            result = open_package(
                package, key=secret, installation=installation, out=out, utf8=utf8, workbook=not no_workbook,
                root=root, operator=operator, notify=warn,
            )
        from secxfer.cli.messages import open_banner

        note(banner(open_banner(result)))
        if not result.outer_signature_checked:
            note(t("open.no_outer_signature"))
        for path in result.files:
            typer.echo(str(path))

    @app.command("verify", help=t("help.verify"))
    def verify_command(
        package: Annotated[Path, typer.Argument(help="A package file (.age) with its .sig beside it.")],
        directory: CheckDirectoryOption = None,
        root: CheckRootOption = None,
        home: HomeOption = None,
    ) -> None:
        from secxfer import verify_package
        from secxfer.cli.messages import verify_line

        installation = installation_at(home)
        announce_trust_start(installation, root, directory)
        statement = verify_package(package, installation=installation, directory=directory, root=root)
        typer.echo(verify_line(package.name, statement))

    @app.command("inspect")
    def inspect_command(package: Annotated[Path, typer.Argument(help="A package file (.age).")]) -> None:
        """Show a package's public facts (age header, outer statement) without verifying or decrypting."""
        from secxfer import inspect_package
        from secxfer.cli.messages import inspect_lines

        for line in inspect_lines(inspect_package(package)):
            typer.echo(line)

    media_app = typer.Typer(help="Removable media: check a whole medium.", no_args_is_help=True)
    app.add_typer(media_app, name="media")

    @media_app.command("verify")
    def media_verify_command(
        path: Annotated[Path, typer.Argument(help="Medium folder (or a folder of medium folders).")],
        directory: CheckDirectoryOption = None,
        root: CheckRootOption = None,
        home: HomeOption = None,
    ) -> None:
        """Verify every package on a medium against its index and outer signatures (no secret key).

        Exit 0 when every package verifies; 3 on any problem (altered, unsigned, missing,
        leftover, or an entry that is not a regular file: link, folder, pipe, device);
        1 when the only finding is packages renamed with their contents intact.
        """
        from secxfer import verify_medium
        from secxfer.cli.messages import media_lines

        installation = installation_at(home)
        announce_trust_start(installation, root, directory)
        with activity(t("progress.media")):
            report = verify_medium(path, installation=installation, directory=directory, root=root)
        typer.echo("\n".join(media_lines(report)))
        report.raise_for(path)
