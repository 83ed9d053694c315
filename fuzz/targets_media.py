"""Fuzz targets for what arrives on media: age files, package containers and what they carry."""

from __future__ import annotations

import io

from fuzz import fixtures
from fuzz.registry import KIB, each, scratch_file, target


# -- the age layer ---------------------------------------------------------------------


@target("age-header")
def age_header(data: bytes) -> None:
    """secxfer.age.read_header: binary or armored header, no key."""
    from secxfer.age import read_header

    read_header(io.BytesIO(data))


@target("age-decrypt", max_len=160 * KIB)
def age_decrypt(data: bytes) -> None:
    """secxfer.age.decrypt_bytes with an X25519 and a hybrid identity (header, MAC, STREAM)."""
    from secxfer.age import decrypt_bytes

    decrypt_bytes(fixtures.identities(), data)


@target("age-keys")
def age_keys(data: bytes) -> None:
    """age identity and recipients files (size-bounded reads, bech32, key types)."""
    from secxfer.age import load_identity_file, load_recipients_file

    path = scratch_file("keys.txt", data)
    each(lambda: load_identity_file(path), lambda: load_recipients_file(path))


# -- the chain: what a package and a medium carry -------------------------------------------


@target("container", max_len=64 * KIB)
def container_parse(data: bytes) -> None:
    """secxfer.chain.container.parse: the length-prefixed entries inside a package."""
    from secxfer.chain import container

    container.parse(data)


@target("manifest", max_len=16 * KIB)
def manifest(data: bytes) -> None:
    """A signed manifest: envelope, signature against the directory, strict decoding."""
    from secxfer.chain.manifest import decode_manifest
    from secxfer.chain.verify import verify_manifest

    each(lambda: decode_manifest(data), lambda: verify_manifest(data, fixtures.vector_directory(), now=fixtures.NOW))


@target("outer")
def outer(data: bytes) -> None:
    """The outer signature file beside a package (statement, signature, file facts)."""
    from secxfer.chain.manifest import decode_outer
    from secxfer.chain.package import verify_outer

    package = fixtures.scratch() / fixtures.GOOD_VECTOR
    if not package.exists():
        package.write_bytes((fixtures.VECTORS / fixtures.GOOD_VECTOR).read_bytes())
    scratch_file(fixtures.GOOD_VECTOR + ".sig", data)
    each(lambda: decode_outer(data), lambda: verify_outer(package, fixtures.vector_directory(), now=fixtures.NOW))


@target("media-index", max_len=16 * KIB)
def media_index(data: bytes) -> None:
    """SECXFER-INDEX.json: decoding, and a whole medium checked with it (media verify)."""
    from secxfer.chain import media
    from secxfer.chain.inspect import verify_media

    folder = fixtures.scratch() / "medium"
    if not folder.exists():
        folder.mkdir()
        for suffix in ("", ".sig"):
            name = fixtures.GOOD_VECTOR + suffix
            (folder / name).write_bytes((fixtures.VECTORS / name).read_bytes())
    (folder / media.INDEX_NAME).write_bytes(data)
    each(
        lambda: media.decode_index(data),
        lambda: media.read_index_unverified(folder),
        lambda: verify_media(folder, home=fixtures.receiver_home()),
    )


@target("leaves", max_len=16 * KIB)
def leaves(data: bytes) -> None:
    """The leaves entry: decoding, then inclusion proofs against the vectors' commitment."""
    from secxfer.chain.verify import decode_leaves, verify_leaves

    carried = decode_leaves(data)
    verify_leaves(carried, fixtures.vector_commitment(), ["131016"])


@target("package", max_len=64 * KIB)
def package(data: bytes) -> None:
    """A whole package as mun-131016 receives it: the input is the container, encrypted
    to mun-131016 here, so every check after decryption sees attacker-chosen content."""
    from secxfer.age import encrypt_bytes
    from secxfer.chain.package import receive

    key = fixtures.vector_key()
    path = scratch_file("package.age", encrypt_bytes([key.encryption_identity.recipient], data))
    with receive(path, me=key, home=fixtures.receiver_home(), now=fixtures.NOW, check_replay=False):
        pass
