"""Typed signatures, the signed envelope, thresholds."""

from __future__ import annotations

import base64
import json

import pytest
from test_trust_support import example_card, example_key

from secxfer.errors import FormatError, SignatureError, UsageError
from secxfer.limits import SIGNATURES_MAX
from secxfer.trust.errors import ThresholdError
from secxfer.trust.signing import (
    SignedDocument,
    add_signatures,
    require_threshold,
    sign_document,
    signing_input,
    threshold_check,
    verify,
    without_signatures,
)

KIND = "secxfer/test"
PAYLOAD = b'{"hello":"world"}'


def keys(*pids):
    return {example_key(p).signing_keyid: example_key(p).signing_public_key for p in pids}


def test_signing_input_is_the_documented_pae():
    assert signing_input("ab", b"xyz") == b"secxfer-sig-v1" + (2).to_bytes(8, "little") + b"ab" + (3).to_bytes(8, "little") + b"xyz"


def test_sign_and_verify_round_trip_returns_nothing():
    key = example_key("root-1")
    assert verify(key.signing_public_key, KIND, PAYLOAD, key.sign(KIND, PAYLOAD)) is None


@pytest.mark.parametrize(
    "kind, payload, signer",
    [("secxfer/other", PAYLOAD, "root-1"), (KIND, PAYLOAD + b" ", "root-1"), (KIND, PAYLOAD, "root-2")],
    ids=["other-kind", "other-bytes", "other-key"],
)
def test_verify_raises_on_any_mismatch(kind, payload, signer):
    signature = example_key(signer).sign(KIND, PAYLOAD)
    with pytest.raises(SignatureError):
        verify(example_key("root-1").signing_public_key, kind, payload, signature)


def test_a_signature_of_one_kind_is_not_accepted_as_another():
    # A key card's signature moved onto a directory envelope over the same bytes.
    card = SignedDocument.decode(example_card("root-1"))
    forged = SignedDocument(kind="secxfer/directory", payload=card.payload, signatures=card.signatures).encode()
    document = SignedDocument.decode(forged)
    result = threshold_check(document.kind, document.payload, document.signatures, keys("root-1"), 1)
    assert not result.ok and result.invalid == {example_key("root-1").signing_keyid}


def test_threshold_met_and_not_met():
    signed = SignedDocument.decode(sign_document(KIND, PAYLOAD, [example_key("root-1"), example_key("root-3")]))
    trusted = keys("root-1", "root-2", "root-3")
    met = require_threshold(KIND, PAYLOAD, signed.signatures, trusted, 2)
    assert met.ok and met.verified == {example_key("root-1").signing_keyid, example_key("root-3").signing_keyid}
    assert met.missing == {example_key("root-2").signing_keyid}
    with pytest.raises(ThresholdError, match="2 valid signature.*3 required"):
        require_threshold(KIND, PAYLOAD, signed.signatures, trusted, 3)


def test_duplicate_signatures_by_one_key_count_once():
    one = example_key("root-1").sign(KIND, PAYLOAD)
    result = threshold_check(KIND, PAYLOAD, [one, one, one], keys("root-1", "root-2"), 2)
    assert result.verified == {one.keyid} and not result.ok
    with pytest.raises(ThresholdError):
        require_threshold(KIND, PAYLOAD, [one, one], keys("root-1", "root-2"), 2)


def test_signatures_by_untrusted_keys_count_for_nothing():
    signatures = [example_key(p).sign(KIND, PAYLOAD) for p in ("agency", "central", "root-1")]
    result = threshold_check(KIND, PAYLOAD, signatures, keys("root-1", "root-2"), 2)
    assert len(result.unknown) == 2 and len(result.verified) == 1 and not result.ok


