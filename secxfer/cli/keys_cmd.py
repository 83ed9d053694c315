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
    from secxfer.trust.secret_keys import open_secret_key

    secret = open_secret_key(path, passphrase_fd=passphrase_fd)
    if secret.is_test_key:
        typer.echo(f"warning: {str(path)!r} is a TEST KEY; never use it for real records", err=True)
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
    passphrase_fd: PassphraseFd = None,
) -> None:
    """Generate a key pair: writes ID.key (passphrase-protected) and ID.card; prints the fingerprint."""
    from secxfer.trust.cards import generate_key_files
    from secxfer.trust.secret_keys import obtain_passphrase

    passphrase = None if test_key else obtain_passphrase(passphrase_fd, confirm=True, prompt=f"New passphrase for {participant_id}: ")
    key_path, card_path, fingerprint = generate_key_files(
        participant_id, out, role=role, name=name, passphrase=passphrase, test_key=test_key, overwrite=force
    )
    protection = "TEST KEY, unprotected" if test_key else "passphrase-protected"
    typer.echo(f"wrote {key_path} ({protection}) and {card_path}")
    typer.echo(f"fingerprint: {fingerprint}")
    from secxfer.ledger.oplog import record

    record(None, "key-generated", participant=participant_id, facts={"participant": participant_id, "fingerprint": fingerprint, "test_key": test_key})


@keys_app.command("show")
def show(card: Annotated[Path, typer.Argument(help="A key card file (ID.card).")]) -> None:
    """Verify a key card and print its contents and fingerprint."""
    from secxfer.trust.render import describe_card

    typer.echo("\n".join(describe_card(read_card(card))))


@keys_app.command("verify")
def verify(
    card: Annotated[Path, typer.Argument(help="A key card file (ID.card).")],
    fingerprint: Annotated[
        str | None, typer.Option("--fingerprint", help="The fingerprint confirmed out of band; must match.")
    ] = None,
) -> None:
    """Verify a key card's self-signature (and, if given, its fingerprint)."""
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
    confirmed = " (matches the given fingerprint)" if fingerprint else ""
    typer.echo(f"OK: key card of {content.id} ({content.role.value}), fingerprint {actual}{confirmed}")


@keys_app.command("age-identity")
def age_identity(
    key_file: Annotated[Path, typer.Argument(metavar="KEYFILE", help="A secret key file (ID.key).")],
    passphrase_fd: PassphraseFd = None,
) -> None:
    """Print the encryption key as an age identity (AGE-SECRET-KEY-1…) for the stock age command.

    This prints a SECRET: redirect it into a protected file, never onto transfer media.
    """
    secret = load_key(key_file, passphrase_fd)
    typer.echo(f"# secret age identity of {secret.participant_id}; keep it secret", err=True)
    typer.echo(secret.encryption_identity.encode())


@keys_app.command("age-recipient")
def age_recipient(card: Annotated[Path, typer.Argument(help="A key card file (ID.card).")]) -> None:
    """Print the card's encryption key as an age recipient (age1…)."""
    typer.echo(read_card(card).encryption_key)
