"""Drafts and signatures: how a directory version goes from the authority to the root holders.

A draft is the full directory file with an unsigned header. Each root holder checks
the draft's content and signs its header's exact bytes offline (:func:`sign_draft`);
the signature file is the header alone, a few hundred bytes. The authority merges
them into the draft (:func:`add_signatures`) to publish the signed directory. Roots
go the same way as single signed documents.
"""

from __future__ import annotations

from collections.abc import Iterable

import msgspec
import nacl.signing

from secxfer.errors import FormatError, UsageError
from secxfer.limits import DIRECTORY_MAX_BYTES
from secxfer.trust import signing
from secxfer.trust.directory.checks import check_directory
from secxfer.trust.directory.verify import decode_directory_payload
from secxfer.trust.directory.file import (
    SIGNED_HEADER_MAX_BYTES,
    build_file,
    is_directory_file,
    read_content,
    read_directory_file,
)
from secxfer.trust.directory.model import Directory
from secxfer.trust.kinds import KIND_DIRECTORY, KIND_ROOT
from secxfer.trust.root import decode_root_unverified
from secxfer.trust.signing import SignedDocument, Signer, sign_document


def _refuse_excerpt(directory: Directory) -> None:
    if directory.is_excerpt:
        raise UsageError(
            f"this is an excerpt of key directory v{directory.version}: it cannot be edited or signed",
            hint="work on the full directory file",
        )


def require_publishable(file_bytes: int) -> None:
    """Refuse to sign a directory whose file could exceed what every reader accepts.

    ``file_bytes`` is the file's size as it stands; a threshold of root signatures
    (at most ``SIGNED_HEADER_MAX_BYTES`` with the header) is still to come. Signing a
    larger directory would publish one that no installation can import.
    """
    if file_bytes + SIGNED_HEADER_MAX_BYTES > DIRECTORY_MAX_BYTES:
        raise FormatError(
            f"this key directory would be {file_bytes:,} bytes with its signatures still to come; "
            f"readers accept at most {DIRECTORY_MAX_BYTES:,} (DIRECTORY_MAX_BYTES)",
            hint="remove revoked keys and superseded enrollments in a new version before signing",
        )


def draft_bytes(directory: Directory) -> bytes:
    """The unsigned draft of ``directory`` (its full directory file, header unsigned)."""
    _refuse_excerpt(directory)
    return build_file(directory).encode()


def load_draft(data: bytes) -> Directory:
    """The directory in a draft or signed file, structure checked, signatures NOT checked.

    For editing and display only; trust a directory only through verify_directory or
    the trust store.
    """
    return decode_directory_payload(data)


def sign_directory(directory: Directory, root_secrets_or_signers: Iterable[Signer | nacl.signing.SigningKey]) -> bytes:
    """Check ``directory`` (check_directory) and sign it; return the signed directory file's bytes."""
    _refuse_excerpt(directory)
    check_directory(directory)
    signed = build_file(directory, root_secrets_or_signers).encode()
    require_publishable(len(signed))
    return signed


def sign_draft(draft: bytes, signers: Iterable[Signer | nacl.signing.SigningKey]) -> bytes:
    """Sign a directory or root draft's exact signed bytes (after checking its content).

    Returns a document carrying only the new signatures (for a directory: its signed
    header); merge with :func:`add_signatures`.
    """
    if is_directory_file(draft):
        file = read_directory_file(draft)
        directory = read_content(file)[1]
        _refuse_excerpt(directory)
        check_directory(directory)
        require_publishable(len(draft))
        return sign_document(KIND_DIRECTORY, file.header.payload, signers)
    document = SignedDocument.decode(draft)
    if document.kind != KIND_ROOT:
        raise FormatError(f"only root and directory drafts are signed here, not {document.kind!r}")
    decode_root_unverified(draft)
    return sign_document(document.kind, document.payload, signers)


def add_signatures(signed_bytes: bytes, more_signed_bytes: bytes) -> bytes:
    """Merge separately made signatures over the same signed bytes.

    Into a directory file: from a signature file made by :func:`sign_draft` or from
    another copy of the directory file. Otherwise two envelopes (roots). Nothing is
    verified here: verification happens where the document is trusted.
    """
    if not is_directory_file(signed_bytes):
        return signing.add_signatures(signed_bytes, more_signed_bytes)
    file = read_directory_file(signed_bytes)
    if is_directory_file(more_signed_bytes):
        more = read_directory_file(more_signed_bytes).header
    else:
        more = SignedDocument.decode(more_signed_bytes, kind=KIND_DIRECTORY, max_bytes=SIGNED_HEADER_MAX_BYTES)
    merged = signing.add_signatures(file.header.encode(), more.encode(), max_bytes=DIRECTORY_MAX_BYTES)
    header = SignedDocument.decode(merged, kind=KIND_DIRECTORY, max_bytes=SIGNED_HEADER_MAX_BYTES)
    return msgspec.structs.replace(file, header=header).encode()


def signature_count(data: bytes) -> tuple[str, bytes, int]:
    """(kind, signed payload, number of signatures) of a directory file or a signed document."""
    if is_directory_file(data):
        header = read_directory_file(data).header
    else:
        header = SignedDocument.decode(data)
    return header.kind, header.payload, len(header.signatures)