def test_a_corrupt_signature_by_a_trusted_key_fails_even_above_threshold():
    good = [example_key(p).sign(KIND, PAYLOAD) for p in ("root-1", "root-2")]
    bad = example_key("root-3").sign(KIND, PAYLOAD)
    bad = type(bad)(keyid=bad.keyid, sig=bytes([bad.sig[0] ^ 1]) + bad.sig[1:])
    with pytest.raises(SignatureError, match="do not verify"):
        require_threshold(KIND, PAYLOAD, [*good, bad], keys(*("root-1", "root-2", "root-3")), 2)


def test_threshold_below_one_is_refused():
    with pytest.raises(UsageError):
        threshold_check(KIND, PAYLOAD, [], {}, 0)


def _envelope_json(**changes) -> bytes:
    document = json.loads(sign_document(KIND, PAYLOAD, [example_key("root-1")]))
    document.update(changes)
    return json.dumps(document, separators=(",", ":")).encode()


def test_envelope_round_trips_canonically():
    data = sign_document(KIND, PAYLOAD, [example_key("root-1")])
    assert SignedDocument.decode(data).encode() == data


@pytest.mark.parametrize(
    "data",
    [
        _envelope_json(extra=1),
        _envelope_json(kind="Secxfer/Test"),
        _envelope_json(payload="not base64!"),
        _envelope_json(signatures="x"),
        _envelope_json()[:-1],
        b"",
        b"[]",
    ],
    ids=["unknown-field", "bad-kind", "bad-base64", "bad-signatures", "truncated", "empty", "array"],
)
def test_malformed_envelopes_are_format_errors(data):
    with pytest.raises(FormatError):
        SignedDocument.decode(data)


def test_non_canonical_encodings_are_refused():
    canonical = sign_document(KIND, PAYLOAD, [example_key("root-1")])
    spaced = canonical.replace(b'","', b'", "', 1)
    # same payload bytes, base64 with non-zero padding bits
    encoded = base64.b64encode(PAYLOAD).decode()
    assert encoded.endswith("=")
    last = encoded.rstrip("=")[-1]
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    sloppy = encoded.rstrip("=")[:-1] + alphabet[alphabet.index(last) + 1] + encoded[len(encoded.rstrip("=")):]
    assert base64.b64decode(sloppy) == PAYLOAD
    malleated = canonical.replace(encoded.encode(), sloppy.encode())
    for data in (spaced, malleated):
        with pytest.raises(FormatError, match="canonical"):
            SignedDocument.decode(data)


def test_size_and_count_limits():
    with pytest.raises(FormatError, match="limit"):
        SignedDocument.decode(b" " * 101, max_bytes=100)
    signature = json.loads(_envelope_json())["signatures"][0]
    with pytest.raises(FormatError, match=str(SIGNATURES_MAX)):
        SignedDocument.decode(_envelope_json(signatures=[signature] * (SIGNATURES_MAX + 1)))


def test_wrong_kind_is_refused_before_anything_else():
    with pytest.raises(FormatError, match="expected a 'secxfer/directory'"):
        SignedDocument.decode(example_card("agency"), kind="secxfer/directory")


def test_add_signatures_combines_separately_made_signatures():
    draft = SignedDocument(kind=KIND, payload=PAYLOAD).encode()
    first = sign_document(KIND, PAYLOAD, [example_key("root-1")])
    second = sign_document(KIND, PAYLOAD, [example_key("root-2")])
    combined = add_signatures(add_signatures(add_signatures(draft, first), second), first)
    document = SignedDocument.decode(combined)
    assert len(document.signatures) == 2
    require_threshold(KIND, PAYLOAD, document.signatures, keys("root-1", "root-2", "root-3"), 2)
    assert without_signatures(combined) == draft


def test_add_signatures_refuses_other_contents():
    first = sign_document(KIND, PAYLOAD, [example_key("root-1")])
    other = sign_document(KIND, PAYLOAD + b" ", [example_key("root-2")])
    with pytest.raises(UsageError, match="different contents"):
        add_signatures(first, other)
    with pytest.raises(FormatError):
        add_signatures(first, sign_document("secxfer/else", PAYLOAD, [example_key("root-2")]))
