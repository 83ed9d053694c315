"""Participant ids, roles, key ids and readable fingerprints."""

from __future__ import annotations

import re

import pytest
from test_trust_support import example_card, example_key

from secxfer.domain.municipalities import federations, insurers, participant_id
from secxfer.trust import card_fingerprint, verify_card
from secxfer.trust.errors import ParticipantIdError
from secxfer.trust.fingerprint import fingerprint, key_id, normalize_fingerprint
from secxfer.trust.ids import Role, check_participant_id, code_of, federation_id, federation_of, municipality_id, role_of


@pytest.mark.parametrize(
    "pid, role",
    [
        ("root-1", Role.ROOT), ("root-12", Role.ROOT), ("agency", Role.AGENCY), ("central", Role.CENTRAL),
        ("fed-01", Role.FEDERATION), ("fed-47", Role.FEDERATION), ("mun-131016", Role.MUNICIPALITY),
        ("mun-012131", Role.MUNICIPALITY), ("mun-012050", Role.MUNICIPALITY),
    ],
)
def test_valid_ids_and_their_roles(pid, role):
    assert role_of(pid) is role
    assert re.fullmatch(r"[a-z0-9-]+", pid)  # file-name safe


@pytest.mark.parametrize(
    "pid",
    ["root-0", "root-01", "fed-00", "fed-48", "fed-1", "mun-131017", "mun-13101", "mun-481016", "Agency",
     "agency ", "../agency", "mun-131016/x", "ｍun-131016", "mun-１３１０１６", "", "root-1\n"],
)
def test_invalid_ids_are_refused(pid):
    with pytest.raises(ParticipantIdError):
        role_of(pid)


def test_non_strings_and_unknown_roles_are_refused():
    with pytest.raises(ParticipantIdError):
        role_of(None)  # type: ignore[arg-type]
    with pytest.raises(ParticipantIdError, match="not one of"):
        check_participant_id("agency", "minister")
    with pytest.raises(ParticipantIdError, match="is a agency id, not central"):
        check_participant_id("agency", "central")


def test_every_insurer_and_federation_of_the_domain_table_is_a_valid_id():
    assert [federation_id(f.prefecture_code) for f in federations()] == [f.id for f in federations()]
    for body in insurers():
        pid = municipality_id(body.code)
        assert pid == participant_id(body.code)
        assert federation_of(pid) == f"fed-{body.prefecture_code}"
        assert code_of(pid) == body.code


def test_codes_of_ids():
    assert code_of("fed-13") == "13" and code_of("mun-131016") == "131016" and code_of("agency") is None


def test_key_ids_are_hex_sha256_and_distinct():
    a, b = example_key("root-1").signing_public_key, example_key("root-2").signing_public_key
    assert re.fullmatch(r"[0-9a-f]{64}", key_id(a)) and key_id(a) != key_id(b)


def test_fingerprints_are_short_readable_and_bind_everything():
    secret = example_key("mun-131016")
    fp = secret.fingerprint
    assert re.fullmatch(r"([0-9A-HJKMNP-TV-Z]{4}-){4}[0-9A-HJKMNP-TV-Z]{4}", fp)  # Crockford: no I L O U
    assert card_fingerprint(verify_card(example_card("mun-131016"))) == fp
    enc, sig = secret.encryption_public_key, secret.signing_public_key
    variants = {
        fingerprint("mun-131016", "municipality", enc, sig),
        fingerprint("mun-141003", "municipality", enc, sig),
        fingerprint("mun-131016", "federation", enc, sig),
        fingerprint("mun-131016", "municipality", sig, enc),
        fingerprint("mun-131016", "municipality", enc, bytes(32)),
    }
    assert len(variants) == 5


def test_typed_fingerprints_are_normalized():
    fp = example_key("mun-131016").fingerprint
    assert normalize_fingerprint(fp.lower().replace("-", " ")) == fp
    assert normalize_fingerprint("0OIL-1") == "0011-1"
