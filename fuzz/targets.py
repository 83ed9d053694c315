"""The fuzz targets: every parser of outside data, each a function of one byte string.

A target may return or raise a ``SecxferError`` (the input was refused cleanly);
any other exception, a hang or unbounded memory is a defect. Targets that feed one
input to several parsers give each its own chance (``_each``), so a refusal by the
first does not hide a crash in the next.

Inputs that arrive from outside: packages and their sidecars on media (age header
and payload, container, manifests, outer statements, media indexes, leaves, the
carried trust bundle), trust documents exchanged by hand (roots, directories,
bundles, key cards, enrollments), key files, annex CSVs, and the short texts users
and files give (codes, dates, periods, holiday overrides, participant ids).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass

from fuzz import fixtures
from secxfer.errors import SecxferError

KIB = 1024


@dataclass(frozen=True)
class Target:
    name: str
    run: Callable[[bytes], None]
    max_len: int
    about: str


TARGETS: dict[str, Target] = {}


def target(name: str, *, max_len: int = 4 * KIB) -> Callable[[Callable[[bytes], None]], Callable[[bytes], None]]:
    def register(function: Callable[[bytes], None]) -> Callable[[bytes], None]:
        TARGETS[name] = Target(name, function, max_len, (function.__doc__ or "").strip())
        return function

    return register


def _each(*calls: Callable[[], object]) -> None:
    for call in calls:
        try:
            call()
        except SecxferError:
            pass


def _text(data: bytes) -> str:
    # Command-line arguments reach Python as str with surrogate escapes for bad bytes.
    return data.decode("utf-8", "surrogateescape")


def _scratch_file(name: str, data: bytes):
    path = fixtures.scratch() / name
    path.write_bytes(data)
    return path


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

    path = _scratch_file("keys.txt", data)
    _each(lambda: load_identity_file(path), lambda: load_recipients_file(path))


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

    _each(lambda: decode_manifest(data), lambda: verify_manifest(data, fixtures.vector_directory()))


@target("outer")
def outer(data: bytes) -> None:
    """The outer signature file beside a package (statement, signature, file facts)."""
    from secxfer.chain.manifest import decode_outer
    from secxfer.chain.package import verify_outer

    package = fixtures.scratch() / fixtures.GOOD_VECTOR
    if not package.exists():
        package.write_bytes((fixtures.VECTORS / fixtures.GOOD_VECTOR).read_bytes())
    _scratch_file(fixtures.GOOD_VECTOR + ".sig", data)
    _each(lambda: decode_outer(data), lambda: verify_outer(package, fixtures.vector_directory()))


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
    _each(
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
    path = _scratch_file("package.age", encrypt_bytes([key.encryption_identity.recipient], data))
    with receive(path, me=key, home=fixtures.receiver_home(), now=fixtures.NOW, check_replay=False):
        pass


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

    _each(
        lambda: decode_root_unverified(data),
        lambda: verify_root(data),
        lambda: verify_root(data, trusted=fixtures.example_root()),
    )


@target("directory", max_len=64 * KIB)
def directory(data: bytes) -> None:
    """A key directory file (full or excerpt) under keys-example's root, and the content
    checks of an unsigned one (leaves, proofs, entries, enrollments)."""
    from secxfer.trust.directory import check_directory, decode_directory_payload, verify_directory

    def content() -> None:
        decoded = decode_directory_payload(data)
        check_directory(decoded)
        decoded.covered_municipalities(dt.date(2026, 10, 1))

    _each(lambda: verify_directory(data, fixtures.example_root(), now=fixtures.NOW), content)


@target("bundle", max_len=96 * KIB)
def bundle(data: bytes) -> None:
    """A trust bundle: as a file (pure state machine), compressed in a package, into a store."""
    from secxfer.chain.trustlink import load_bundle_into_store, unpack_bundle
    from secxfer.trust.store import apply_bundle, read_bundle

    _each(
        lambda: read_bundle(data),
        lambda: apply_bundle(fixtures.example_state()[0], data, fixtures.NOW),
        lambda: unpack_bundle(data),
        lambda: load_bundle_into_store(fixtures.receiver_home(), data, fixtures.NOW),
    )


@target("card")
def card(data: bytes) -> None:
    """A self-signed key card."""
    from secxfer.trust.cards import card_fingerprint, read_card, verify_card

    _each(lambda: read_card(data), lambda: card_fingerprint(verify_card(data)))


@target("enrollment", max_len=8 * KIB)
def enrollment(data: bytes) -> None:
    """An enrollment, checked against fed-13 of keys-example's directory."""
    from secxfer.trust.enrollment import read_enrollment, verify_enrollment

    federation = fixtures.example_directory().participant("fed-13")
    _each(lambda: read_enrollment(data), lambda: verify_enrollment(data, federation, revoked_by=fixtures.NOW))


@target("secret-key")
def secret_key(data: bytes) -> None:
    """A secret key file (the passphrase-less path: parsing, checksum, KDF bounds)."""
    from secxfer.trust.secret_keys import load_secret_key

    load_secret_key(_scratch_file("participant.key", data))


