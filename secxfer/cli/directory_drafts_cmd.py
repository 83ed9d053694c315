"""``secxfer directory`` — the drafts and the key ceremony: init, add, enroll, consent, revoke,
bump, policy, rotate-root, sign, combine.

The commands register on ``directory_app`` (:mod:`secxfer.cli.directory_common`) when :mod:`secxfer.cli.directory_cmd` imports
this module (before its own verify/show/import/status, so ``--help`` keeps the ceremony
order).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from secxfer.cli.directory_common import At, _day, _read, _when, _write, directory_app
from secxfer.cli.i18n import t
from secxfer.cli.keys_cmd import PassphraseFd, load_key


def _editable(path: Path):
    """The directory in a draft file; refuses a signed one (bump it to a new version first)."""
    from secxfer.errors import UsageError
    from secxfer.trust.authoring import load_draft
    from secxfer.trust.directory.drafts import signature_count

    data = _read(path)
    if signature_count(data)[2]:
        raise UsageError(
            f"{str(path)!r} is signed; editing it would publish a second, different v{load_draft(data).version}",
            hint=f"start the next version: secxfer directory bump {path} --out DRAFT",
        )
    return load_draft(data)


def _save(path: Path, old, new, *, overwrite: bool = True) -> None:
    from secxfer.cli.directory_messages import changes_lines
    from secxfer.trust.authoring import draft_bytes

    _write(path, draft_bytes(new), overwrite=overwrite)
    typer.echo("\n".join(changes_lines(old, new)))
    typer.echo(t("directory.draft_saved", path=path, version=new.version, participants=len(new.participants)))


@directory_app.command("init")
def init(
    roots: Annotated[list[Path], typer.Option("--root", help="Key card of a root holder (repeat for each).")],
    threshold: Annotated[int, typer.Option("--threshold", help="Root signatures required (e.g. 2 of 3).")],
    out: Annotated[Path, typer.Option("--out", help="The directory draft to write.")],
    root_out: Annotated[Path | None, typer.Option("--root-out", help="The root draft to write (default: root.json beside --out).")] = None,
    days: Annotated[int, typer.Option("--days", help="Directory validity in days.")] = 180,
    root_days: Annotated[int, typer.Option("--root-days", help="Root validity in days.")] = 3 * 365,
) -> None:
    """Start a key ceremony: root v1 draft over the root holders' cards, directory v1 draft."""
    from datetime import timedelta

    from secxfer.cli.key_messages import root_lines
    from secxfer.errors import OutputExistsError
    from secxfer.trust.authoring import start_directory
    from secxfer.trust.root import decode_root_unverified

    now = _when(None)
    root_path = root_out or out.parent / "root.json"
    for path in (out, root_path):
        if path.exists():
            raise OutputExistsError(f"{str(path)!r} already exists", hint="choose another --out / --root-out")
    root_bytes, directory = start_directory(
        [_read(p) for p in roots], threshold=threshold, issued=now,
        expires=now + timedelta(days=days), root_expires=now + timedelta(days=root_days),
    )
    _write(root_path, root_bytes, overwrite=False)
    typer.echo("\n".join(root_lines(decode_root_unverified(root_bytes)[1], signed_by=0)))
    typer.echo(t("directory.wrote_root_draft", path=root_path))
    _save(out, None, directory, overwrite=False)
    typer.echo(t("directory.next_sign", root=root_path, directory=out))


