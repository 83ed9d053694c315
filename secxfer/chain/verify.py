"""Checking a decrypted package: the manifest chain back to the agency, and every row.

Pure functions over parsed content and a verified directory; no files, no keys.
Order matters: signatures over exact bytes first, then decoding, then the facts the
signed bytes state (roles, linkage, recipient, scope), then the data against the
agency's commitment.
"""

from __future__ import annotations

import contextlib
import hmac
import threading
from collections.abc import Sequence
from dataclasses import dataclass

import msgspec

from secxfer.chain.manifest import (
    MANIFEST_KIND,
    Commitment,
    Manifest,
    decode_manifest,
    sha256,
)
from secxfer.chain.provenance import CarriedLeaf, rows_digest, verify_inclusion
from secxfer.chain.rows import group_spans, newline_bytes
from secxfer.errors import FormatError, NotForUsError, ProvenanceError, SignatureError
from secxfer.limits import HOPS_MAX, MANIFEST_MAX_BYTES
from secxfer.trust.fingerprint import key_id
from secxfer.trust.signing import SignedDocument, verify

# hop -> (sender role, recipient role)
HOP_ROLES = {0: ("agency", "central"), 1: ("central", "federation"), 2: ("federation", "municipality")}
ANNEX_FILES = {1: "annex1.csv", 2: "annex2.csv", 3: "annex3.csv"}

_leaves_decoder = msgspec.json.Decoder(tuple[CarriedLeaf, ...])
LEAVES_MAX_BYTES = 4 * MANIFEST_MAX_BYTES  # central's package carries a leaf per covered insurer


@dataclass(frozen=True)
class VerifiedChain:
    manifests: tuple[Manifest, ...]
    envelopes: tuple[bytes, ...]  # signed manifest envelopes, forwarded unchanged by relays
    payload_hashes: tuple[bytes, ...]

    @property
    def origin(self) -> Manifest:
        return self.manifests[0]

    @property
    def current(self) -> Manifest:
        return self.manifests[-1]

    @property
    def commitment(self) -> Commitment:
        commitment = self.manifests[0].commitment
        assert commitment is not None  # checked in verify_chain
        return commitment


def verify_manifest(envelope: bytes, directory) -> tuple[Manifest, bytes]:
    """Verify one signed manifest against the directory; return it and its payload hash."""
    doc = SignedDocument.decode(envelope, kind=MANIFEST_KIND, max_bytes=MANIFEST_MAX_BYTES)
    if len(doc.signatures) != 1:
        raise SignatureError("a manifest must carry exactly one signature, its sender's")
    signature = doc.signatures[0]
    signer = directory.signer_of(signature.keyid)
    public = next(e.key for e in signer.signing_keys if key_id(e.key) == signature.keyid)
    verify(public, MANIFEST_KIND, doc.payload, signature)
    signer_id = signer.id
    manifest = decode_manifest(doc.payload)
    if manifest.sender != signer_id or manifest.sender_keyid != signature.keyid:
        raise SignatureError(
            f"manifest claims sender {manifest.sender!r} but is signed by {signer_id!r}"
        )
    directory.require_signing_key(signer_id, public, manifest.created)
    return manifest, sha256(doc.payload)