@target("participant-id", max_len=128)
def participant_id(data: bytes) -> None:
    """Participant ids as directories, cards and file names carry them."""
    from secxfer.trust import ids

    text = _text(data)
    _each(lambda: ids.check_participant_id(text), lambda: ids.federation_of(text), lambda: ids.code_of(text))


# -- the domain: annex CSVs and the texts inside them ------------------------------------------


@target("annex-csv", max_len=16 * KIB)
def annex_csv(data: bytes) -> None:
    """secxfer.domain.validate.read_annex; the first byte picks annex and profile."""
    from secxfer.domain.validate import read_annex, read_record

    selector, body = (data[0], data[1:]) if data else (0, b"")
    profile = ("default", "utf-8", "no-header")[selector // 3 % 3]
    reading = read_annex(body, annex=selector % 3 + 1, period="2026-10", profile=profile)
    for row in reading.rows[:4]:
        _each(lambda row=row: read_record(reading, row))


@target("code", max_len=64)
def code(data: bytes) -> None:
    """Local-government codes: 5 or 6 digits, full-width, insurer routing on a date."""
    from secxfer.domain import municipalities as m

    text = _text(data)
    _each(
        lambda: m.read_code(text),
        lambda: m.lookup(text),
        lambda: m.resolve_insurer(text, dt.date(2026, 10, 1)),
        lambda: m.resolve_insurer(text, dt.date(2023, 12, 31)),
    )


@target("date", max_len=64)
def date(data: bytes) -> None:
    """Dates in every accepted form (YYYYMMDD, slashed, era letter/digit/kanji)."""
    from secxfer.domain.dates import DateFormat, read_date

    text = _text(data)
    _each(lambda: read_date(text, frozenset(DateFormat)), lambda: read_date(text, frozenset(DateFormat), full_width=False))


@target("period", max_len=64)
def period(data: bytes) -> None:
    """Periods (YYYY-MM, ranges, open ends) and the deadline derived from them."""
    from secxfer.domain.calendar import explain_deadline
    from secxfer.domain.period import parse_period

    text = _text(data)
    _each(lambda: parse_period(text, today=dt.date(2026, 11, 2)), lambda: explain_deadline(text))


@target("holidays", max_len=4 * KIB)
def holidays(data: bytes) -> None:
    """A holiday override file's text."""
    from secxfer.domain.calendar import parse_holiday_overrides

    parse_holiday_overrides(_text(data))


# -- the ledger: receipts, reports and aggregates on return media, logs and checkpoints ----------


def _payload_checks(data: bytes, decoder, kind: str, then=None) -> None:
    """Decode ``data`` as a ledger payload (what a signer's own bytes may hold) and run ``then``."""
    from secxfer.ledger.evidence import MAX_BYTES
    from secxfer.trust.codec import decode_strict

    model = decode_strict(data, decoder, what=kind, max_bytes=MAX_BYTES[kind])
    if then is not None:
        then(model)


@target("receipt", max_len=16 * KIB)
def receipt(data: bytes) -> None:
    """A signed receipt against a ledger network's directory, and a receipt payload."""
    from secxfer.ledger import receipts
    from secxfer.ledger.evidence import RECEIPT_KIND

    directory = fixtures.ledger_world()["directory"]
    _each(lambda: receipts.verify_receipt(data, directory),
          lambda: _payload_checks(data, receipts._decoder, RECEIPT_KIND))


@target("report", max_len=16 * KIB)
def report(data: bytes) -> None:
    """A signed hop report, and a report payload with its balance checks."""
    from secxfer.ledger import reports
    from secxfer.ledger.evidence import REPORT_KIND

    directory = fixtures.ledger_world()["directory"]
    _each(lambda: reports.verify_report(data, directory),
          lambda: _payload_checks(data, reports._decoder, REPORT_KIND, reports.balance_problems))


@target("aggregate", max_len=32 * KIB)
def aggregate(data: bytes) -> None:
    """A federation's signed aggregate as central reads it, a sealed return file, an aggregate payload."""
    from secxfer.ledger import aggregate as agg
    from secxfer.ledger.collect import verify_item
    from secxfer.ledger.evidence import AGGREGATE_KIND
    from secxfer.ledger.returns import open_sealed

    world = fixtures.ledger_world()
    central = world["net"].secrets["central"]
    path = _scratch_file("return.age", data)
    _each(lambda: agg.verify_aggregate(data, world["directory"], me="central"),
          lambda: verify_item(open_sealed(path, central), world["directory"]),
          lambda: _payload_checks(data, agg._decoder, AGGREGATE_KIND))


@target("checkpoint", max_len=4 * KIB)
def checkpoint(data: bytes) -> None:
    """A signed log checkpoint and a consistency proof, as carried on media and compared."""
    from secxfer.ledger import checkpoint as cp

    directory = fixtures.ledger_world()["directory"]
    _each(lambda: cp.parse_checkpoint(data), lambda: cp.verify_checkpoint(data, directory), lambda: cp.parse_proof(data))


@target("oplog", max_len=32 * KIB)
def oplog(data: bytes) -> None:
    """Operations log lines: sequence, hash links, a torn tail."""
    from secxfer.ledger.oplog import check_lines

    cut = data.rfind(b"\n") + 1
    check_lines(data[:cut].split(b"\n")[:-1], data[cut:])
