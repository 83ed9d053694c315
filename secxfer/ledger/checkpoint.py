"""Signed checkpoints of the operations log, in the C2SP tlog-checkpoint note format.

    secxfer/oplog/<participant>\\n          origin
    <tree size, decimal>\\n
    <base64 Merkle tree hash>\\n
    \\n
    — <participant> <base64(key hash (4 bytes) | Ed25519 signature (64 bytes))>\\n

The signature covers the three body lines under secxfer's typed signing input
(kind ``secxfer/log-checkpoint``, docs/format.md §3), so it cannot be mistaken for
any other document; the key hash is the first 4 bytes of the signing key id.
A consistency proof (secxfer.ledger.tlog) between two checkpoints of one origin is
carried beside them as a small text file (docs/ledger.md §7.2). Which checkpoints may be
signed or carried (secxfer.ledger.logcheck, .carry) and how a parent checks them
(secxfer.ledger.forks) is decided above this module, which knows no log.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from secxfer.errors import FormatError, SignatureError
from secxfer.fsutil import atomic_write
from secxfer.ledger.errors import LogForkError, LogTamperedError
from secxfer.ledger.store import LedgerHome
from secxfer.ledger.tlog import consistency_proof, verify_consistency
from secxfer.trust.fingerprint import key_id
from secxfer.trust.signing import Signature, verify

if TYPE_CHECKING:
    from secxfer.trust import Directory, ParticipantSecret

CHECKPOINT_KIND = "secxfer/log-checkpoint"
ORIGIN_PREFIX = "secxfer/oplog/"
DASH = "\u2014"
CHECKPOINT_MAX_BYTES = 4096
PROOF_MAX_BYTES = 8192  # a format line, origin, two sizes and at most 64 hashes
PROOF_FORMAT = "secxfer-consistency-v1"
_ORIGIN = re.compile(r"secxfer/oplog/[a-z0-9-]{2,20}")
_SIZE = re.compile(r"0|[1-9][0-9]{0,15}")


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    signer: str
    key_hash: bytes
    signature: bytes
    text: bytes

    @property
    def body(self) -> bytes:
        return body(self.origin, self.size, self.root)


def origin_of(participant_id: str) -> str:
    return f"{ORIGIN_PREFIX}{participant_id}"


def body(origin: str, size: int, root: bytes) -> bytes:
    return f"{origin}\n{size}\n{base64.b64encode(root).decode()}\n".encode()


def sign_checkpoint(key: ParticipantSecret, size: int, root: bytes) -> bytes:
    """The signed note for the log of ``key``'s participant at ``size`` entries with ``root``."""
    note = body(origin_of(key.participant_id), size, root)
    signature = key.sign(CHECKPOINT_KIND, note)
    blob = bytes.fromhex(signature.keyid)[:4] + signature.sig
    return note + f"\n{DASH} {key.participant_id} {base64.b64encode(blob).decode()}\n".encode()


def _b64(text: str, length: int, what: str) -> bytes:
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise FormatError(f"checkpoint {what} is not base64") from None
    if len(raw) != length or base64.b64encode(raw).decode() != text:
        raise FormatError(f"checkpoint {what} is not {length} bytes in canonical base64")
    return raw


def parse_checkpoint(data: bytes) -> Checkpoint:
    """Parse a checkpoint note strictly (nothing verified). Extension lines are refused."""
    if len(data) > CHECKPOINT_MAX_BYTES:
        raise FormatError("checkpoint is too large")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise FormatError("checkpoint is not UTF-8 text") from None
    head, sep, tail = text.partition("\n\n")
    lines = head.split("\n")
    if not sep or len(lines) != 3 or not tail.endswith("\n"):
        raise FormatError("checkpoint must be origin, size and root hash, a blank line, and one signature line")
    origin, size, root = lines
    signature_lines = tail[:-1].split("\n")
    if not _ORIGIN.fullmatch(origin) or not _SIZE.fullmatch(size) or len(signature_lines) != 1:
        raise FormatError("checkpoint origin, size or signature line is malformed")
    parts = signature_lines[0].split(" ")
    if len(parts) != 3 or parts[0] != DASH:
        raise FormatError("checkpoint signature line is malformed")
    blob = _b64(parts[2], 68, "signature")
    return Checkpoint(origin=origin, size=int(size), root=_b64(root, 32, "root hash"), signer=parts[1],
                      key_hash=blob[:4], signature=blob[4:], text=bytes(data))


