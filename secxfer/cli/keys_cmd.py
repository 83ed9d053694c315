"""``secxfer keys``: participant key pairs and public key cards."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

keys_app = typer.Typer(
    name="keys",
    help="Participant keys: generate a key file and key card, show and verify cards, export for stock age.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

PassphraseFd = Annotated[
    int | None,
    typer.Option("--passphrase-fd", help="Read the passphrase from this file descriptor (else $SECXFER_PASSPHRASE, else a prompt)."),
]


def register(app: typer.Typer) -> None:
    """Add ``keys`` to ``app``."""
    app.add_typer(keys_app)


def load_key(path: Path, passphrase_fd: int | None = None):
    """Open a secret key file for a command, warning on stderr if it is a TEST KEY."""
    from secxfer.cli.passphrase import obtain_passphrase
    from secxfer.trust.secret_keys import load_secret_key

    secret = load_secret_key(path, passphrase=lambda: obtain_passphrase(passphrase_fd, prompt=f"Passphrase for {path}: "))
    if secret.is_test_key:
        from secxfer.cli._common import warn
        from secxfer.cli.i18n import t

        warn(t("cli.test_key", name=str(path)))
    return secret


def read_card(path: Path):
    """A verified key card from a file."""
    from secxfer.fsutil import read_bounded
    from secxfer.trust.cards import CARD_MAX_BYTES, verify_card

    return verify_card(read_bounded(path, CARD_MAX_BYTES, "key card"))


@keys_app.command("generate")
def generate(
    participant_id: Annotated[str, typer.Argument(metavar="ID", help="agency, central, root-N, fed-NN or mun-NNNNNN.")],
    role: Annotated[str | None, typer.Option("--role", help="Role (checked against the id).")] = None,
    name: Annotated[str | None, typer.Option("--name", help="Display name (default: the official name).")] = None,
    out: Annotated[Path, typer.Option("--out", help="Folder for ID.key and ID.card.")] = Path("."),
    test_key: Annotated[bool, typer.Option("--test-key", help="Unprotected key marked TEST KEY (examples only).")] = False,
    force: Annotated[bool, typer.Option("--force", help="Replace existing files.")] = False,
    pq: Annotated[
        bool, typer.Option("--pq", help="Post-quantum hybrid encryption key (ML-KEM-768 + X25519, age1pq1…) instead of X25519.")
    ] = False,
    passphrase_fd: PassphraseFd = None,
) -> None:
    """Generate a key pair: writes ID.key (passphrase-protected) and ID.card; prints the fingerprint."""
    from secxfer.cli.i18n import t
    from secxfer.trust.cards import generate_key_files
    from secxfer.cli.passphrase import obtain_passphrase

    passphrase = None if test_key else obtain_passphrase(passphrase_fd, confirm=True,
                                                         prompt=t("keys.prompt_new", participant=participant_id))
    key_path, card_path, fingerprint = generate_key_files(
        participant_id, out, role=role, name=name, passphrase=passphrase, test_key=test_key, overwrite=force,
        encryption="hybrid" if pq else "x25519",
    )
    protection = t("keys.protection_test" if test_key else "keys.protection_passphrase") + (t("keys.protection_pq") if pq else "")
    typer.echo(t("keys.wrote", key_file=key_path, protection=protection, card=card_path))
    typer.echo(t("keys.fingerprint", fingerprint=fingerprint))
    from secxfer import Installation

    Installation.default().log_operation("key-generated", participant=participant_id, facts={
        "participant": participant_id, "fingerprint": fingerprint, "test_key": test_key})


@keys_app.command("add-pq")
def add_pq(
    key_file: Annotated[Path, typer.Argument(metavar="KEYFILE", help="The current secret key file (ID.key).")],
    out: Annotated[Path, typer.Option("--out", help="Folder for the new ID.key and ID.card (not the current key's folder).")],
    passphrase_fd: PassphraseFd = None,
) -> None:
    """Add a post-quantum hybrid encryption key beside the X25519 one: writes a new ID.key and ID.card.

    The new key file still opens packages sealed to the X25519 key. Hand the new card to
    the directory authority (a municipality: to its federation, to enroll it again);
    once the directory lists it, packages are sealed to the hybrid key.
    """
    from secxfer.cli.i18n import t
    from secxfer.trust.cards import write_key_files
    from secxfer.cli.passphrase import obtain_passphrase
    from secxfer.trust.secret_keys import add_hybrid_key

    secret = load_key(key_file, passphrase_fd)
    upgraded = add_hybrid_key(secret)
    passphrase = None
    if not secret.is_test_key:
        passphrase = obtain_passphrase(passphrase_fd, confirm=True,
                                       prompt=t("keys.prompt_added", participant=secret.participant_id))
    key_path, card_path, fingerprint = write_key_files(upgraded, out, passphrase=passphrase, test_key=secret.is_test_key)
    typer.echo(t("keys.wrote", key_file=key_path, protection=t("keys.protection_added_pq"), card=card_path))
    typer.echo(t("keys.fingerprint", fingerprint=fingerprint))
    from secxfer import Installation

    Installation.default().log_operation("key-generated", participant=secret.participant_id, facts={
        "participant": secret.participant_id, "fingerprint": fingerprint, "test_key": secret.is_test_key})


@keys_app.command("show")
def show(card: Annotated[Path, typer.Argument(help="A key card file (ID.card).")]) -> None:
    """Verify a key card and print its contents and fingerprint."""
    from secxfer.cli.key_messages import card_lines

    typer.echo("\n".join(card_lines(read_card(card))))


@keys_app.command("verify")
def verify(
    card: Annotated[Path, typer.Argument(help="A key card file (ID.card).")],
    fingerprint: Annotated[
        str | None, typer.Option("--fingerprint", help="The fingerprint confirmed out of band; must match.")
    ] = None,
) -> None:
    """Verify a key card's self-signature (and, if given, its fingerprint)."""
    from secxfer.cli.i18n import t
    from secxfer.errors import SignatureError
    from secxfer.trust.cards import card_fingerprint
    from secxfer.trust.fingerprint import normalize_fingerprint

    content = read_card(card)
    actual = card_fingerprint(content)
    if fingerprint is not None and normalize_fingerprint(fingerprint) != actual:
        raise SignatureError(
            f"card {content.id} has fingerprint {actual}, not {fingerprint}",
            hint="do not use this card; ask its holder for the card again",
        )
    confirmed = t("keys.fingerprint_matches") if fingerprint else ""
    typer.echo(t("keys.verified", participant=content.id, role=content.role.value, fingerprint=actual, confirmed=confirmed))