def verify_chain(envelopes: Sequence[bytes], directory, me: str) -> VerifiedChain:
    """Verify the manifest of every hop, their linkage, and that the last names ``me``."""
    if not 1 <= len(envelopes) <= min(HOPS_MAX, len(HOP_ROLES)):
        raise FormatError(f"package carries {len(envelopes)} manifests")
    manifests: list[Manifest] = []
    hashes: list[bytes] = []
    for hop, envelope in enumerate(envelopes):
        manifest, digest = verify_manifest(envelope, directory)
        sender_role, recipient_role = HOP_ROLES[hop]
        if manifest.hop != hop:
            raise ProvenanceError(f"manifest {hop} says it is hop {manifest.hop}")
        _require_role(directory, manifest.sender, sender_role)
        _require_role(directory, manifest.recipient, recipient_role)
        if hop == 0:
            if manifest.commitment is None or manifest.parent is not None:
                raise ProvenanceError("the agency's manifest lacks its commitment")
        else:
            prev = manifests[-1]
            parent = manifest.parent
            if manifest.commitment is not None or parent is None:
                raise ProvenanceError(f"relay manifest {hop} has no parent or a commitment of its own")
            if parent.sender != prev.sender or prev.recipient != manifest.sender or not hmac.compare_digest(
                parent.manifest_sha256, hashes[-1]
            ) or parent.package_id != prev.package_id:
                raise ProvenanceError(
                    f"hop {hop} ({manifest.sender}) does not continue the chain it carries",
                    hint="the package mixes manifests from different deliveries; report it to the sender",
                )
            first = manifests[0]
            if (manifest.period, manifest.rehearsal, manifest.purpose) != (first.period, first.rehearsal, first.purpose):
                raise ProvenanceError(f"hop {hop} changed the period, purpose or rehearsal flag")
        manifests.append(manifest)
        hashes.append(digest)
    if manifests[-1].recipient != me:
        raise NotForUsError(
            f"package is addressed to {manifests[-1].recipient!r}, not to {me!r}",
        )
    _require_policy_encryption(directory, me, manifests[-1])
    return VerifiedChain(tuple(manifests), tuple(envelopes), tuple(hashes))


HYBRID_RECIPIENT_PREFIX = "age1pq1"


def _require_policy_encryption(directory, me: str, manifest: Manifest) -> None:
    """Refuse a package sealed to classic keys where the directory requires hybrid ones.

    Without this a sender (or anyone holding an old X25519 key of ours) could keep
    using the weaker recipient type after the policy moved on: a downgrade.
    """
    policy = getattr(directory, "policy", None)
    if policy is None or not policy.requires_hybrid(directory.participant(me).role, directory.version):
        return
    if any(not key.startswith(HYBRID_RECIPIENT_PREFIX) for key in manifest.recipient_keys):
        raise SignatureError(
            f"package for {me} was sealed to classic X25519 keys, but key directory v{directory.version} "
            "requires post-quantum hybrid keys for its role",
            hint="ask the sender to import the current key directory and seal again",
        )


def _require_role(directory, participant_id: str, role: str) -> None:
    participant = directory.participant(participant_id)
    if str(participant.role) != role:
        raise SignatureError(f"{participant_id!r} is a {participant.role}, not a {role} as its position requires")


def scope_codes(directory, me: str, covered: Sequence[str]) -> list[str]:
    """The insurer codes whose leaves ``me`` must receive: all, a prefecture's, or its own."""
    participant = directory.participant(me)
    role = str(participant.role)
    if role == "central":
        return list(covered)
    if role == "federation":
        return [c for c in covered if c[:2] == participant.code[:2]]
    if role == "municipality":
        return [c for c in covered if c == participant.code]
    raise NotForUsError(f"a {role} does not receive packages")


def decode_leaves(raw: memoryview | bytes) -> tuple[CarriedLeaf, ...]:
    if len(raw) > LEAVES_MAX_BYTES:
        raise FormatError("leaf list exceeds its size limit")
    try:
        return _leaves_decoder.decode(raw)
    except (msgspec.DecodeError, UnicodeDecodeError) as error:
        raise FormatError(f"leaf list does not decode: {error}") from None


def verify_leaves(leaves: Sequence[CarriedLeaf], commitment: Commitment, expected_codes: Sequence[str]) -> None:
    """Every carried leaf is in the agency's tree, and exactly the expected ones are here."""
    codes = [c.leaf.code for c in leaves]
    if codes != list(expected_codes):
        missing = sorted(set(expected_codes) - set(codes))
        extra = sorted(set(codes) - set(expected_codes))
        raise ProvenanceError(
            "the package does not carry exactly the municipalities it should"
            + (f"; missing {missing[:5]}" if missing else "")
            + (f"; unexpected {extra[:5]}" if extra else ""),
            hint="a relay dropped or added a municipality; report it to the sender",
        )
    size = len(commitment.covered)
    for carried in leaves:
        if not 0 <= carried.index < size or commitment.covered[carried.index] != carried.leaf.code:
            raise ProvenanceError(f"leaf for {carried.leaf.code} sits at the wrong position")
        verify_inclusion(carried, size, commitment.merkle_root)


HASH_BESIDE_MIN_BYTES = 8 << 20  # below this a second thread costs more than it saves


