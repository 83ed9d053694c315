"""Delegated enrollment: federations vouch for the municipalities of their own prefecture."""

from __future__ import annotations

import json
from base64 import b64encode
from datetime import date, timedelta

import pytest
from test_trust_support import (
    NOW,
    T0,
    example_card,
    example_key,
    fresh,
    signed_anyway,
    signed_small,
    small_directory,
    small_root,
)

from secxfer.errors import CompromisedKeyError, ExpiredError, FormatError, SignatureError, UsageError
from secxfer.trust import (
    add_enrollment,
    add_participant,
    enroll,
    make_card,
    revoke_key,
    sign_directory,
    verify_directory,
)
from secxfer.trust.authoring import next_version
from secxfer.trust.cards import read_card
from secxfer.trust.codec import encode
from secxfer.trust.directory.entries import Consent
from secxfer.trust.enrollment import Enrollment, read_enrollment
from secxfer.trust.errors import ScopeError, UnknownParticipantError
from secxfer.trust.kinds import KIND_ENROLLMENT
from secxfer.trust.signing import sign_document

ROOT = small_root()
ROOT_SIGNERS = [example_key("root-1"), example_key("root-2")]


def test_a_federation_enrolling_outside_its_prefecture_is_refused():
    with pytest.raises(ScopeError, match="fed-13 may not enroll mun-271004"):
        enroll(example_key("fed-13"), example_card("mun-271004"), filed_on=date(2020, 4, 1))


def test_only_federations_enroll_and_only_municipalities():
    with pytest.raises(ScopeError, match="not a federation"):
        enroll(example_key("central"), example_card("mun-131016"), filed_on=date(2020, 4, 1))
    with pytest.raises(ScopeError, match="only municipalities"):
        enroll(example_key("fed-13"), example_card("agency"))


def test_withdrawal_needs_a_filing_before_it():
    with pytest.raises(UsageError):
        enroll(example_key("fed-13"), example_card("mun-131016"), withdrawn_on=date(2021, 1, 1))
    with pytest.raises(UsageError):
        enroll(example_key("fed-13"), example_card("mun-131016"), filed_on=date(2021, 1, 2), withdrawn_on=date(2021, 1, 1))


def _forged_enrollment(federation_id: str, signer_id: str, card_pid: str) -> bytes:
    record = Enrollment(
        federation=federation_id, card=example_card(card_pid), consent=Consent(filed_on=date(2020, 4, 1)), signed_at=T0
    )
    return sign_document(KIND_ENROLLMENT, encode(record), [example_key(signer_id)])


def _directory_with(replaced_pid: str, enrollment: bytes) -> bytes:
    """The small directory, root-signed, with one municipality's enrollment swapped."""
    directory = small_directory()
    keep = [raw for raw in directory.enrollments if read_card(read_enrollment(raw)[1].card)[1].id != replaced_pid]
    fields = json.loads(encode(directory))
    fields["enrollments"] = [b64encode(raw).decode() for raw in [*keep, enrollment]]
    for participant in fields["participants"]:
        if participant["id"] == replaced_pid:
            participant["consent"] = {"filed_on": "2020-04-01", "withdrawn_on": None}
    return signed_anyway(fields)


def test_the_authorities_own_draft_verifies():
    # control for the forgeries below: a correct enrollment passes through the same path
    honest = _forged_enrollment("fed-27", "fed-27", "mun-271004")
    verify_directory(_directory_with("mun-271004", honest), ROOT, now=NOW)


def test_a_root_signed_directory_with_an_out_of_scope_enrollment_is_refused():
    forged = _forged_enrollment("fed-13", "fed-13", "mun-271004")
    with pytest.raises(ScopeError, match="fed-13 may not enroll mun-271004"):
        verify_directory(_directory_with("mun-271004", forged), ROOT, now=NOW)


def test_an_enrollment_signed_by_another_federation_is_refused():
    forged = _forged_enrollment("fed-27", "fed-13", "mun-271004")
    with pytest.raises(SignatureError, match="not one of fed-27's signing keys"):
        verify_directory(_directory_with("mun-271004", forged), ROOT, now=NOW)


