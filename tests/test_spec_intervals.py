"""The interval rules of docs/format.md §1, at their boundaries.

`valid_until` and `withdrawn_on` exclude their end, `revoked_at` and `valid_from`
include their start; two readers that disagreed on one of these would accept a
signature (or rows) the other refuses.
"""

from __future__ import annotations

import datetime as dt

import pytest

from secxfer.errors import ExpiredError, RevokedKeyError
from secxfer.trust.directory.entries import Consent, KeyEntry

T = dt.datetime(2026, 10, 1, 15, 0, tzinfo=dt.timezone.utc)
TICK = dt.timedelta(microseconds=1)


def entry(**fields) -> KeyEntry:
    return KeyEntry(key=b"\x01" * 32, valid_from=T - dt.timedelta(days=30), **fields)


def test_valid_until_is_exclusive():
    key = entry(valid_until=T)
    key.require_usable(T - TICK, "key")
    with pytest.raises(ExpiredError):
        key.require_usable(T, "key")


def test_valid_from_is_inclusive():
    key = KeyEntry(key=b"\x01" * 32, valid_from=T)
    key.require_usable(T, "key")
    with pytest.raises(ExpiredError):
        key.require_usable(T - TICK, "key")


def test_a_revocation_applies_from_its_own_instant():
    key = entry(revoked_at=T, revoked_reason="medium lost")
    key.require_usable(T - TICK, "key")
    with pytest.raises(RevokedKeyError):
        key.require_usable(T, "key")


def test_revocation_wins_over_expiry_when_both_apply():
    """§8.4: a key not usable because it is revoked is RevokedKeyError (revoked-key), even
    outside its window, so the receipt names the revocation."""
    key = entry(valid_until=T - dt.timedelta(days=1), revoked_at=T - dt.timedelta(days=2), revoked_reason="stolen")
    with pytest.raises(RevokedKeyError):
        key.require_usable(T, "key")


def test_consent_runs_from_filing_to_the_day_before_withdrawal():
    consent = Consent(filed_on=dt.date(2026, 4, 1), withdrawn_on=dt.date(2026, 10, 2))
    assert not consent.in_force(dt.date(2026, 3, 31))
    assert consent.in_force(dt.date(2026, 4, 1)) and consent.in_force(dt.date(2026, 10, 1))
    assert not consent.in_force(dt.date(2026, 10, 2))