@directory_app.command("add")
def add(
    file: Annotated[Path, typer.Argument(help="Directory draft to update in place.")],
    items: Annotated[list[Path], typer.Argument(metavar="CARD_OR_ENROLLMENT...", help="Key cards or federation-signed enrollments.")],
    name: Annotated[str | None, typer.Option("--name", help="Display name (one card only).")] = None,
    parent: Annotated[str | None, typer.Option("--parent", help="A municipality's federation (checked).")] = None,
    backup: Annotated[bool, typer.Option("--backup", help="Add the card's keys as backup keys.")] = False,
) -> None:
    """Add or update participants from key cards, or municipalities from enrollments."""
    from secxfer.errors import UsageError
    from secxfer.trust.authoring import add_enrollment, add_participant
    from secxfer.trust.kinds import KIND_ENROLLMENT, KIND_KEY_CARD
    from secxfer.trust.signing import SignedDocument

    if (name or parent) and len(items) != 1:
        raise UsageError("--name and --parent apply to a single card")
    old = directory = _editable(file)
    for item in items:
        data = _read(item)
        kind = SignedDocument.decode(data).kind
        if kind == KIND_ENROLLMENT:
            directory = add_enrollment(directory, data)
        elif kind == KIND_KEY_CARD:
            label = "backup" if backup else "main"
            directory = add_participant(directory, data, name=name, parent=parent, label=label)
        else:
            raise UsageError(f"{str(item)!r} is a {kind!r}, not a key card or enrollment")
    _save(file, old, directory)