def test_consent_must_match_the_federations_latest_enrollment():
    fields = json.loads(encode(small_directory()))
    for participant in fields["participants"]:
        if participant["id"] == "mun-271004":  # enrolled without consent; the root claims one
            participant["consent"] = {"filed_on": "2020-04-01", "withdrawn_on": None}
    with pytest.raises(SignatureError, match="latest enrollment"):
        verify_directory(signed_anyway(fields), ROOT, now=NOW)


def test_a_key_not_in_any_enrollment_is_refused():
    directory = add_participant(small_directory(), make_card(fresh("mun-131016", label="2")), label="backup")
    with pytest.raises(SignatureError, match="not in any enrollment"):
        sign_directory(directory, ROOT_SIGNERS)


def test_add_enrollment_needs_the_federation_listed():
    directory = small_directory()
    record = enroll(example_key("fed-01"), example_card("mun-011002"), filed_on=date(2020, 6, 1), now=T0)
    with pytest.raises(UnknownParticipantError, match="fed-01 must be in the directory"):
        add_enrollment(directory, record)
    directory = add_participant(directory, example_card("fed-01"))
    directory = add_enrollment(directory, record)
    assert directory.participant("mun-011002").parent == "fed-01"
    assert add_enrollment(directory, record) == directory  # the same record twice changes nothing


def test_newest_enrollment_sets_consent_and_older_ones_do_not():
    directory = small_directory()
    newer = enroll(example_key("fed-27"), example_card("mun-271004"), filed_on=date(2025, 4, 1), now=NOW)
    older = enroll(example_key("fed-27"), example_card("mun-271004"), filed_on=date(2019, 1, 1), now=NOW - timedelta(days=1))
    directory = add_enrollment(add_enrollment(directory, newer), older)
    assert directory.participant("mun-271004").consent == Consent(filed_on=date(2025, 4, 1))
    verify_directory(signed_small(directory), ROOT, now=NOW)


def test_enrollment_by_a_revoked_federation_key():
    directory = small_directory()
    revoked = revoke_key(directory, "fed-13", example_key("fed-13").signing_public_key, at=NOW, reason="stolen")
    assert len(revoked.enrollments) == len(directory.enrollments) - 1  # what fed-13's key signed is gone
    revoked = next_version(revoked, issued=NOW + timedelta(hours=1), expires=NOW + timedelta(days=90))
    with pytest.raises(ScopeError, match="mun-131016 is not backed"):
        sign_directory(revoked, ROOT_SIGNERS)
    # the federation re-enrolls with a new key
    new_fed = fresh("fed-13", label="new", now=NOW)
    revoked = add_participant(revoked, make_card(new_fed), label="backup")
    again = enroll(new_fed, example_card("mun-131016"), filed_on=date(2020, 4, 1), now=NOW + timedelta(minutes=5))
    repaired = add_enrollment(revoked, again)
    verify_directory(signed_small(repaired), ROOT, now=NOW + timedelta(days=1))
    # a root that keeps an enrollment by the revoked key anyway is refused
    fields = json.loads(encode(repaired))
    old = enroll(example_key("fed-13"), example_card("mun-131016"), filed_on=date(2020, 4, 1), now=T0)
    fields["enrollments"].insert(0, b64encode(old).decode())
    with pytest.raises(CompromisedKeyError, match="revoked for compromise"):
        verify_directory(signed_anyway(fields), ROOT, now=NOW + timedelta(days=1))


def test_enrollment_outside_the_federation_keys_window_is_refused():
    directory = small_directory()
    late = enroll(example_key("fed-13"), example_card("mun-131016"), filed_on=date(2020, 4, 1), now=T0 - timedelta(days=1))
    with pytest.raises(ExpiredError):
        add_enrollment(directory, late)


def test_unknown_fields_in_an_enrollment_are_refused():
    record = json.loads(encode(Enrollment(federation="fed-13", card=example_card("mun-131016"), signed_at=T0)))
    payload = json.dumps(record | {"scope": "all"}, separators=(",", ":")).encode()
    forged = sign_document(KIND_ENROLLMENT, payload, [example_key("fed-13")])
    with pytest.raises(FormatError, match="unknown field"):
        add_enrollment(small_directory(), forged)