class _FileDigests:
    """The SHA-256 of each data file, taken on a second thread for large packages.

    hashlib releases the GIL on large buffers, so the files' hashes run on the second
    core while this thread finds the row groups and hashes them; small packages hash
    inline (starting a thread costs more than the hash).
    """

    def __init__(self, datas: list) -> None:
        self._datas = datas
        self._digests: list[bytes] | None = None
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None
        if sum(len(d) for d in datas) >= HASH_BESIDE_MIN_BYTES:
            self._thread = threading.Thread(target=self._run, name="secxfer-data-hash", daemon=True)
            self._thread.start()

    @property
    def beside(self) -> bool:
        return self._thread is not None

    def _run(self) -> None:
        try:
            self._digests = [sha256(d) for d in self._datas]
        except BaseException as error:  # re-raised on the caller's thread
            self._error = error

    def wait(self) -> list[bytes]:
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self._error is not None:
            raise self._error
        if self._digests is None:
            self._digests = [sha256(d) for d in self._datas]
        return self._digests


def verify_data(
    buffer,
    entries: dict,
    manifest: Manifest,
    commitment: Commitment,
    leaves: Sequence[CarriedLeaf],
) -> dict[int, list[tuple[int, int]]]:
    """Check each data file against the manifest and the leaves; return per-leaf row spans.

    ``buffer`` is the whole decrypted container (bytes or mmap: anything with ``find``).
    Every file's hash is checked; for a large package it is taken beside the row checks
    (:class:`_FileDigests`), and a file whose hash differs is reported as such even when
    its rows failed first.
    """
    listed = {f.name: f for f in manifest.files}
    if set(listed) != set(ANNEX_FILES.values()) or len(manifest.files) != len(ANNEX_FILES):
        raise ProvenanceError("the manifest must list exactly annex1.csv, annex2.csv and annex3.csv")
    files = []
    for annex, name in ANNEX_FILES.items():
        info = listed[name]
        entry = entries.get(name)
        if entry is None:
            raise FormatError(f"package lacks {name}")
        if info.annex != annex or info.size != len(entry.data):
            raise ProvenanceError(f"{name} differs from what the sender's manifest states")
        files.append((annex, name, info, entry))
    digests = _FileDigests([entry.data for *_, entry in files])

    def check_hashes(upto: int) -> None:
        found = digests.wait()
        for (_, name, info, _), digest in zip(files[:upto], found, strict=False):
            if not hmac.compare_digest(info.sha256, digest):
                raise ProvenanceError(f"{name} differs from what the sender's manifest states")

    spans: dict[int, list[tuple[int, int]]] = {}
    try:
        for position, (annex, name, info, entry) in enumerate(files):
            if not digests.beside:
                check_hashes(position + 1)
            spans[annex] = _verify_rows(buffer, entry, name, info, annex, commitment, leaves)
    except ProvenanceError:
        check_hashes(len(files))  # a file that differs is the finding, whatever its rows did
        raise
    finally:
        if digests.beside:
            with contextlib.suppress(BaseException):
                digests.wait()  # never leave a thread reading the buffer
    check_hashes(len(files))
    return spans


def _verify_rows(buffer, entry, name: str, info, annex: int, commitment: Commitment, leaves) -> list[tuple[int, int]]:
    """One data file's header, row count and per-insurer row groups; the groups' spans."""
    data = entry.data
    counts = [c.leaf.rows[annex - 1] for c in leaves]
    if info.rows != sum(counts):
        raise ProvenanceError(f"{name}: manifest row count disagrees with the leaves")
    newline = newline_bytes(commitment.newlines[annex - 1])
    prefix = commitment.prefixes[annex - 1]
    if bytes(data[: len(prefix)]) != prefix:
        raise ProvenanceError(f"{name}: header differs from the agency's")
    start = entry.offset
    annex_spans = group_spans(buffer, start + len(prefix), start + len(data), newline, counts)
    for carried, (lo, hi) in zip(leaves, annex_spans, strict=True):
        if not hmac.compare_digest(rows_digest(memoryview(buffer)[lo:hi]), carried.leaf.rows_sha256[annex - 1]):
            raise ProvenanceError(
                f"{name}: rows for {carried.leaf.code} differ from what the agency sealed",
                hint="a row was altered, dropped, added or reordered on the way; report it to the sender",
            )
    return annex_spans
