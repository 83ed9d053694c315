"""The key directory: verification, queries the chain uses, revocation, authoring."""

from __future__ import annotations

import json
from base64 import b64encode
from datetime import date, timedelta

import msgspec
import pytest
from test_trust_support import (
    FAR,
    NOW,
    T0,
    example_card,
    example_directory,
    example_key,
    example_root,
    fresh,
    signed_anyway,
    signed_small,
    small_directory,
    small_root,
)

from secxfer.errors import (
    CompromisedKeyError,
    ExpiredError,
    FormatError,
    RevokedKeyError,
    RollbackError,
    SignatureError,
    UsageError,
)
from secxfer.trust import (
    Role,
    add_participant,
    make_card,
    record_consent,
    revoke_key,
    sign_directory,
    verify_directory,
)
from secxfer.merkle import merkle_root
from secxfer.trust.authoring import draft_bytes, find_key, load_draft, next_version, sign_draft
from secxfer.trust.codec import encode
from secxfer.trust.directory.file import DirectoryFile, DirectoryLeaf, leaf_digest, read_directory_file
from secxfer.trust.errors import RootChainError, ScopeError, ThresholdError, UnknownParticipantError
from secxfer.trust.kinds import KIND_DIRECTORY
from secxfer.trust.root import decode_root_unverified
from secxfer.trust.signing import SignedDocument, sign_document

ROOT = small_root()
ROOT_SIGNERS = [example_key("root-1"), example_key("root-2")]


@pytest.fixture(scope="module")
def example():
    root = decode_root_unverified(example_root())[1]
    return verify_directory(example_directory(), root, now=NOW)


def test_example_directory_verifies_and_lists_everyone(example):
    assert example.version == 1 and example.root_version == 1
    assert len(example.by_role(Role.FEDERATION)) == 47
    assert [p.id for p in example.by_role("root")] == ["root-1", "root-2", "root-3"]
    assert example.participant("mun-131016").name == "千代田区"
    assert example.participant("mun-141003").parent == "fed-14"
    assert example.federation_for_prefecture("01").id == "fed-01"
    assert [p.id for p in example.municipalities_of("fed-01")] == ["mun-011002", "mun-012050", "mun-012131"]


def test_consent_queries(example):
    on = date(2025, 6, 1)
    covered = [p.id for p in example.covered_municipalities(on)]
    assert "mun-012050" not in covered and len(covered) == 5
    assert example.consent_in_force("131016", on) and example.consent_in_force("mun-131016", on)
    assert not example.consent_in_force("012050", on)  # enrolled, no 委任状
    assert not example.consent_in_force("131024", on)  # not in the directory
    assert not example.consent_in_force("agency", on)
    assert not example.consent_in_force("012131", date(2021, 1, 3))  # filed 2021-01-04
    assert example.consent_in_force("012131", date(2021, 1, 4))


def test_consent_withdrawal_ends_on_its_day():
    directory = small_directory()
    assert directory.consent_in_force("mun-141003", date(2025, 6, 30))
    assert not directory.consent_in_force("mun-141003", date(2025, 7, 1))
    assert [p.id for p in directory.covered_municipalities(date(2025, 7, 1))] == ["mun-131016"]


def test_unknown_participant(example):
    with pytest.raises(UnknownParticipantError):
        example.participant("mun-131024")
    with pytest.raises(UnknownParticipantError):
        example.federation_for_prefecture("48")


def test_encryption_recipients_are_age_recipients(example):
    [recipient] = example.encryption_recipients("mun-131016", NOW)
    assert recipient.public_bytes() == example_key("mun-131016").encryption_public_key
    with pytest.raises(ExpiredError):
        example.encryption_recipients("mun-131016", T0 - timedelta(seconds=1))


def test_retired_key_is_refused_from_its_revocation_time():
    directory = small_directory()
    key = example_key("agency")
    revoked_at = NOW
    directory = revoke_key(directory, "agency", key.signing_public_key, at=revoked_at, reason="rotated",
                           revocation_class="retired")
    later = NOW + timedelta(days=40)
    directory.require_signing_key("agency", key.signing_public_key, revoked_at - timedelta(seconds=1), now=later)
    for at in (revoked_at, revoked_at + timedelta(days=30)):
        with pytest.raises(RevokedKeyError, match="rotated"):
            directory.require_signing_key("agency", key.signing_public_key, at, now=later)
    with pytest.raises(SignatureError, match="not a signing key"):
        directory.require_signing_key("agency", example_key("central").signing_public_key, NOW, now=NOW)
    with pytest.raises(ExpiredError):
        directory.require_signing_key("agency", key.signing_public_key, T0 - timedelta(days=1), now=NOW)
    # the revocation and its class survive signing and verification
    verified = verify_directory(signed_small(directory), ROOT, now=NOW)
    with pytest.raises(RevokedKeyError):
        verified.require_signing_key("agency", key.signing_public_key, NOW, now=NOW)
    verified.require_signing_key("agency", key.signing_public_key, NOW - timedelta(hours=1), now=NOW)