@keys_app.command("age-identity")
def age_identity(
    key_file: Annotated[Path, typer.Argument(metavar="KEYFILE", help="A secret key file (ID.key).")],
    passphrase_fd: PassphraseFd = None,
) -> None:
    """Print the encryption key as an age identity (AGE-SECRET-KEY-1…, or AGE-SECRET-KEY-PQ-1… for a
    post-quantum key) for the age command. A key holding both prints both lines.

    This prints a SECRET: redirect it into a protected file, never onto transfer media.
    Stock age 1.1.1 does not read hybrid identities; secxfer age decrypt does.
    """
    from secxfer.cli.i18n import t

    secret = load_key(key_file, passphrase_fd)
    typer.echo(t("keys.identity_warning", participant=secret.participant_id), err=True)
    for identity in secret.encryption_identities:
        typer.echo(identity.encode())


@keys_app.command("age-recipient")
def age_recipient(card: Annotated[Path, typer.Argument(help="A key card file (ID.card).")]) -> None:
    """Print the card's encryption keys as age recipients (age1…, post-quantum age1pq1…), one a line."""
    for text in read_card(card).recipients_text:
        typer.echo(text)


def _form_help() -> str:
    from secxfer.cli.i18n import t

    return t("help.keys_form")


@keys_app.command("form", help=_form_help())
def form(
    card: Annotated[Path, typer.Argument(metavar="KEYCARD", help="A key card file (ID.card).")],
    out: Annotated[Path | None, typer.Option("--out", "-o", help="HTML file to write (default: ID-form.html beside the card).")] = None,
) -> None:
    from secxfer.report.keyform import write_key_form

    typer.echo(str(write_key_form(card, out)))
