"""What binds a package's outside to its last manifest (docs/format.md §4.2, §4.3, §10.4).

Three things about a package are visible without decrypting it, or are not covered
by its manifest's signature: the outer statement (``.age.sig``), the medium's index
entry, and the age header's recipient stanzas. A reader that has decrypted the
package holds them against the last manifest, so that none can say something the
signed manifest does not: a package renamed or swapped, an index that lists other
rows, a file key wrapped to one more recipient than the manifest names.
"""

from __future__ import annotations

import hmac
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from secxfer.chain import media
from secxfer.chain.manifest import OUTER_KIND, Manifest, OuterStatement, decode_outer
from secxfer.errors import IntegrityError, SignatureError
from secxfer.limits import MEDIA_INDEX_MAX_BYTES, OUTER_MAX_BYTES
from secxfer.trust.fingerprint import key_id
from secxfer.trust.signing import SignedDocument, verify

if TYPE_CHECKING:
    from secxfer.age.format import Header
    from secxfer.trust import Directory, Participant, ParticipantSecret


def _verified_signer(
    doc: SignedDocument, kind: str, directory: Directory, what: str
) -> tuple[Participant, bytes]:
    """(participant, public key) of a one-signature document, verified before decoding."""
    if len(doc.signatures) != 1:
        raise SignatureError(f"{what} must carry exactly one signature")
    signature = doc.signatures[0]
    signer = directory.signer_of(signature.keyid)  # UnknownParticipantError if no one holds it
    public = next(k.key for k in signer.signing_keys if key_id(k.key) == signature.keyid)
    verify(public, kind, doc.payload, signature)
    return signer, public


def expected_file_name(manifest: Manifest) -> str:
    """The name §4.1 gives the package the last manifest describes."""
    return media.package_file_name(
        manifest.period.replace("..", "_"), manifest.sender, manifest.recipient, manifest.package_id, manifest.rehearsal
    )


def verify_outer(
    path: Path, directory: Directory, *, now: datetime, measured: tuple[int, bytes] | None = None,
    manifest: Manifest | None = None,
) -> OuterStatement:
    """Check a package's outer signature and that the file on the medium is what it signs.

    Needs no secret key: anyone holding the directory can check a medium. ``measured``
    is the (size, SHA-256) of the file as already read (by ``receive``, which saves
    reading it twice and checks the very bytes it decrypted). With ``manifest`` (the
    package's last, verified), every field of the statement must equal it. ``now``:
    this computer's clock, for the one signature rule (secxfer.trust.validity).
    """
    path = Path(path)
    statement = verified_outer_statement(media.read_sidecar(path), directory, now=now)
    if manifest is not None:
        claimed = (statement.package_id, statement.sender, statement.recipient, statement.period,
                   statement.rehearsal, statement.created, statement.file_name)
        signed = (manifest.package_id, manifest.sender, manifest.recipient, manifest.period,
                  manifest.rehearsal, manifest.created, expected_file_name(manifest))
        if claimed != signed:
            raise IntegrityError(
                f"the outer signature of {path.name!r} describes another package than the one inside "
                f"(package {statement.package_id}, not {manifest.package_id})",
                hint="the .sig file was swapped or belongs to another package; ask the sender for both files again",
                facts={"wording": "sig-swapped", "file": path.name, "claimed": statement.package_id,
                       "inside": manifest.package_id},
            )
    size, digest = measured if measured is not None else media.file_sha256(path)
    if size != statement.size or not hmac.compare_digest(digest, statement.sha256):
        raise IntegrityError(
            f"{path.name!r} is not the file its sender signed (truncated, corrupted or altered)",
            facts={"wording": "not-signed-bytes", "file": path.name},
        )
    if statement.file_name != path.name:
        raise IntegrityError(f"package was renamed: signed as {statement.file_name!r}",
                             facts={"wording": "renamed", "signed_as": statement.file_name})
    return statement


def verified_outer_statement(raw: bytes, directory: Directory, *, now: datetime) -> OuterStatement:
    """The outer statement in a ``.sig`` file's bytes, once its one signature verifies by a
    key its sender held when it signed. No file is compared (see :func:`verify_outer`):
    ``media verify`` uses this to recognise a renamed package by its contents."""
    doc = SignedDocument.decode(raw, kind=OUTER_KIND, max_bytes=OUTER_MAX_BYTES)
    signer, public = _verified_signer(doc, OUTER_KIND, directory, "an outer signature file")
    statement = decode_outer(doc.payload)
    if statement.sender != signer.id:
        raise SignatureError(f"outer statement names sender {statement.sender!r} but is signed by {signer.id!r}")
    directory.require_signing_key(signer.id, public, statement.created, now=now)
    return statement


