"""``secxfer directory``: build, sign, verify, show and import the signed key directory.

Drafts are files holding a root or directory document without signatures. Each
root holder signs a draft offline into a signature file; ``combine`` merges them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from secxfer.cli.directory_common import At, Home, RootFiles, _read, _when, directory_app
from secxfer.cli.i18n import t


def register(app: typer.Typer) -> None:
    """Add ``directory`` to ``app``."""
    app.add_typer(directory_app)


# Importing the drafts module registers the ceremony commands (init … combine) here, in --help order.
import secxfer.cli.directory_drafts_cmd  # noqa: E402,F401


@directory_app.command("verify")
def verify(
    file: Annotated[Path, typer.Argument(help="A signed directory.")],
    roots: RootFiles,
    at: At = None,
) -> None:
    """Verify a signed directory against root file(s): thresholds, expiry, enrollments."""
    from secxfer.trust.store import verify_offline

    directory = verify_offline(_read(file), [_read(p) for p in roots], now=_when(at))
    typer.echo(t("directory.verified", version=directory.version, root=directory.root_version,
                 participants=len(directory.participants), expires=directory.expires.isoformat()))


@directory_app.command("show")
def show(
    file: Annotated[Path, typer.Argument(help="A directory (full or excerpt), bundle or root file; NOT verified here.")],
    participant_id: Annotated[str | None, typer.Option("--id", help="Show one participant's keys.")] = None,
    at: At = None,
) -> None:
    """Print a readable table of a directory (or a root). Use 'verify' to check signatures."""
    from secxfer.cli.directory_messages import directory_lines, participant_lines
    from secxfer.trust.authoring import load_draft
    from secxfer.trust.directory.drafts import signature_count
    from secxfer.trust.kinds import KIND_ROOT
    from secxfer.trust.store import is_bundle, read_bundle

    data = _read(file)
    if is_bundle(data):
        data = read_bundle(data).directory.encode()
    kind, _, signatures = signature_count(data)
    typer.echo(t("directory.not_verified"), err=True)
    if kind == KIND_ROOT:
        from secxfer.cli.directory_drafts_cmd import document_summary

        typer.echo(document_summary(data))
        return
    directory = load_draft(data)
    if participant_id is None:
        typer.echo("\n".join(directory_lines(directory, at=_when(at), signatures=signatures)))
        return
    typer.echo("\n".join(participant_lines(directory.participant(participant_id), at=_when(at))))


@directory_app.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(help="A signed directory (full or excerpt) or a trust bundle.")],
    roots: Annotated[
        list[Path] | None,
        typer.Option("--root", help="Signed root file(s), oldest first: pins the first if nothing is pinned yet."),
    ] = None,
    home: Home = None,
) -> None:
    """Import into this installation's trust store (rollback, freeze and thresholds enforced)."""
    from secxfer.cli.directory_messages import changes_lines
    from secxfer.trust.fingerprint import document_fingerprint
    from secxfer.trust.root import decode_root_unverified
    from secxfer.trust.store import TrustStore, is_bundle

    store = TrustStore(home)
    now = _when(None)
    root_bytes = [_read(p) for p in roots or []]
    if root_bytes and not store.exists():
        root = store.pin_root(root_bytes[0], now=now)
        fp = document_fingerprint(decode_root_unverified(root_bytes[0])[0].payload)
        typer.echo(t("directory.pinned", version=root.version, fingerprint=fp, store=store.folder))
    if root_bytes:
        store.update_roots(root_bytes, now=now)
    old = _trusted_directory(store, now)
    data = _read(file)
    new = store.import_bundle(data, now) if is_bundle(data) else store.import_directory(data, now)
    typer.echo("\n".join(changes_lines(old, new)))
    typer.echo(t("directory.trusted", root=store.current_root().version, version=new.version,
                 expires=new.expires.isoformat()))
    from secxfer import Installation

    Installation(store.home).log_operation("directory-imported", facts={
        "version": new.version, "root_version": store.current_root().version})


def _trusted_directory(store, now):
    """The directory trusted so far, or None (nothing yet, or expired: a new one may replace it)."""
    from secxfer.errors import SecxferError

    try:
        return store.current_directory(now)
    except SecxferError:
        return None


@directory_app.command("status")
def status(home: Home = None) -> None:
    """Print what this installation trusts: root and directory versions and expiry."""
    from secxfer.cli.key_messages import root_lines
    from secxfer.trust.store import TrustStore

    store = TrustStore(home)
    state = store.load()
    root = store.current_root()
    typer.echo(t("directory.store", folder=store.folder))
    typer.echo(root_lines(root)[0])
    typer.echo(t("directory.highest_seen", version=state.highest_directory_version))
    if state.directory is not None:
        directory = store.current_directory(_when(None))
        typer.echo(t("directory.current", version=directory.version, expires=directory.expires.isoformat()))
