"""One package: write it (container → age → medium, outer signature) and receive it.

Receiving decrypts into an anonymous scratch file under the home folder while the
container is parsed from the decrypted bytes as they pass (the small entries held,
the data files only located), brings the carried key directory through the trust
store's rules, and verifies the manifest chain, the leaves and every data file, whose
rows are read back from the scratch file a block at a time: memory stays bounded
whatever the package's size. Nothing is written anywhere else until all of that holds.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import msgspec

from secxfer.chain import container, media
from secxfer.chain.datacheck import Positional, verify_data
from secxfer.chain.binding import verify_index_entry, verify_outer, verify_recipient_set  # noqa: F401 (verify_outer re-exported)
from secxfer.chain.home import ChainHome
from secxfer.chain.identity import (
    Identified,
    PackageIdentity,
    index_entry,
    indexed_identity,
    outer_statement,
    written_identity,
)
from secxfer.chain.manifest import (
    MANIFEST_KIND,
    OUTER_KIND,
    FileEntry,
    Manifest,
    encode,
)
from secxfer.chain.provenance import CarriedLeaf
from secxfer.chain.received import FramingWriter, HashingReader, ReceivedPackage, held_in_memory
from secxfer.chain.trustlink import load_bundle_into_store, pack_bundle, pin_anchor, unpack_bundle
from secxfer.chain.verify import (
    ANNEX_FILES,
    VerifiedChain,
    decode_leaves,
    require_derived_ids,
    scope_codes,
    verify_chain,
    verify_consent,
    verify_leaves,
    withheld_upstream,
)
from secxfer.errors import (
    FormatError,
    IntegrityError,
    NoIdentityMatchError,
    ProvenanceError,
    ReplayError,
    SecxferError,
)
from secxfer.trust.signing import sign_document

if TYPE_CHECKING:
    from secxfer.age.format import Header
    from secxfer.age.recipients import Rng
    from secxfer.trust import Directory, ParticipantSecret

REQUIRED_ENTRIES = ("trust", "manifest-0", "leaves", *ANNEX_FILES.values())
AGE_OVERHEAD_PER_CHUNK = 16
CHUNK = 64 * 1024


class WrongRecipientKeyError(NoIdentityMatchError):
    """The package is not encrypted to this participant's key.

    ``facts``: ``me`` (the key's participant) and, when the package's outer statement
    or its file name says so (unverified: only a hint for the person at the desk),
    ``recipient`` and ``recipient_name``.
    """

    default_hint = "open it on the PC of the participant it is addressed to, with that participant's key"


def _not_for_this_key(path: Path, me: str) -> WrongRecipientKeyError:
    """Name whom the package says it is for (outer statement, else file name), unverified."""
    recipient = None
    try:
        from secxfer.chain.manifest import OUTER_KIND, decode_outer
        from secxfer.limits import OUTER_MAX_BYTES
        from secxfer.trust.signing import SignedDocument

        doc = SignedDocument.decode(media.read_sidecar(Path(path)), kind=OUTER_KIND, max_bytes=OUTER_MAX_BYTES)
        recipient = decode_outer(doc.payload).recipient
    except (SecxferError, OSError, ValueError):  # a missing or odd sidecar only costs the hint
        found = re.search(r"_to_((?:mun|fed)-\d{2,6}|central|agency)_", Path(path).name)
        recipient = found.group(1) if found else None
    if recipient is None:
        return WrongRecipientKeyError(
            f"this package is not encrypted to the key of {me}", facts={"me": me},
        )
    from secxfer.domain.municipalities import participant_name

    name = participant_name(recipient)
    shown = f"{recipient} ({name})" if name else recipient
    return WrongRecipientKeyError(
        f"this package is for {shown}, not for {me}: it is not encrypted to {me}'s key",
        facts={"me": me, "recipient": recipient, "recipient_name": name or recipient},
    )


class PackageReplayError(ReplayError):
    """A package, or the delivery it belongs to, already processed in this home.

    ``package_id`` names the package offered; ``record`` is the replay record it
    matched (when and where it was processed); ``origin_package_id`` and
    ``delivery_id`` name the delivery, for the failure receipt; ``sha256`` is the
    offered file's hash (an interrupted run of the very same file is not a replay).
    """

    default_hint = (
        "nothing was written again. If the output folder named here was lost, do not open another "
        "copy: restore it from your office's backup; if there is none, ask the agency through your "
        "federation for a replacement delivery (sealed again on purpose), which opens normally"
    )

    def __init__(
        self, package_id: str, record: dict | None = None, *, origin_package_id: str | None = None,
        delivery_id: str | None = None, sha256: bytes | None = None, hint: str | None = None,
    ) -> None:
        record = record or {}
        super().__init__(_replay_message(package_id, record, origin_package_id), hint=hint,
                         facts=_replay_facts(package_id, record))
        self.package_id = package_id
        self.record = record
        self.origin_package_id = origin_package_id
        self.delivery_id = delivery_id
        self.sha256 = sha256


def _replay_facts(package_id: str, record: dict) -> dict[str, str] | None:
    """The plain case (this very package, processed here before) as facts; a re-issue keeps its English."""
    role, first = record.get("role"), record.get("package_id", package_id)
    if first != package_id or role not in ("open", "relay") or not record.get("at") or not record.get("out"):
        return None
    return {"wording": role, "package_id": package_id, "at": str(record["at"]), "out": str(record["out"])}


def _replay_message(package_id: str, record: dict, origin: str | None) -> str:
    verb = {"open": "opened", "relay": "relayed"}.get(str(record.get("role")), "processed")
    when = f" on {record['at']}" if record.get("at") else ""
    where = f", outputs in {record['out']!r}" if record.get("out") else ""
    first = record.get("package_id", package_id)
    if first == package_id:
        return f"package {package_id} was already processed here ({verb}{when}{where})"
    return (
        f"package {package_id} re-issues delivery {origin} (period {record.get('period', '?')}), which was "
        f"already processed here as package {first} ({verb}{when}{where}): a relay issued the same delivery twice"
    )


@dataclass(frozen=True)
class WrittenPackage(Identified):
    path: Path
    size: int
    identity: PackageIdentity
    index_entry: media.IndexEntry

    @property
    def sha256(self) -> bytes:
        return self.identity.encrypted_sha256

    @property
    def manifest_sha256(self) -> bytes:
        return self.identity.manifest_sha256


def write_package(
    *,
    folder: Path,
    sender: ParticipantSecret,
    directory: Directory,
    bundle: bytes,
    previous: Sequence[bytes],
    manifest: Manifest,
    leaves: Sequence[CarriedLeaf],
    files: dict[int, list[container.Chunk]],
    rng: Rng | None = None,
) -> WrittenPackage:
    """Sign ``manifest`` (completed with file facts), encrypt to the recipient, write to ``folder``.

    ``files`` maps annex number to the chunks of its data file (prefix, then rows),
    which are read once, as they are encrypted. The package is encrypted to every
    current encryption key of the recipient in the directory (main and backup) and to
    nobody else.
    """
    from secxfer.age import encrypt_stream

    recipients = directory.encryption_recipients(manifest.recipient, manifest.created)
    if not recipients:
        raise IntegrityError(
            f"the directory lists no valid encryption key for {manifest.recipient!r}",
            hint="the recipient must enroll a key before it can receive packages",
        )
    entries_meta = []
    for annex, name in ANNEX_FILES.items():
        rows = sum(c.leaf.rows[annex - 1] for c in leaves)
        entries_meta.append(FileEntry(name=name, annex=annex, size=sum(len(c) for c in files[annex]), rows=rows))
    leaves_bytes = msgspec.json.encode(tuple(leaves))
    manifest = msgspec.structs.replace(
        manifest,
        recipient_keys=tuple(r.encode() for r in recipients),
        files=tuple(entries_meta),
        leaves_sha256=hashlib.sha256(leaves_bytes).digest(),
    )
    payload = encode(manifest)
    signed_manifest = sign_document(MANIFEST_KIND, payload, [sender])
    entries: list[tuple[str, list]] = [("trust", [pack_bundle(bundle)])]
    entries += [(f"manifest-{i}", [m]) for i, m in enumerate([*previous, signed_manifest])]
    entries.append(("leaves", [leaves_bytes]))
    entries += [(ANNEX_FILES[a], files[a]) for a in ANNEX_FILES]

    plain_size = container.serialized_size(entries)
    expected = plain_size + (plain_size // CHUNK + 1) * AGE_OVERHEAD_PER_CHUNK + 4096
    name = media.package_file_name(
        _slug(manifest.period), manifest.sender, manifest.recipient, manifest.package_id, manifest.rehearsal
    )
    path = Path(folder) / name

    def encrypt(writer: BinaryIO) -> None:
        encrypt_stream(recipients, container.ChunkStream(container.serialize(entries)), writer, rng=rng)

    media.clear_interrupted(Path(folder), name)  # a rerun after a crash writes the same name again
    size, digest = media.write_encrypted(path, encrypt, expected_size=expected)
    identity = written_identity(
        manifest, file_name=name, encrypted_sha256=digest, manifest_sha256=hashlib.sha256(payload).digest()
    )
    outer = outer_statement(identity, size, manifest.created)
    media.write_sidecar(path, sign_document(OUTER_KIND, encode(outer), [sender]))
    return WrittenPackage(path=path, size=size, identity=identity, index_entry=index_entry(identity, size))


def _slug(period_label: str) -> str:
    return period_label.replace("..", "_")


def written_from_index(folder: Path, package_id: str) -> WrittenPackage | None:
    """A package already completed in ``folder`` (listed in its index, file intact), if any."""
    index = media.read_index_unverified(folder)
    for entry in index.packages if index else ():
        path = Path(folder) / entry.file_name
        if entry.package_id == package_id and path.is_file():
            size, digest = media.file_sha256(path)
            if size == entry.size and hmac.compare_digest(digest, entry.sha256):
                return WrittenPackage(path=path, size=size, identity=indexed_identity(entry, index.sender),
                                      index_entry=entry)
    return None


def write_index(folder: Path, sender: ParticipantSecret, entries: Sequence[media.IndexEntry]) -> None:
    """Sign and (re)write the medium's index with ``entries`` added to what it lists."""
    existing: dict[str, media.IndexEntry] = {}
    previous = media.read_index_unverified(folder)
    if previous is not None and previous.sender == sender.participant_id:
        existing = {e.file_name: e for e in previous.packages if (Path(folder) / e.file_name).is_file()}
    for entry in entries:
        existing[entry.file_name] = entry
    index = media.MediaIndex(sender=sender.participant_id, packages=tuple(existing[k] for k in sorted(existing)))
    media.write_index(folder, sign_document(media.INDEX_KIND, media.encode_index(index), [sender]))


def receive(
    path: Path, *, me: ParticipantSecret, home: Path, now: dt.datetime, check_replay: bool = True,
    anchor: bytes | None = None,
) -> ReceivedPackage:
    """Decrypt and verify the package at ``path`` for participant ``me``.

    Raises an IntegrityError subclass (exit 3) for anything that does not verify,
    including a package already processed in this home (replay). ``anchor`` (a signed
    root) is pinned first if this home trusts no root yet.
    """
    from secxfer.age import decrypt_to_scratch

    pin_anchor(home, anchor, now)
    chain_home = ChainHome(home)
    scratch = chain_home.scratch()
    headers: list = []
    framer = container.Framer(hold=held_in_memory)
    try:
        with media.open_package_file(path) as handle:
            reader = HashingReader(handle)
            # hybrid and X25519; the header is taken from the very bytes decrypted
            try:
                decrypt_to_scratch(list(me.encryption_identities), reader, FramingWriter(scratch, framer),
                                   on_header=headers.append)
            except NoIdentityMatchError as error:
                raise _not_for_this_key(path, me.participant_id) from error
            while reader.read(1 << 20):
                pass  # age stops at the end of the payload; a tail would have failed decryption
        scratch.flush()
        length = scratch.seek(0, 2)
        if length == 0:
            raise FormatError("package decrypted to nothing")
        entries = framer.finish()  # the grammar's first deviation, now that every byte authenticated
        for name in REQUIRED_ENTRIES:
            if name not in entries:
                raise FormatError(f"package lacks its {name!r} entry")
        numbered = [name for name in entries if name.startswith("manifest-")]
        if numbered != [f"manifest-{i}" for i in range(len(numbered))]:
            raise FormatError("package's manifests are not numbered from 0 without a gap")
        carried = unpack_bundle(bytes(entries["trust"].data))
        directory = load_bundle_into_store(home, carried, now, anchor=anchor)
        envelopes = [bytes(entries[name].data) for name in numbered]
        chain = verify_chain(envelopes, directory, me.participant_id, now=now)
        manifest = chain.current
        try:
            require_derived_ids(chain)
        except ProvenanceError as forged:
            if check_replay:  # the same delivery under a forged id: say first that it was processed here
                _require_not_processed(chain_home, chain, me.participant_id, reader.hash.digest(), forged=forged)
            raise
        _require_file_encryption(directory, me.participant_id, headers[0], manifest.package_id)
        verify_recipient_set(directory, me, manifest, headers[0])
        if not hmac.compare_digest(manifest.leaves_sha256, hashlib.sha256(entries["leaves"].data).digest()):
            raise IntegrityError("the leaf list differs from what the sender's manifest states")
        leaves = decode_leaves(entries["leaves"].data)
        held = withheld_upstream(chain, directory, me.participant_id, now)
        expected = [c for c in scope_codes(directory, me.participant_id, chain.commitment.covered) if c not in held]
        verify_leaves(leaves, chain.commitment, expected)
        verify_consent(directory, me.participant_id, leaves, chain.origin.created, now)
        spans = verify_data(Positional(scratch), entries, manifest, chain.commitment, leaves)
        measured = (reader.size, reader.hash.digest())
        outer_checked = Path(str(path) + media.SIDECAR_SUFFIX).exists()
        if outer_checked:  # a package copied alone may lack it (docs/format.md §10.2 step 14)
            verify_outer(Path(path), directory, now=now, measured=measured, manifest=manifest)
        verify_index_entry(Path(path), directory, manifest, chain.payload_hashes[-1], measured, now=now)
        if check_replay:
            _require_not_processed(chain_home, chain, me.participant_id, measured[1])
        return ReceivedPackage(
            path=Path(path), size=measured[0], sha256=measured[1], scratch=scratch,
            entries=entries, chain=chain, directory=directory, leaves=leaves, spans=spans, bundle=carried,
            outer_checked=outer_checked,
        )
    except BaseException:
        scratch.close()
        raise


def _require_not_processed(
    chain_home: ChainHome, chain: VerifiedChain, me: str, sha256: bytes, *, forged: ProvenanceError | None = None
) -> None:
    """Refuse a package processed here before, or any package of a delivery processed here
    (docs/format.md §10.5). ``forged``: the package's id does not derive from its parent,
    which the message adds to the replay it reports."""
    manifest, origin = chain.current, chain.origin
    record = chain_home.processed(package_id=manifest.package_id, origin=origin.package_id, recipient=me)
    if record is not None:
        error = PackageReplayError(
            manifest.package_id, record, origin_package_id=origin.package_id,
            delivery_id=chain.commitment.delivery_id, sha256=sha256,
        )
        if forged is not None:
            error.message += f"; this copy's id does not derive from its parent: {manifest.sender} signed a re-issue"
            error.facts = {}
            error.args = (error.message,)
        raise error


def _require_file_encryption(directory: Directory, me: str, header: Header, package_id: str) -> None:
    """The directory's encryption policy, held against the stanzas in the file's age
    header, not against the recipient keys the sender's manifest claims."""
    from secxfer.age.kinds import stanza_kinds
    from secxfer.trust.policy import require_policy_on_file

    require_policy_on_file(
        getattr(directory, "policy", None), directory.version, directory.participant(me),
        stanza_kinds(header.stanzas), what=f"package {package_id}",
    )
