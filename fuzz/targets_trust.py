"""Fuzz targets for trust documents exchanged between participants, and key files."""

from __future__ import annotations

import datetime as dt

from fuzz import fixtures
from fuzz.registry import KIB, as_text, each, scratch_file, target


# -- the trust wing: documents exchanged between participants ------------------------------


@target("signed-document", max_len=16 * KIB)
def signed_document(data: bytes) -> None:
    """The signed-document envelope on its own."""
    from secxfer.trust.signing import SignedDocument

    SignedDocument.decode(data)


@target("root")
def root(data: bytes) -> None:
    """A signed root: pinned on its own, and as the next version after keys-example's."""
    from secxfer.trust.root import decode_root_unverified, verify_root

    each(
        lambda: decode_root_unverified(data),
        lambda: verify_root(data),
        lambda: verify_root(data, trusted=fixtures.example_root()),
    )


@target("directory", max_len=64 * KIB)
def directory(data: bytes) -> None:
    """A key directory file (full or excerpt) under keys-example's root, and the content
    checks of an unsigned one (leaves, proofs, entries, enrollments)."""
    from secxfer.trust.directory.verify import check_directory, decode_directory_payload, verify_directory

    def content() -> None:
        decoded = decode_directory_payload(data)
        check_directory(decoded)
        decoded.covered_municipalities(dt.date(2026, 10, 1))

    each(lambda: verify_directory(data, fixtures.example_root(), now=fixtures.NOW), content)


@target("bundle", max_len=96 * KIB)
def bundle(data: bytes) -> None:
    """A trust bundle: as a file (pure state machine), compressed in a package, into a store."""
    from secxfer.chain.trustlink import load_bundle_into_store, unpack_bundle
    from secxfer.trust.store import apply_bundle, read_bundle

    each(
        lambda: read_bundle(data),
        lambda: apply_bundle(fixtures.example_state()[0], data, fixtures.NOW),
        lambda: unpack_bundle(data),
        lambda: load_bundle_into_store(fixtures.receiver_home(), data, fixtures.NOW),
    )


@target("card")
def card(data: bytes) -> None:
    """A self-signed key card."""
    from secxfer.trust.cards import card_fingerprint, read_card, verify_card

    each(lambda: read_card(data), lambda: card_fingerprint(verify_card(data)))


@target("enrollment", max_len=8 * KIB)
def enrollment(data: bytes) -> None:
    """An enrollment, checked against fed-13 of keys-example's directory."""
    from secxfer.trust.enrollment import read_enrollment, verify_enrollment

    federation = fixtures.example_directory().participant("fed-13")
    each(lambda: read_enrollment(data), lambda: verify_enrollment(data, federation, revoked_by=fixtures.NOW))


@target("secret-key")
def secret_key(data: bytes) -> None:
    """A secret key file (the passphrase-less path: parsing, checksum, KDF bounds)."""
    from secxfer.trust.secret_keys import load_secret_key

    load_secret_key(scratch_file("participant.key", data))


@target("participant-id", max_len=128)
def participant_id(data: bytes) -> None:
    """Participant ids as directories, cards and file names carry them."""
    from secxfer.trust import ids

    text = as_text(data)
    each(lambda: ids.check_participant_id(text), lambda: ids.federation_of(text), lambda: ids.code_of(text))