def verify_checkpoint(data: bytes, directory: Directory, *, now: datetime, held: bool = False) -> Checkpoint:
    """Parse and verify a checkpoint: signed by a signing key the directory lists for the
    participant its origin names, and standing by the one signature rule at ``now``
    (``secxfer.trust.validity``). A checkpoint is undated, so a key revoked for any
    reason refuses it unless ``held`` (this home's own kept checkpoint): a stolen key
    cannot frame its former holder with a forged checkpoint."""
    checkpoint = parse_checkpoint(data)
    participant_id = checkpoint.origin[len(ORIGIN_PREFIX):]
    if checkpoint.signer != participant_id:
        raise SignatureError(f"checkpoint of {participant_id!r} is signed as {checkpoint.signer!r}")
    participant = directory.participant(participant_id)
    for entry in participant.signing_keys:
        keyid = key_id(entry.key)
        if bytes.fromhex(keyid)[:4] == checkpoint.key_hash:
            verify(entry.key, CHECKPOINT_KIND, checkpoint.body, Signature(keyid=keyid, sig=checkpoint.signature))
            directory.require_signing_key(participant_id, entry.key, None, now=now, held=held)
            return checkpoint
    raise SignatureError(f"checkpoint is not signed by a key of {participant_id!r}")


def write_checkpoint(home: Path, key: ParticipantSecret, size: int, root: bytes) -> Path:
    """Sign and keep a checkpoint in the home (``checkpoints/<size>.txt``); return its path."""
    ledger = LedgerHome(home)
    ledger.checkpoints.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = ledger.checkpoints / f"{size:08d}.txt"
    if not path.exists():
        atomic_write(path, sign_checkpoint(key, size, root))
    return path


def kept_checkpoints(home: Path) -> list[Path]:
    folder = LedgerHome(home).checkpoints
    return sorted(folder.glob("*.txt")) if folder.is_dir() else []


# -- consistency proofs carried beside checkpoints -----------------------------------


def encode_proof(origin: str, old_size: int, new_size: int, proof: list[bytes]) -> bytes:
    lines = [PROOF_FORMAT, origin, str(old_size), str(new_size), *(base64.b64encode(h).decode() for h in proof)]
    return ("\n".join(lines) + "\n").encode()


def parse_proof(data: bytes) -> tuple[str, int, int, list[bytes]]:
    if len(data) > PROOF_MAX_BYTES:
        raise FormatError(f"consistency proof is larger than {PROOF_MAX_BYTES} bytes")
    try:
        lines = data.decode("ascii").split("\n")
    except UnicodeDecodeError:
        raise FormatError("consistency proof is not ASCII text") from None
    if len(lines) < 5 or lines[0] != PROOF_FORMAT or lines[-1] != "" or len(lines) > 5 + 64:
        raise FormatError(f"not a {PROOF_FORMAT} file")
    if not _ORIGIN.fullmatch(lines[1]) or not _SIZE.fullmatch(lines[2]) or not _SIZE.fullmatch(lines[3]):
        raise FormatError("consistency proof header is malformed")
    return lines[1], int(lines[2]), int(lines[3]), [_b64(x, 32, "proof hash") for x in lines[4:-1]]


def prove(leaf_hashes: list[bytes], origin: str, old_size: int) -> bytes:
    """A consistency proof file from ``old_size`` to the whole log."""
    if old_size > len(leaf_hashes):
        raise LogTamperedError(f"the log has {len(leaf_hashes)} entries, fewer than the {old_size} to prove")
    return encode_proof(origin, old_size, len(leaf_hashes), consistency_proof(leaf_hashes, old_size))


def compare(a: Checkpoint, b: Checkpoint, proof: bytes | None) -> str:
    """Check two verified checkpoints of one log against each other; describe the result.

    Raises LogForkError when they show two histories (same size, other root; or the
    proof does not lead from the smaller to the larger), FormatError when a needed
    proof is missing or names other trees.
    """
    if a.origin != b.origin:
        raise FormatError(f"the checkpoints are of different logs: {a.origin!r} and {b.origin!r}")
    old, new = sorted((a, b), key=lambda c: c.size)
    if old.size == new.size:
        if old.root != new.root:
            raise LogForkError(
                f"two checkpoints of {a.origin} for the same {a.size} entries have different root hashes: "
                "the log shows two histories"
            )
        return f"{a.origin}: the same tree of {a.size} entries"
    if proof is None:
        raise FormatError(
            f"a consistency proof from {old.size} to {new.size} entries is needed",
            hint="give the consistency proof written with the newer checkpoint, or run where the log is",
            facts={"advice": "consistency-proof"},
        )
    origin, old_size, new_size, hashes = parse_proof(proof)
    if (origin, old_size, new_size) != (a.origin, old.size, new.size):
        raise FormatError(f"the proof is for {origin} {old_size}→{new_size}, not {a.origin} {old.size}→{new.size}")
    verify_consistency(old.size, new.size, old.root, new.root, hashes)
    return f"{a.origin}: {new.size} entries extend the {old.size} entries checkpointed before"
