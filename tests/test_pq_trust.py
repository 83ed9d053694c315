"""Post-quantum hybrid keys (ML-KEM-768 + X25519) in key files, cards and the key directory.

Covers: key files and cards holding a hybrid identity instead of or besides X25519;
directory entries carrying their type; ``encryption_recipients`` choosing one type,
never mixing; the directory policy (required hybrid keys per role from a version on)
enforced when signing and when reading; old X25519 documents keeping their bytes.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from secxfer.age import HybridRecipient, X25519Recipient
from secxfer.errors import ExpiredError, FormatError, RevokedKeyError, UsageError
from secxfer.trust import (
    PolicyError,
    add_enrollments,
    add_hybrid_key,
    add_participants,
    enroll,
    load_secret_key,
    make_card,
    make_excerpt,
    read_directory_file,
    require_hybrid_encryption,
    revoke_key,
    save_secret_key,
    sign_directory,
    verify_card,
    verify_directory,
)
from secxfer.trust.authoring import find_key, next_version
from secxfer.trust.cards import card_fingerprint
from secxfer.trust.directory.entries import MLKEM768X25519, X25519
from secxfer.trust.directory.verify import decode_directory_payload
from secxfer.trust.ids import Role
from secxfer.trust.policy import DirectoryPolicy, HybridRequirement, make_policy
from secxfer.trust.secret_keys import KDF_MIN
from tests.test_trust_support import (
    EXAMPLE,
    NOW,
    T0,
    example_card,
    example_key,
    signed_anyway,
    small_directory,
    small_root,
)

ROOT = small_root()
SIGNERS = [example_key("root-1"), example_key("root-2")]


def hybrid(pid: str, *, encryption: str = "hybrid", label: str = "pq"):
    from secxfer.trust.ids import role_of
    from secxfer.trust.secret_keys import generate_participant
    from tests.test_trust_support import seeded_rng

    return generate_participant(pid, role_of(pid), now=T0, rng=seeded_rng(pid + label), encryption=encryption)


def hybrid_directory(*, municipality_keys: str = "hybrid"):
    """small_directory plus mun-131024 enrolled with a key of ``municipality_keys`` type."""
    secret = hybrid("mun-131024", encryption=municipality_keys)
    record = enroll(example_key("fed-13"), make_card(secret), filed_on=date(2020, 4, 1), now=T0)
    return add_enrollments(small_directory(), [record]), secret


# -- key files and cards --------------------------------------------------------------


@pytest.mark.parametrize("encryption", ["hybrid", "both"])
def test_key_files_hold_a_hybrid_identity_instead_of_or_besides_x25519(tmp_path, encryption):
    secret = hybrid("mun-131024", encryption=encryption)
    save_secret_key(secret, tmp_path / "k", passphrase=b"correct horse", kdf=KDF_MIN)
    loaded = load_secret_key(tmp_path / "k", passphrase=b"correct horse")
    assert loaded.hybrid_public_key == secret.hybrid_public_key and len(loaded.hybrid_public_key) == 1216
    assert loaded.encryption_public_key == secret.encryption_public_key
    assert (loaded.encryption_public_key is None) == (encryption == "hybrid")
    assert loaded.fingerprint == secret.fingerprint
    types = [type(i).__name__ for i in loaded.encryption_identities]
    assert types == (["HybridIdentity"] if encryption == "hybrid" else ["HybridIdentity", "X25519Identity"])
    assert loaded.encryption_identity.encode().startswith("AGE-SECRET-KEY-PQ-1")
    text = (tmp_path / "k").read_text()
    assert loaded.hybrid_seed_bytes().hex() not in text and "AGE-SECRET" not in text


def test_x25519_key_files_and_cards_keep_their_original_bytes(tmp_path):
    secret = example_key("mun-131016")
    assert secret.hybrid_public_key is None and not secret.is_hybrid
    save_secret_key(secret, tmp_path / "k", passphrase=None, test_key=True)
    assert "hybrid_seed" not in (tmp_path / "k").read_text()
    assert (tmp_path / "k").read_bytes() == (EXAMPLE / "keys" / "mun-131016.key").read_bytes()
    assert make_card(secret) == example_card("mun-131016")


def test_hybrid_cards_list_age1pq_and_fingerprints_cover_every_key():
    only = hybrid("mun-131024")
    card = verify_card(make_card(only))
    assert card.encryption_key is msgspec.UNSET and card.hybrid_encryption_key.startswith("age1pq1")
    assert card.encryption_public_keys == ((MLKEM768X25519, only.hybrid_public_key),)
    assert card_fingerprint(card) == only.fingerprint
    both = add_hybrid_key(example_key("mun-141003"), now=T0 + timedelta(days=30))
    both_card = verify_card(make_card(both))
    assert both_card.recipients_text[0] == verify_card(example_card("mun-141003")).encryption_key
    assert both_card.recipients_text[1].startswith("age1pq1")
    fingerprints = {card_fingerprint(verify_card(example_card("mun-141003"))), card_fingerprint(both_card), only.fingerprint}
    assert len(fingerprints) == 3  # adding a key changes what is read aloud


def test_cards_with_a_broken_or_misplaced_hybrid_key_are_refused():
    from secxfer.trust.codec import encode
    from secxfer.trust.kinds import KIND_KEY_CARD
    from secxfer.trust.signing import sign_document

    secret = hybrid("mun-131024")
    good = verify_card(make_card(secret))
    x25519_text = verify_card(example_card("mun-141003")).encryption_key
    for bad in (
        msgspec.structs.replace(good, hybrid_encryption_key=x25519_text),  # classic key in the hybrid field
        msgspec.structs.replace(good, encryption_key=good.hybrid_encryption_key, hybrid_encryption_key=msgspec.UNSET),
        msgspec.structs.replace(good, hybrid_encryption_key=msgspec.UNSET),  # no encryption key at all
    ):
        data = sign_document(KIND_KEY_CARD, encode(bad), [secret])
        with pytest.raises(FormatError):
            verify_card(data)


def test_a_hybrid_key_is_added_once_and_only_after_creation():
    both = add_hybrid_key(example_key("agency"), now=T0 + timedelta(days=1))
    assert both.signing_public_key == example_key("agency").signing_public_key
    with pytest.raises(UsageError):
        add_hybrid_key(both, now=T0 + timedelta(days=2))
    with pytest.raises(UsageError):
        add_hybrid_key(example_key("agency"), now=T0 - timedelta(seconds=1))


# -- the directory ---------------------------------------------------------------------


def test_hybrid_directory_keys_round_trip_with_their_type():
    directory, secret = hybrid_directory(municipality_keys="both")
    verified = verify_directory(sign_directory(directory, SIGNERS), ROOT, now=NOW)
    entries = verified.participant("mun-131024").encryption_keys
    assert [(e.key_type, e.key) for e in entries] == list(secret.encryption_public_keys)
    [recipient] = verified.encryption_recipients("mun-131024", NOW)
    assert isinstance(recipient, HybridRecipient) and recipient.public_bytes() == secret.hybrid_public_key
    assert all(isinstance(r, X25519Recipient) for r in verified.encryption_recipients("mun-131016", NOW))
    leaf = read_directory_file(sign_directory(directory, SIGNERS)).leaves
    text = b"".join(leaf.participant for leaf in leaf).decode()
    assert text.count('"type":"mlkem768x25519"') == 1 and '"type":"x25519"' not in text


def test_recipients_are_never_mixed_and_fall_back_only_without_a_policy():
    directory, secret = hybrid_directory(municipality_keys="both")
    later = NOW + timedelta(days=1)
    directory = revoke_key(directory, "mun-131024", secret.hybrid_public_key, at=later, reason="medium lost")
    assert [type(r) for r in directory.encryption_recipients("mun-131024", NOW)] == [HybridRecipient]
    assert [type(r) for r in directory.encryption_recipients("mun-131024", later)] == [X25519Recipient]
    strict = require_hybrid_encryption(directory, Role.MUNICIPALITY, from_version=1)
    with pytest.raises(PolicyError, match="requires a hybrid"):
        strict.encryption_recipients("mun-131024", later)  # no silent downgrade to X25519
    assert [type(r) for r in strict.encryption_recipients("mun-131024", NOW)] == [HybridRecipient]
    only = revoke_key(hybrid_directory()[0], "mun-131024", hybrid("mun-131024").hybrid_public_key, at=later, reason="x")
    with pytest.raises(RevokedKeyError):
        only.encryption_recipients("mun-131024", later)
    with pytest.raises(ExpiredError):
        only.encryption_recipients("mun-131024", T0 - timedelta(days=1))


def test_find_and_revoke_a_hybrid_key_by_its_text():
    directory, secret = hybrid_directory()
    text = secret.encryption_identity.recipient.encode()
    assert find_key(directory.participant("mun-131024"), text) == secret.hybrid_public_key
    assert find_key(directory.participant("mun-131024"), text.upper()) == secret.hybrid_public_key
    with pytest.raises(UsageError):
        find_key(directory.participant("mun-131016"), text)


def test_policy_requiring_hybrid_refuses_a_municipality_with_x25519_only():
    directory = require_hybrid_encryption(hybrid_directory()[0], Role.MUNICIPALITY, from_version=1)
    with pytest.raises(PolicyError, match="mun-131016"):  # the example municipalities are X25519 only
        sign_directory(directory, SIGNERS)
    published = signed_anyway(directory)  # a careless root holder signs it without the checks
    with pytest.raises(PolicyError, match="mun-131016 lists none"):
        verify_directory(published, ROOT, now=NOW)
    assert decode_directory_payload(published).policy == make_policy({Role.MUNICIPALITY: 1})


def test_policy_holds_from_its_version_and_travels_in_excerpts():
    directory, _ = hybrid_directory()
    announced = require_hybrid_encryption(directory, Role.MUNICIPALITY, from_version=2)
    v1 = verify_directory(sign_directory(announced, SIGNERS), ROOT, now=NOW)  # v1: announced, not yet in force
    assert v1.policy.hybrid_from("municipality") == 2 and not v1.policy.requires_hybrid("municipality", 1)
    v2 = next_version(announced, issued=T0 + timedelta(days=1), expires=NOW + timedelta(days=400))
    with pytest.raises(PolicyError):
        sign_directory(v2, SIGNERS)  # the X25519-only municipalities must move first
    v2 = require_hybrid_encryption(v2, Role.FEDERATION, from_version=2)
    v2 = require_hybrid_encryption(v2, Role.MUNICIPALITY, from_version=None)  # dropped again
    with pytest.raises(PolicyError, match="fed-13"):
        sign_directory(v2, SIGNERS)
    compliant = require_hybrid_encryption(directory, Role.MUNICIPALITY, from_version=1)
    compliant = msgspec.structs.replace(
        compliant, participants=tuple(p for p in compliant.participants if p.role is not Role.MUNICIPALITY or p.id == "mun-131024"),
        enrollments=tuple(r for r in compliant.enrollments if _owner(r) == "mun-131024"),
    )
    signed = sign_directory(compliant, SIGNERS)
    excerpt = make_excerpt(read_directory_file(signed), ["mun-131024"])
    seen = verify_directory(excerpt.encode(), ROOT, now=NOW)
    assert seen.is_excerpt and seen.policy.requires_hybrid(Role.MUNICIPALITY, 1)
    assert isinstance(seen.encryption_recipients("mun-131024", NOW)[0], HybridRecipient)


def _owner(raw: bytes) -> str:
    from secxfer.trust.directory.model import enrollment_owner

    return enrollment_owner(raw)


@pytest.mark.parametrize(
    "policy, message",
    [
        ({"hybrid_encryption": []}, "empty policy"),
        ({"hybrid_encryption": [{"role": "municipality", "from_version": 1}, {"role": "federation", "from_version": 1}]}, "out of order"),
        ({"hybrid_encryption": [{"role": "federation", "from_version": 1}, {"role": "federation", "from_version": 2}]}, "out of order"),
    ],
)
def test_policies_have_one_byte_form(policy, message):
    directory = msgspec.structs.replace(small_directory(), policy=msgspec.convert(policy, DirectoryPolicy))
    with pytest.raises(FormatError, match=message):
        verify_directory(signed_anyway(directory), ROOT, now=NOW)


def _entry_edit(directory, pid, **changes):
    p = directory.participant(pid)
    edited = msgspec.structs.replace(p, encryption_keys=(msgspec.structs.replace(p.encryption_keys[0], **changes),))
    return msgspec.structs.replace(directory, participants=tuple(edited if q.id == pid else q for q in directory.participants))


@pytest.mark.parametrize(
    "changes",
    [
        {"type": "mlkem768x25519"},  # an X25519 key claimed as hybrid
        {"key": b"\xff" * 1216, "type": "mlkem768x25519"},  # not a valid ML-KEM-768 key (coefficients >= q)
        {"key": bytes(1216)},  # hybrid-sized key without its type
    ],
)
def test_key_type_and_size_must_agree(changes):
    directory = _entry_edit(small_directory(), "agency", **changes)
    with pytest.raises(FormatError):
        verify_directory(signed_anyway(directory), ROOT, now=NOW)


def test_signing_keys_carry_no_type():
    directory = small_directory()
    p = directory.participant("agency")
    bad = msgspec.structs.replace(p, signing_keys=(msgspec.structs.replace(p.signing_keys[0], type="mlkem768x25519"),))
    directory = msgspec.structs.replace(directory, participants=tuple(bad if q.id == "agency" else q for q in directory.participants))
    with pytest.raises(FormatError, match="signing key"):
        verify_directory(signed_anyway(directory), ROOT, now=NOW)


def test_an_explicit_x25519_type_is_not_a_second_spelling():
    signed = json.loads(sign_directory(small_directory(), SIGNERS))
    import base64

    leaf = signed["leaves"][-1]
    entry = base64.b64decode(leaf["participant"]).replace(b'"label":"main"', b'"type":"x25519","label":"main"', 1)
    leaf["participant"] = base64.b64encode(entry).decode()
    with pytest.raises(FormatError):
        verify_directory(json.dumps(signed, separators=(",", ":"), ensure_ascii=False).encode(), ROOT, now=NOW)


def test_old_directories_and_excerpts_still_verify_unchanged():
    for name in ("directory.json", "directory-excerpt-mun-131016.json"):
        directory = verify_directory((EXAMPLE / name).read_bytes(), ROOT, now=NOW)
        assert directory.policy is None
        assert all(e.key_type == X25519 for p in directory.participants for e in p.encryption_keys)


# -- properties ------------------------------------------------------------------------

ROLES = [Role.AGENCY, Role.CENTRAL, Role.FEDERATION, Role.MUNICIPALITY]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(ROLES), st.integers(1, 3), max_size=4))
def test_a_signed_directory_keeps_its_policy_iff_every_required_participant_is_hybrid(rules):
    """Only agency (of the roles that can be required) is hybrid here: signing succeeds
    exactly when no other role is required at this version, and the policy round-trips."""
    directory = small_directory()
    agency = hybrid("agency")
    directory = add_participants(directory, [make_card(agency)])
    for role, version in rules.items():
        directory = require_hybrid_encryption(directory, role, from_version=version)
    in_force = {r for r, v in rules.items() if v <= directory.version}
    if in_force - {Role.AGENCY}:
        with pytest.raises(PolicyError):
            sign_directory(directory, SIGNERS)
        return
    verified = verify_directory(sign_directory(directory, SIGNERS), ROOT, now=NOW)
    assert verified.policy == make_policy(rules)
    assert isinstance(verified.encryption_recipients("agency", NOW)[0], HybridRecipient)
    for role in (Role.CENTRAL, Role.FEDERATION):  # allowed only because not yet in force: X25519 still
        pid = "central" if role is Role.CENTRAL else "fed-13"
        assert isinstance(verified.encryption_recipients(pid, NOW)[0], X25519Recipient)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(list(Role)), st.integers(1, 1000)), max_size=8))
def test_make_policy_is_canonical(pairs):
    policy = make_policy(pairs)
    if not dict(pairs):
        assert policy is None
        return
    roles = [r.role.value for r in policy.hybrid_encryption]
    assert roles == sorted(set(roles)) and policy == make_policy(list(reversed(list(dict(pairs).items()))))
    assert msgspec.json.decode(msgspec.json.encode(policy), type=DirectoryPolicy) == policy
    assert all(isinstance(r, HybridRequirement) for r in policy.hybrid_encryption)

