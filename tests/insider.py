"""What a lying insider can do with a package it legitimately holds, for the attack tests.

A relay (or anyone holding a recipient's key) can decrypt a package, change what it
signs itself, re-encrypt to whom it likes and sign a fresh outer statement: exactly
what these helpers do, with the insider's own real key, so only the lie is wrong.
"""

from __future__ import annotations

import io
from pathlib import Path

import msgspec

from secxfer.age import decrypt_bytes, encrypt_stream
from secxfer.chain import container, media
from secxfer.chain.manifest import MANIFEST_KIND, OUTER_KIND, Manifest, OuterStatement, decode_manifest, encode
from secxfer.trust.signing import SignedDocument, sign_document


def plaintext(path: Path, identities) -> bytes:
    """The container inside the package at ``path``."""
    return decrypt_bytes(list(identities), Path(path).read_bytes())


def entries(plain: bytes) -> list[tuple[str, bytes]]:
    return [(name, bytes(entry.data)) for name, entry in container.parse(plain).items()]


def pack(items: list[tuple[str, bytes]]) -> bytes:
    return b"".join(bytes(c) for c in container.serialize([(name, [data]) for name, data in items]))


def last_manifest(plain: bytes) -> Manifest:
    names = [n for n, _ in entries(plain) if n.startswith("manifest-")]
    raw = dict(entries(plain))[names[-1]]
    return decode_manifest(SignedDocument.decode(raw).payload)


def resign_last_manifest(plain: bytes, signer, **changes) -> bytes:
    """``plain`` with its last manifest edited by ``changes`` and signed again by ``signer``."""
    items = entries(plain)
    name = [n for n, _ in items if n.startswith("manifest-")][-1]
    manifest = msgspec.structs.replace(last_manifest(plain), **changes)
    signed = sign_document(MANIFEST_KIND, encode(manifest), [signer])
    return pack([(n, signed if n == name else d) for n, d in items])


def write(plain: bytes, folder: Path, *, signer, recipients, rehearsal: bool = False) -> Path:
    """Encrypt ``plain`` to ``recipients`` into ``folder`` under the name its last manifest
    gives, with an outer signature by ``signer``; return the path."""
    manifest = last_manifest(plain)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    name = media.package_file_name(manifest.period.replace("..", "_"), manifest.sender, manifest.recipient,
                                   manifest.package_id, manifest.rehearsal)
    out = io.BytesIO()
    encrypt_stream(list(recipients), io.BytesIO(plain), out)
    path = folder / name
    path.write_bytes(out.getvalue())
    import hashlib

    outer = OuterStatement(
        file_name=name, size=len(out.getvalue()), sha256=hashlib.sha256(out.getvalue()).digest(),
        package_id=manifest.package_id, sender=manifest.sender, recipient=manifest.recipient,
        period=manifest.period, rehearsal=manifest.rehearsal, created=manifest.created,
    )
    media.write_sidecar(path, sign_document(OUTER_KIND, encode(outer), [signer]))
    return path