def index_entry_agrees(entry: media.IndexEntry, index_sender: str, statement: OuterStatement) -> bool:
    """Whether a medium's index entry says what the package's (verified) outer statement
    says (docs/format.md §4.3): the key-less check ``media verify`` makes."""
    return (index_sender, entry.file_name, entry.size, entry.sha256, entry.package_id, entry.recipient,
            entry.period, entry.rehearsal) == (
        statement.sender, statement.file_name, statement.size, statement.sha256, statement.package_id,
        statement.recipient, statement.period, statement.rehearsal)


def verify_index_entry(
    path: Path, directory: Directory, manifest: Manifest, manifest_sha256: bytes, measured: tuple[int, bytes], *,
    now: datetime,
) -> bool:
    """Hold the medium's index entry for ``path`` (if the index beside it lists it) against
    the last manifest; True if an entry was checked, False if there is none to check."""
    path = Path(path)
    index_path = path.parent / media.INDEX_NAME
    if not index_path.exists() and not index_path.is_symlink():
        return False
    raw = media.read_medium_file(index_path, "medium index", MEDIA_INDEX_MAX_BYTES)
    doc = SignedDocument.decode(raw, kind=media.INDEX_KIND, max_bytes=MEDIA_INDEX_MAX_BYTES)
    signer, public = _verified_signer(doc, media.INDEX_KIND, directory, "a medium index")
    index = media.decode_index(doc.payload)
    if index.sender != signer.id:
        raise SignatureError(f"medium index names sender {index.sender!r} but is signed by {signer.id!r}")
    entry = next((e for e in index.packages if e.file_name == path.name), None)
    if entry is None:
        return False  # a package copied beside another sender's index: nothing binds them
    directory.require_signing_key(signer.id, public, manifest.created, now=now)
    rows = tuple(f.rows for f in sorted(manifest.files, key=lambda f: f.annex))
    listed = (index.sender, entry.size, entry.sha256, entry.package_id, entry.recipient, entry.period,
              entry.rehearsal, tuple(entry.rows), entry.manifest_sha256)
    actual = (manifest.sender, measured[0], measured[1], manifest.package_id, manifest.recipient, manifest.period,
              manifest.rehearsal, rows, manifest_sha256)
    if listed != actual:
        raise IntegrityError(
            f"the medium's index lists {path.name!r} with other facts than the package's own manifest",
            hint="the index or the package was replaced on the medium; ask the sender for the medium again",
        )
    return True


def verify_recipient_set(directory: Directory, me: ParticipantSecret, manifest: Manifest, header: Header) -> None:
    """§10.4: the file key is wrapped to exactly the keys the last manifest names, all the reader's.

    ``me`` is the reader's secret key (its public keys tell which listed key is its
    own); ``header`` the age header decrypted (MAC-checked). Stanzas of a type no
    recipient here has (grease) are ignored.
    """
    from secxfer.age.kinds import CLASSICAL_TYPES, POSTQUANTUM_TYPES, stanza_kinds
    from secxfer.trust.agekeys import parse_recipient_text, recipient_text
    from secxfer.trust.directory.entries import MLKEM768X25519

    listed = list(manifest.recipient_keys)
    if len(set(listed)) != len(listed) or not listed:
        raise IntegrityError(f"package {manifest.package_id} lists no recipient key, or one twice")
    entries = directory.participant(manifest.recipient).encryption_keys
    types = set()
    for text in listed:
        key_type, raw = parse_recipient_text(text)
        entry = next((e for e in entries if e.key == raw and e.key_type == key_type), None)
        if entry is None:
            raise IntegrityError(
                f"package {manifest.package_id} is sealed to a key that is not {manifest.recipient}'s ({text[:16]}…)",
                hint="someone else can open this package too; keep the medium and report it to the sender",
            )
        entry.require_usable(manifest.created, f"encryption key {text[:16]}… of {manifest.recipient}")
        types.add(key_type)
    kinds = stanza_kinds(header.stanzas)
    stanza_type = "mlkem768x25519" if types == {MLKEM768X25519} else "X25519"
    known = [s.type for s in header.stanzas if s.type in POSTQUANTUM_TYPES | CLASSICAL_TYPES]
    if len(types) != 1 or len(known) != len(listed) or any(t != stanza_type for t in known):
        raise IntegrityError(
            f"package {manifest.package_id}'s age header wraps its file key to {len(known)} recipient(s) "
            f"({kinds.describe()}); its manifest names {len(listed)}",
            hint="someone else can open this package too; keep the medium and report it to the sender",
        )
    own = {recipient_text(raw, key_type) for key_type, raw in me.encryption_public_keys}
    if not own & set(listed):
        raise IntegrityError(f"none of the keys package {manifest.package_id} names is in this key file")

