"""Properties: any change to signed bytes fails verification; signing inputs never collide."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_trust_support import NOW, example_card, example_key, signed_small, signed_small_root, small_root

from secxfer.errors import IntegrityError
from secxfer.trust import make_excerpt, read_directory_file, sign_root, verify_card, verify_directory, verify_root
from secxfer.trust.signing import signing_input
from secxfer.trust.store import apply_bundle, make_bundle, pin_root

ROOT = small_root()
SIGNED_DIRECTORY = signed_small()  # exactly the threshold (2 of 3) signed it
SIGNED_ROOT = sign_root(ROOT, [example_key("root-1"), example_key("root-2")])
CARD = example_card("mun-131016")
EXCERPT_BUNDLE = make_bundle([signed_small_root()], make_excerpt(read_directory_file(SIGNED_DIRECTORY), ["mun-141003"]))
PINNED = pin_root(signed_small_root(), now=NOW)

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def mutations(data: bytes):
    """Flip bits of, replace, delete or insert one byte anywhere, or truncate."""
    position = st.integers(0, len(data) - 1)
    return st.one_of(
        st.tuples(position, st.integers(1, 255)).map(lambda t: data[: t[0]] + bytes([data[t[0]] ^ t[1]]) + data[t[0] + 1 :]),
        position.map(lambda i: data[:i] + data[i + 1 :]),
        st.tuples(position, st.integers(0, 255)).map(lambda t: data[: t[0]] + bytes([t[1]]) + data[t[0] :]),
        st.integers(0, len(data) - 1).map(lambda n: data[:n]),
    )


def _refused(check, mutated: bytes, original: bytes) -> None:
    if mutated == original:  # e.g. inserting a byte equal to its neighbour cannot happen, but be exact
        return
    with pytest.raises(IntegrityError):
        check(mutated)


@FAST
@given(st.data())
def test_any_mutation_of_a_signed_directory_fails(data):
    mutated = data.draw(mutations(SIGNED_DIRECTORY))
    _refused(lambda b: verify_directory(b, ROOT, now=NOW), mutated, SIGNED_DIRECTORY)


@FAST
@given(st.data())
def test_any_mutation_of_an_excerpt_bundle_fails(data):
    apply_bundle(PINNED, EXCERPT_BUNDLE, NOW)  # the original is accepted
    mutated = data.draw(mutations(EXCERPT_BUNDLE))
    _refused(lambda b: apply_bundle(PINNED, b, NOW), mutated, EXCERPT_BUNDLE)


@FAST
@given(st.data())
def test_any_mutation_of_a_signed_root_fails(data):
    mutated = data.draw(mutations(SIGNED_ROOT))
    _refused(verify_root, mutated, SIGNED_ROOT)


@FAST
@given(st.data())
def test_any_mutation_of_a_key_card_fails(data):
    mutated = data.draw(mutations(CARD))
    _refused(verify_card, mutated, CARD)


KINDS = st.from_regex(r"[a-z0-9][a-z0-9._/-]{0,20}", fullmatch=True)


@settings(max_examples=300, deadline=None)
@given(KINDS, st.binary(max_size=40), KINDS, st.binary(max_size=40))
def test_signing_inputs_are_injective(kind_a, payload_a, kind_b, payload_b):
    if (kind_a, payload_a) != (kind_b, payload_b):
        assert signing_input(kind_a, payload_a) != signing_input(kind_b, payload_b)