def test_compromised_key_is_refused_whatever_date_the_signature_claims():
    directory = small_directory()
    key = example_key("agency")
    directory = revoke_key(directory, "agency", key.signing_public_key, at=NOW, reason="medium stolen")
    verified = verify_directory(signed_small(directory), ROOT, now=NOW)
    for claimed in (NOW - timedelta(days=3), NOW - timedelta(seconds=1), NOW):
        with pytest.raises(CompromisedKeyError, match="revoked for compromise.*medium stolen"):
            verified.require_signing_key("agency", key.signing_public_key, claimed, now=NOW + timedelta(minutes=1))
    # what this installation accepted before it learnt of the revocation stands (to be flagged)
    verified.require_signing_key("agency", key.signing_public_key, NOW - timedelta(days=3), now=NOW, held=True)
    # before the revocation takes effect on the verifier's clock, the key still signs
    verified.require_signing_key("agency", key.signing_public_key, NOW - timedelta(days=1),
                                 now=NOW - timedelta(hours=1))


def test_revoked_encryption_key_leaves_the_recipients_and_backup_stays():
    directory = small_directory()
    backup = fresh("mun-131016", label="backup")
    card = make_card(backup)
    directory = add_participant(directory, card, label="backup")
    main = example_key("mun-131016").encryption_public_key
    assert [r.public_bytes() for r in directory.encryption_recipients("mun-131016", NOW)] == [
        main, backup.encryption_public_key,
    ]
    directory = revoke_key(directory, "mun-131016", main, at=NOW, reason="compromised")
    assert [r.public_bytes() for r in directory.encryption_recipients("mun-131016", NOW)] == [backup.encryption_public_key]
    directory = revoke_key(directory, "mun-131016", backup.encryption_public_key, at=NOW, reason="compromised")
    with pytest.raises(RevokedKeyError):
        directory.encryption_recipients("mun-131016", NOW)


def test_revocation_needs_a_known_key_and_a_reason():
    directory = small_directory()
    with pytest.raises(UnknownParticipantError, match="no such key"):
        revoke_key(directory, "agency", bytes(32), at=NOW, reason="x")
    with pytest.raises(UsageError, match="reason"):
        revoke_key(directory, "agency", example_key("agency").signing_public_key, at=NOW, reason=" ")
    once = revoke_key(directory, "agency", example_key("agency").signing_public_key, at=NOW, reason="x")
    with pytest.raises(UsageError, match="already revoked"):
        revoke_key(once, "agency", example_key("agency").signing_public_key, at=NOW, reason="x")


def test_find_key_by_text():
    participant = small_directory().participant("mun-131016")
    secret = example_key("mun-131016")
    recipient = secret.encryption_identity.recipient.encode()
    assert find_key(participant, recipient) == secret.encryption_public_key
    assert find_key(participant, secret.signing_keyid) == secret.signing_public_key
    assert find_key(participant, secret.signing_keyid[:10].upper()) == secret.signing_public_key
    with pytest.raises(UsageError):
        find_key(participant, "abc")


def test_threshold_of_root_keys_is_required():
    directory = small_directory()
    verify_directory(signed_small(directory), ROOT, now=NOW)
    with pytest.raises(ThresholdError):
        verify_directory(signed_small(directory, signers=("root-1",)), ROOT, now=NOW)
    with pytest.raises(ThresholdError):
        verify_directory(signed_small(directory, signers=("root-1", "agency", "central")), ROOT, now=NOW)


def test_expired_directory_is_refused():
    signed = signed_small(small_directory(expires=NOW))
    verify_directory(signed, ROOT, now=NOW - timedelta(seconds=1))
    with pytest.raises(ExpiredError):
        verify_directory(signed, ROOT, now=NOW)


def test_directory_must_belong_to_the_trusted_root_version():
    newer_root = small_root(version=2)
    with pytest.raises(RollbackError, match="signed under root v1"):
        verify_directory(signed_small(), newer_root, now=NOW)
    ahead = msgspec.structs.replace(small_directory(), root_version=2)
    with pytest.raises(RootChainError):
        verify_directory(signed_small(ahead), ROOT, now=NOW)


def _signed_payload(fields: dict) -> bytes:
    return signed_anyway(fields)


def _resigned(file: DirectoryFile, header_fields: dict | None = None) -> bytes:
    """``file`` with its header (optionally edited) signed again by the roots."""
    header = json.loads(file.header.payload)
    payload = json.dumps(header | (header_fields or {}), separators=(",", ":")).encode()
    signed = SignedDocument.decode(sign_document(KIND_DIRECTORY, payload, ROOT_SIGNERS))
    return msgspec.structs.replace(file, header=signed).encode()


