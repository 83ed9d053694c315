"""Key cards: proof of possession, tamper detection, consistency."""

from __future__ import annotations

import json

import pytest
from test_trust_support import example_card, example_key, fresh

from secxfer.errors import FormatError, IntegrityError, SignatureError
from secxfer.trust import KeyCard, card_fingerprint, make_card, verify_card
from secxfer.trust.codec import encode
from secxfer.trust.kinds import KIND_KEY_CARD
from secxfer.trust.signing import SignedDocument, sign_document


def test_card_carries_public_keys_and_official_name():
    secret = example_key("mun-141003")
    card = verify_card(example_card("mun-141003"))
    assert (card.id, card.role.value, card.name, card.code) == ("mun-141003", "municipality", "横浜市", "141003")
    assert card.encryption_key.startswith("age1")
    assert card.encryption_public_key == secret.encryption_public_key
    assert card.signing_key == secret.signing_public_key
    assert verify_card(example_card("fed-13")).name == "東京都国民健康保険団体連合会"
    assert verify_card(example_card("agency")).code is None


def test_make_card_with_a_chosen_name():
    card = verify_card(make_card(fresh("central"), name="国保中央会 (試験)"))
    assert card.name == "国保中央会 (試験)"


def _resigned(card: KeyCard, signer) -> bytes:
    return sign_document(KIND_KEY_CARD, encode(card), [signer])


def test_tampered_card_fails():
    original = example_card("mun-131016")
    document = SignedDocument.decode(original)
    card = verify_card(original)
    # Swap in another encryption key but keep the old signature.
    other = verify_card(example_card("mun-141003")).encryption_key
    payload = encode(type(card)(**{**{f: getattr(card, f) for f in card.__struct_fields__}, "encryption_key": other}))
    forged = SignedDocument(kind=document.kind, payload=payload, signatures=document.signatures).encode()
    with pytest.raises(SignatureError):
        verify_card(forged)
    # Flip a byte of the payload's base64.
    text = original.decode()
    at = text.index('"payload":"') + 30
    flipped = (text[:at] + ("A" if text[at] != "A" else "B") + text[at + 1:]).encode()
    with pytest.raises(IntegrityError):
        verify_card(flipped)


def test_card_signed_by_another_key_fails_proof_of_possession():
    card = verify_card(example_card("mun-131016"))
    with pytest.raises(SignatureError, match="not by the expected key"):
        verify_card(_resigned(card, example_key("mun-141003")))


def test_card_needs_exactly_one_signature():
    original = SignedDocument.decode(example_card("agency"))
    extra = example_key("central").sign(KIND_KEY_CARD, original.payload)
    for signatures in ((), (*original.signatures, extra)):
        doc = SignedDocument(kind=KIND_KEY_CARD, payload=original.payload, signatures=signatures).encode()
        with pytest.raises(SignatureError, match="exactly one"):
            verify_card(doc)


@pytest.mark.parametrize(
    "changes",
    [{"role": "federation"}, {"code": "141003"}, {"code": None}, {"id": "mun-131017"}, {"encryption_key": "age1notakey"}],
    ids=["role", "code", "no-code", "bad-id", "bad-age-key"],
)
def test_inconsistent_cards_are_refused_even_if_self_signed(changes):
    secret = example_key("mun-131016")
    fields = json.loads(SignedDocument.decode(example_card("mun-131016")).payload)
    fields.update(changes)
    payload = json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode()
    with pytest.raises(FormatError):
        verify_card(sign_document(KIND_KEY_CARD, payload, [secret]))


def test_unknown_fields_in_a_card_are_refused():
    secret = example_key("mun-131016")
    fields = json.loads(SignedDocument.decode(example_card("mun-131016")).payload) | {"admin": True}
    payload = json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode()
    with pytest.raises(FormatError, match="unknown field"):
        verify_card(sign_document(KIND_KEY_CARD, payload, [secret]))


def test_fingerprint_is_the_secret_keys_fingerprint():
    for pid in ("root-1", "fed-47", "mun-012050"):
        assert card_fingerprint(verify_card(example_card(pid))) == example_key(pid).fingerprint