@directory_app.command("enroll")
def enroll_command(
    card: Annotated[Path, typer.Argument(help="The municipality's key card.")],
    key: Annotated[Path, typer.Option("--key", help="The federation's secret key file.")],
    fingerprint: Annotated[str, typer.Option("--fingerprint", help="The card's fingerprint from the 委任状 form (must match).")],
    filed: Annotated[str | None, typer.Option("--filed", help="Date the 委任状 was filed, YYYY-MM-DD (omit: no consent yet).")] = None,
    withdrawn: Annotated[str | None, typer.Option("--withdrawn", help="Date consent was withdrawn, YYYY-MM-DD.")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Enrollment file (default: ID.enrollment).")] = None,
    passphrase_fd: PassphraseFd = None,
) -> None:
    """Federation: sign the enrollment of a municipality of your prefecture (card + consent)."""
    from secxfer.errors import SignatureError
    from secxfer.trust.cards import card_fingerprint, verify_card
    from secxfer.trust.enrollment import enroll
    from secxfer.trust.fingerprint import normalize_fingerprint

    card_bytes = _read(card)
    content = verify_card(card_bytes)
    if normalize_fingerprint(fingerprint) != card_fingerprint(content):
        raise SignatureError(
            f"card {content.id} has fingerprint {card_fingerprint(content)}, not {fingerprint}",
            hint="do not enroll this card; ask the municipality for its card again",
        )
    secret = load_key(key, passphrase_fd)
    record = enroll(secret, card_bytes, filed_on=_day(filed, "--filed"), withdrawn_on=_day(withdrawn, "--withdrawn"), now=_when(None))
    target = out or Path(f"{content.id}.enrollment")
    _write(target, record, overwrite=False)
    if filed:
        consent = t("directory.consent_filed", filed=filed) + (t("directory.consent_withdrawn", withdrawn=withdrawn)
                                                                if withdrawn else "")
    else:
        consent = t("directory.no_consent")
    typer.echo(t("directory.enrolled", target=target, federation=secret.participant_id, participant=content.id,
                 name=content.name, consent=consent))


@directory_app.command("consent")
def consent(
    file: Annotated[Path, typer.Argument(help="Directory draft to update in place.")],
    participant_id: Annotated[str, typer.Argument(metavar="ID", help="The municipality (mun-NNNNNN).")],
    filed: Annotated[str, typer.Option("--filed", help="Date the 委任状 was filed, YYYY-MM-DD.")],
    key: Annotated[Path, typer.Option("--key", help="The municipality's federation's secret key file.")],
    withdrawn: Annotated[str | None, typer.Option("--withdrawn", help="Date consent was withdrawn, YYYY-MM-DD.")] = None,
    passphrase_fd: PassphraseFd = None,
) -> None:
    """Federation: record a municipality's consent dates (signs a new enrollment into the draft)."""
    from secxfer.trust.authoring import record_consent

    old = _editable(file)
    secret = load_key(key, passphrase_fd)
    new = record_consent(
        old, participant_id, filed_on=_day(filed, "--filed"), withdrawn_on=_day(withdrawn, "--withdrawn"),
        federation=secret, now=_when(None),
    )
    _save(file, old, new)


@directory_app.command("revoke")
def revoke(
    file: Annotated[Path, typer.Argument(help="Directory draft to update in place.")],
    participant_id: Annotated[str, typer.Argument(metavar="ID")],
    key: Annotated[str, typer.Option("--key", help="The key: age1… recipient, signing key id, or 8+ hex digits of one.")],
    reason: Annotated[str, typer.Option("--reason", help="Why (e.g. 'medium lost 2025-03-02').")],
    at: At = None,
    revocation_class: Annotated[str, typer.Option(
        "--class",
        help="compromise (default: refuse every signature not already accepted, whatever its date), "
        "retired or superseded (signatures dated before the revocation stay valid).",
    )] = "compromise",
) -> None:
    """Revoke a participant's key from a time on (default: now)."""
    from secxfer.trust.authoring import find_key, revoke_key

    old = _editable(file)
    public = find_key(old.participant(participant_id), key)
    _save(file, old, revoke_key(old, participant_id, public, at=_when(at), reason=reason,
                                revocation_class=revocation_class))


@directory_app.command("bump")
def bump(
    file: Annotated[Path, typer.Argument(help="The current (signed) directory.")],
    out: Annotated[Path, typer.Option("--out", help="The new draft to write.")],
    days: Annotated[int, typer.Option("--days", help="Validity of the new version in days.")] = 180,
    root_version: Annotated[int | None, typer.Option("--root-version", help="After a root rotation: the new root version.")] = None,
    require_hybrid: Annotated[
        list[str] | None,
        typer.Option("--require-hybrid", metavar="ROLE", help="Policy: ROLE needs hybrid encryption keys from this version on (repeatable)."),
    ] = None,
) -> None:
    """Start the next directory version (version + 1, new issue and expiry times) as a draft."""
    from datetime import timedelta

    from secxfer.cli.directory_messages import policy_line
    from secxfer.trust.authoring import (
        draft_bytes,
        load_draft,
        next_version,
        require_hybrid_encryption,
    )

    old = load_draft(_read(file))
    now = _when(None)
    new = next_version(old, issued=now, expires=now + timedelta(days=days), root_version=root_version)
    for role in require_hybrid or ():
        new = require_hybrid_encryption(new, _role(role), from_version=new.version)
    _write(out, draft_bytes(new), overwrite=False)
    typer.echo(t("directory.bumped", out=out, version=new.version, old=old.version, expires=new.expires.isoformat()))
    if new.policy != old.policy:
        typer.echo(policy_line(new.policy))


def _role(text: str):
    from secxfer.errors import UsageError
    from secxfer.trust.ids import Role

    try:
        return Role(text.strip().lower())
    except ValueError:
        raise UsageError(f"{text!r} is not a role", hint="one of " + ", ".join(r.value for r in Role)) from None


@directory_app.command("policy")
def policy(
    file: Annotated[Path, typer.Argument(help="Directory draft to update in place.")],
    require_hybrid: Annotated[
        list[str] | None,
        typer.Option("--require-hybrid", metavar="ROLE", help="ROLE needs post-quantum hybrid encryption keys (repeatable)."),
    ] = None,
    from_version: Annotated[
        int | None, typer.Option("--from-version", help="First directory version the requirement holds for (default: this draft's).")
    ] = None,
    drop: Annotated[list[str] | None, typer.Option("--drop", metavar="ROLE", help="Remove ROLE's requirement (repeatable).")] = None,
) -> None:
    """Show or set the directory's policy: which roles need hybrid (ML-KEM-768 + X25519) encryption keys.

    Signing refuses a draft that breaks a requirement in force, and every reader refuses
    such a directory; while one holds, packages to that role are never sealed to X25519.
    """
    from secxfer.cli.directory_messages import policy_line
    from secxfer.trust.authoring import require_hybrid_encryption

    old = new = _editable(file)
    for role in drop or ():
        new = require_hybrid_encryption(new, _role(role), from_version=None)
    for role in require_hybrid or ():
        new = require_hybrid_encryption(new, _role(role), from_version=from_version or new.version)
    if new != old:
        _save(file, old, new)
    else:
        typer.echo(policy_line(new.policy))


@directory_app.command("rotate-root")
def rotate_root(
    current: Annotated[Path, typer.Argument(help="The current signed root file.")],
    roots: Annotated[list[Path], typer.Option("--root", help="Key card of a holder of the new root (repeat).")],
    threshold: Annotated[int, typer.Option("--threshold")],
    out: Annotated[Path, typer.Option("--out", help="The new root draft to write.")],
    days: Annotated[int, typer.Option("--days", help="Validity of the new root in days.")] = 3 * 365,
) -> None:
    """Draft the next root version; it must be signed by the old AND the new threshold."""
    from datetime import timedelta

    from secxfer.cli.key_messages import root_lines
    from secxfer.trust.cards import verify_card
    from secxfer.trust.root import decode_root_unverified, next_root, root_draft

    previous = decode_root_unverified(_read(current))[1]
    new = next_root(
        previous, expires=_when(None) + timedelta(days=days),
        keys=[verify_card(_read(p)).signing_key for p in roots], threshold=threshold,
    )
    _write(out, root_draft(new), overwrite=False)
    typer.echo("\n".join(root_lines(new, signed_by=0)))
    typer.echo(t("directory.root_drafted", out=out, old_threshold=previous.threshold, old_version=previous.version,
                 new_threshold=new.threshold, new_version=new.version))


@directory_app.command("sign")
def sign(
    file: Annotated[Path, typer.Argument(help="A root or directory draft.")],
    key: Annotated[Path, typer.Option("--key", help="Your root key file.")],
    out: Annotated[Path | None, typer.Option("--out", help="Signature file (default: FILE.ID.sig).")] = None,
    passphrase_fd: PassphraseFd = None,
) -> None:
    """Root holder: check a draft and sign it offline into a signature file."""
    from secxfer.trust.authoring import sign_draft
    from secxfer.trust.directory.drafts import signature_count
    from secxfer.trust.fingerprint import document_fingerprint

    draft = _read(file)
    secret = load_key(key, passphrase_fd)
    signature = sign_draft(draft, [secret])
    target = out or file.with_name(f"{file.name}.{secret.participant_id}.sig")
    _write(target, signature, overwrite=False)
    kind, payload, _ = signature_count(draft)
    typer.echo(document_summary(draft))
    typer.echo(t("directory.signed", kind=kind, fingerprint=document_fingerprint(payload), signer=secret.participant_id))
    typer.echo(t("directory.wrote_signature", target=target, file=file))


def document_summary(data: bytes) -> str:
    """A root (its keys and fingerprint) or a directory's heading, with its signature count."""
    from secxfer.cli.directory_messages import directory_heading
    from secxfer.cli.key_messages import root_lines
    from secxfer.trust.authoring import load_draft
    from secxfer.trust.directory.drafts import signature_count
    from secxfer.trust.fingerprint import document_fingerprint
    from secxfer.trust.kinds import KIND_ROOT
    from secxfer.trust.root import decode_root_unverified

    kind, payload, signatures = signature_count(data)
    if kind == KIND_ROOT:
        lines = root_lines(decode_root_unverified(data)[1], signed_by=signatures)
        return "\n".join([*lines, t("directory.root_fingerprint", fingerprint=document_fingerprint(payload))])
    return "\n".join(directory_heading(load_draft(data), signatures=signatures))


@directory_app.command("combine")
def combine(
    file: Annotated[Path, typer.Argument(help="The draft (or a partly signed document).")],
    signatures: Annotated[list[Path], typer.Argument(metavar="SIGFILE...", help="Signature files made by 'sign'.")],
    out: Annotated[Path | None, typer.Option("--out", help="Where to write (default: FILE, in place).")] = None,
) -> None:
    """Merge separately made signatures into one signed document."""
    from secxfer.trust.directory.drafts import add_signatures, signature_count

    combined = _read(file)
    for path in signatures:
        combined = add_signatures(combined, _read(path))
    target = out or file
    _write(target, combined, overwrite=out is None)
    kind, _, count = signature_count(combined)
    typer.echo(t("directory.combined", target=target, kind=kind, count=count))
