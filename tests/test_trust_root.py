"""Root metadata: pinning, rotation 1 -> 2 -> 3, skipped and badly signed roots."""

from __future__ import annotations

import pytest
from test_trust_support import FAR, example_key, fresh

from secxfer.errors import FormatError, UsageError
from secxfer.trust import new_root, sign_root, verify_root
from secxfer.trust.errors import RootChainError, ThresholdError
from secxfer.trust.root import next_root, root_draft
from secxfer.trust.signing import SignedDocument, add_signatures

OLD = [example_key(p) for p in ("root-1", "root-2", "root-3")]
NEW = [fresh(f"root-{n}", label="gen2") for n in (4, 5, 6)]
NEWER = [fresh(f"root-{n}", label="gen3") for n in (7, 8, 9)]


def root(version, holders, threshold=2):
    return new_root(version=version, expires=FAR, keys=[h.signing_public_key for h in holders], threshold=threshold)


V1 = root(1, OLD)
V2 = root(2, NEW)
V3 = root(3, NEWER)


def test_pinning_needs_the_roots_own_threshold():
    assert verify_root(sign_root(V1, OLD[:2])) == V1
    with pytest.raises(ThresholdError):
        verify_root(sign_root(V1, OLD[:1]))
    with pytest.raises(ThresholdError):
        verify_root(sign_root(V1, NEW))


def test_rotation_chain_is_walked_in_order():
    v2 = sign_root(V2, [*OLD[:2], *NEW[1:]])
    v3 = sign_root(V3, [NEW[0], NEW[2], *NEWER[:2]])
    trusted = verify_root(sign_root(V1, OLD))
    trusted = verify_root(v2, trusted=trusted)
    assert verify_root(v3, trusted=trusted) == V3


def test_a_skipped_root_is_refused():
    same_keys_v3 = root(3, OLD)
    with pytest.raises(RootChainError, match="v2 must come next"):
        verify_root(sign_root(same_keys_v3, OLD), trusted=V1)
    with pytest.raises(ThresholdError):  # v3 signed by v2's keys means nothing to a v1 holder
        verify_root(sign_root(V3, [*NEW, *NEWER]), trusted=V1)


def test_rotation_needs_both_the_old_and_the_new_threshold():
    with pytest.raises(ThresholdError):  # new keys only: a thief of new keys cannot take over
        verify_root(sign_root(V2, NEW), trusted=V1)
    with pytest.raises(ThresholdError):  # old keys only: the new holders must accept
        verify_root(sign_root(V2, OLD), trusted=V1)
    with pytest.raises(ThresholdError):
        verify_root(sign_root(V2, [OLD[0], *NEW]), trusted=V1)


def test_a_replayed_or_older_root_is_refused():
    with pytest.raises(RootChainError):
        verify_root(sign_root(V1, OLD), trusted=V1)


def test_root_drafts_collect_signatures_separately():
    draft = root_draft(next_root(V1, expires=FAR, keys=[h.signing_public_key for h in NEW], threshold=2))
    payload = SignedDocument.decode(draft).payload
    signed = draft
    for holder in (OLD[0], OLD[2], NEW[0], NEW[1]):
        signed = add_signatures(signed, SignedDocument(kind="secxfer/root", payload=payload, signatures=(holder.sign("secxfer/root", payload),)).encode())
    assert verify_root(signed, trusted=V1).version == 2


def test_impossible_thresholds_and_mismatched_key_ids():
    with pytest.raises(UsageError, match="threshold 4 with only 3"):
        root(1, OLD, threshold=4)
    payload = SignedDocument.decode(sign_root(V1, OLD)).payload
    forged = payload.replace(next(iter(V1.keys)).encode(), b"0" * 64, 1)
    assert forged != payload
    signed = SignedDocument(
        kind="secxfer/root", payload=forged, signatures=tuple(h.sign("secxfer/root", forged) for h in OLD)
    ).encode()
    with pytest.raises(FormatError, match="does not match its key"):
        verify_root(signed)
