"""``secxfer age keygen | encrypt | decrypt | inspect``: age files for emergencies and interop.

Thin commands over :mod:`secxfer.age`; files they write open with the stock ``age``
command and the other way round.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

AGE_HELP = """Encrypt and decrypt age v1 files (interoperable with the stock 'age' command).

The transfer chain uses this layer inside its packages; these commands are for
emergencies and for checking interoperability. Decryption never releases plaintext
before the whole file has authenticated (stricter than stock age).

\b
Example:
  secxfer age keygen -o me.key            # prints the recipient age1...
  secxfer age encrypt -r age1... -o data.csv.age data.csv
  secxfer age decrypt -i me.key -o data.csv data.csv.age
"""

KEYGEN_HELP = """Generate an identity (secret key) in age's identity file format.

X25519 by default; --pq makes a post-quantum hybrid (ML-KEM-768 + X25519) identity,
whose recipient is age1pq1... (stock age reads these from version 1.3 on).

With -o FILE the identity is written owner-only to FILE (never overwriting) and the
recipient (public key, age1...) is printed on stdout: give that to senders. Without
-o the identity file goes to stdout and 'Public key: age1...' to stderr.

\b
Example:
  secxfer age keygen -o ~/keys/backup.key
"""

ENCRYPT_HELP = """Encrypt IN (or stdin) to one or more recipients, writing OUT (or stdout).

Every recipient (-r, or each line of a -R file) can decrypt the result. OUT
appears only when encryption completed. Binary output is refused on a terminal
unless --armor.

\b
Example:
  secxfer age encrypt -r age1main... -r age1backup... -o report.csv.age report.csv
  tar c folder | secxfer age encrypt -R recipients.txt > folder.tar.age
"""

DECRYPT_HELP = """Decrypt IN (or stdin) with your identity file(s), writing OUT (or stdout).

Nothing is released before the whole file authenticated: OUT is renamed into place
only at the end, and output to stdout is held in a private temporary file until
then. On any failure the exit code is 3 and no output exists. Plaintext is never
written to a terminal.

\b
Example:
  secxfer age decrypt -i me.key -o report.csv report.csv.age
  secxfer age decrypt -i me.key < report.csv.age | wc -l
"""

INSPECT_HELP = """Show an age file's header (recipient stanza types) without any key.

Nothing shown is authenticated: only decryption proves the header genuine.

\b
Example:
  secxfer age inspect report.csv.age
"""


def _refuse_terminal(what: str, hint: str) -> None:
    from secxfer.errors import UsageError

    if sys.stdout.isatty():
        raise UsageError(f"refusing to write {what} to the terminal", hint=hint)


def _input(path: Path | None):
    import contextlib

    return open(path, "rb") if path is not None else contextlib.nullcontext(sys.stdin.buffer)


def register(app: typer.Typer) -> None:
    """Add the ``age`` sub-app to ``app``."""
    age_app = typer.Typer(name="age", help=AGE_HELP, no_args_is_help=True, rich_markup_mode=None)
    app.add_typer(age_app, name="age")

    @age_app.command("keygen", help=KEYGEN_HELP)
    def keygen_command(
        output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the identity to this new file.")] = None,
        pq: Annotated[bool, typer.Option("--pq", help="Post-quantum hybrid identity (ML-KEM-768 + X25519).")] = False,
    ) -> None:
        from secxfer.age import HybridIdentity, X25519Identity
        from secxfer.age.files import write_identity_file
        from secxfer.age.keys import identity_file_text

        identity = HybridIdentity.generate() if pq else X25519Identity.generate()
        text = identity_file_text(identity)
        recipient = identity.recipient.encode()
        if output is not None:
            write_identity_file(output, text)
            typer.echo(recipient)
            return
        sys.stdout.write(text)
        sys.stdout.flush()
        if not sys.stdout.isatty():
            from secxfer.cli.i18n import t

            print(t("age.public_key", recipient=recipient), file=sys.stderr)

    @age_app.command("encrypt", help=ENCRYPT_HELP)
    def encrypt_command(
        input_path: Annotated[Path | None, typer.Argument(metavar="[IN]", help="File to encrypt (default: stdin).")] = None,
        recipient: Annotated[list[str] | None, typer.Option("--recipient", "-r", help="Recipient age1... (repeatable).")] = None,
        recipients_file: Annotated[
            list[Path] | None, typer.Option("--recipients-file", "-R", help="File of recipients, one per line (repeatable).")
        ] = None,
        output: Annotated[Path | None, typer.Option("--output", "-o", help="Write here (default: stdout).")] = None,
        armor: Annotated[bool, typer.Option("--armor", "-a", help="Write PEM-style ASCII armor instead of binary.")] = False,
    ) -> None:
        from secxfer.age import encrypt_stream, parse_recipient
        from secxfer.age.files import encrypt_to_path
        from secxfer.age.keys import load_recipients_file
        from secxfer.errors import UsageError

        recipients = [parse_recipient(text) for text in recipient or []]
        for path in recipients_file or []:
            recipients += load_recipients_file(path)
        if not recipients:
            raise UsageError("no recipients given", hint="add -r age1... or -R FILE")
        if output is None and not armor:
            _refuse_terminal("binary ciphertext", "use -o FILE, redirect stdout, or --armor")
        with _input(input_path) as src:
            if output is not None:
                encrypt_to_path(recipients, src, output, armor=armor)
            else:
                encrypt_stream(recipients, src, sys.stdout.buffer, armor=armor)
                sys.stdout.buffer.flush()

    @age_app.command("decrypt", help=DECRYPT_HELP)
    def decrypt_command(
        input_path: Annotated[Path | None, typer.Argument(metavar="[IN]", help="File to decrypt (default: stdin).")] = None,
        identity: Annotated[
            list[Path] | None, typer.Option("--identity", "-i", help="Identity file AGE-SECRET-KEY-1... (repeatable).")
        ] = None,
        output: Annotated[Path | None, typer.Option("--output", "-o", help="Write here (default: stdout).")] = None,
    ) -> None:
        from secxfer.age import decrypt_to_path
        from secxfer.age.files import decrypt_spooled
        from secxfer.age.keys import load_identity_file
        from secxfer.errors import UsageError

        if not identity:
            raise UsageError("no identity file given", hint="did you forget -i/--identity?")
        identities = [found for path in identity for found in load_identity_file(path)]
        if output is None:
            _refuse_terminal("plaintext", "use -o FILE or redirect stdout")
        with _input(input_path) as src:
            if output is not None:
                decrypt_to_path(identities, src, output)
            else:
                decrypt_spooled(identities, src, sys.stdout.buffer)

    @age_app.command("inspect", help=INSPECT_HELP)
    def inspect_command(
        input_path: Annotated[Path | None, typer.Argument(metavar="[IN]", help="age file (default: stdin).")] = None,
    ) -> None:
        from secxfer.age import read_header
        from secxfer.cli.i18n import t

        with _input(input_path) as src:
            header = read_header(src)
        typer.echo(t("age.inspect_header", size=header.size, stanzas=len(header.stanzas)))
        for number, stanza in enumerate(header.stanzas, start=1):
            typer.echo(t("age.inspect_stanza", number=number, type=repr(stanza.type), args=len(stanza.args),
                         body=len(stanza.body)))