def test_unknown_fields_in_a_signed_directory_are_refused():
    file = read_directory_file(signed_small())
    with pytest.raises(FormatError, match="unknown field"):
        verify_directory(_resigned(file, {"backdoor": True}), ROOT, now=NOW)
    fields = json.loads(file.leaves[0].participant) | {"is_admin": True}
    leaves = (DirectoryLeaf(participant=json.dumps(fields, separators=(",", ":")).encode()), *file.leaves[1:])
    root_hash = merkle_root([leaf_digest(leaf) for leaf in leaves])
    tampered = msgspec.structs.replace(file, leaves=leaves)
    with pytest.raises(FormatError, match="unknown field"):
        verify_directory(_resigned(tampered, {"entries_root": b64encode(root_hash).decode()}), ROOT, now=NOW)
    with pytest.raises(FormatError, match="unknown field"):
        verify_directory(tampered.encode().replace(b'"proofs":null', b'"proofs":null,"more":1'), ROOT, now=NOW)


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda f: f["participants"][0].update(role="central"), "is a agency id, not central"),
        (lambda f: f["participants"][5].update(code="999999"), "does not match the id"),
        (lambda f: f["participants"][6].update(parent="fed-13"), "parent"),
        (lambda f: f["participants"][1].update(consent={"filed_on": "2020-01-01", "withdrawn_on": None}), "only municipalities"),
        (lambda f: f["participants"].append(f["participants"][0]), "twice"),
        (lambda f: f.update(issued=f["expires"]), "expires before"),
        (lambda f: f["participants"][0].update(signing_keys=[]), "at least one"),
    ],
    ids=["role", "code", "parent", "consent-role", "duplicate", "window", "no-keys"],
)
def test_inconsistent_directories_are_refused_even_when_signed(edit, message):
    fields = json.loads(encode(small_directory()))
    assert [p["id"] for p in fields["participants"]][:7] == [
        "agency", "central", "fed-13", "fed-14", "fed-27", "mun-131016", "mun-141003",
    ]
    edit(fields)
    with pytest.raises(FormatError, match=message):
        verify_directory(_signed_payload(fields), ROOT, now=NOW)


def test_a_key_listed_for_two_participants_is_refused():
    fields = json.loads(encode(small_directory()))
    fields["participants"][1]["signing_keys"] = fields["participants"][0]["signing_keys"]
    with pytest.raises(FormatError, match="more than once"):
        verify_directory(_signed_payload(fields), ROOT, now=NOW)


def test_drafts_are_signed_separately_and_combined():
    directory = small_directory()
    draft = draft_bytes(directory)
    assert load_draft(draft) == directory
    assert read_directory_file(draft).header.signatures == ()
    combined = draft
    from secxfer.trust import add_signatures

    for holder in ("root-2", "root-3"):
        combined = add_signatures(combined, sign_draft(draft, [example_key(holder)]))
    assert verify_directory(combined, ROOT, now=NOW) == directory


def test_next_version_and_names():
    directory = next_version(small_directory(), issued=NOW, expires=FAR)
    assert directory.version == 2 and directory.issued == NOW
    renamed = add_participant(directory, example_card("central"), name="国保中央会")
    assert renamed.participant("central").name == "国保中央会"
    assert len(renamed.participant("central").signing_keys) == 1  # the same card adds no key


def test_wards_and_prefectures_are_not_participants():
    from secxfer.domain.errors import CodeError

    ward = fresh("mun-141011")  # 横浜市鶴見区: a ward, its city is the insurer
    with pytest.raises(CodeError):
        make_card(ward)
    with pytest.raises(CodeError):
        add_participant(small_directory(), make_card(ward, name="鶴見区"))


def test_sign_directory_checks_before_signing():
    directory = add_participant(small_directory(), example_card("fed-01"))
    directory = add_participant(directory, example_card("mun-011002"))  # without its enrollment
    with pytest.raises(ScopeError, match="not backed by an enrollment"):
        sign_directory(directory, ROOT_SIGNERS)


def test_record_consent_needs_the_federation():
    directory = small_directory()
    with pytest.raises(UsageError, match="signed by its federation"):
        record_consent(directory, "mun-271004", filed_on=date(2025, 5, 1))
    later = record_consent(
        directory, "mun-271004", filed_on=date(2025, 5, 1), federation=example_key("fed-27"), now=NOW
    )
    assert later.consent_in_force("271004", date(2025, 5, 1))
    verify_directory(signed_small(later), ROOT, now=NOW)


def test_naive_times_are_refused():
    naive = NOW.replace(tzinfo=None)
    with pytest.raises(UsageError, match="aware"):
        verify_directory(signed_small(), ROOT, now=naive)
    with pytest.raises(UsageError, match="aware"):
        small_directory().encryption_recipients("mun-131016", naive)
    with pytest.raises(UsageError, match="aware"):
        small_directory().require_signing_key("agency", example_key("agency").signing_public_key, naive, now=NOW)
