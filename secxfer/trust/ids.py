"""Participant ids: stable, readable, safe as file names.

    root-1 .. root-99     root key holders
    agency                出入国在留管理庁
    central               国民健康保険中央会
    fed-01 .. fed-47      the prefectural federations (prefecture code)
    mun-NNNNNN            municipalities (6-digit local-government code with check digit)

Ids use only ``[a-z0-9-]``, so ``<id>.key`` and ``<id>.card`` are safe on every file
system and cannot traverse paths.
"""

from __future__ import annotations

import functools
import re
from enum import StrEnum

from secxfer.domain.municipalities import check_digit
from secxfer.trust.errors import ParticipantIdError

ROOT_HOLDERS_MAX = 99
_ROOT = re.compile(r"root-([1-9][0-9]?)")
_FED = re.compile(r"fed-([0-9]{2})")
_MUN = re.compile(r"mun-([0-9]{6})")


class Role(StrEnum):
    ROOT = "root"
    AGENCY = "agency"
    CENTRAL = "central"
    FEDERATION = "federation"
    MUNICIPALITY = "municipality"


def _valid_prefecture(code: str) -> bool:
    return code.isascii() and code.isdigit() and len(code) == 2 and 1 <= int(code) <= 47


def role_of(participant_id: str) -> Role:
    """Return the role an id denotes; raise ParticipantIdError for anything else.

    Security: the role is a function of the id, so a card or directory entry cannot
    claim a role its id does not carry.
    """
    if not isinstance(participant_id, str):
        raise ParticipantIdError(f"participant id {participant_id!r} is not a valid id")
    return _role_of(participant_id)


@functools.lru_cache(maxsize=8192)  # a national directory checks ~1,800 ids many times
def _role_of(participant_id: str) -> Role:
    if not participant_id.isascii():
        raise ParticipantIdError(f"participant id {participant_id!r} is not a valid id")
    if participant_id == "agency":
        return Role.AGENCY
    if participant_id == "central":
        return Role.CENTRAL
    if _ROOT.fullmatch(participant_id):
        return Role.ROOT
    if (m := _FED.fullmatch(participant_id)) and _valid_prefecture(m.group(1)):
        return Role.FEDERATION
    if (m := _MUN.fullmatch(participant_id)):
        code = m.group(1)
        if not _valid_prefecture(code[:2]):
            raise ParticipantIdError(f"{participant_id!r}: prefecture {code[:2]} does not exist")
        if check_digit(code[:5]) != code[5]:
            raise ParticipantIdError(
                f"{participant_id!r}: check digit of {code} should be {check_digit(code[:5])}",
                hint="copy the 6-digit code from the official code table",
            )
        return Role.MUNICIPALITY
    raise ParticipantIdError(f"participant id {participant_id!r} is not a valid id")


def check_participant_id(participant_id: str, role: Role | str | None = None) -> Role:
    """Validate ``participant_id`` (and that it denotes ``role``, if given); return its role."""
    actual = role_of(participant_id)
    if role is None:
        return actual
    try:
        wanted = Role(role)
    except ValueError:
        raise ParticipantIdError(f"role {role!r} is not one of {', '.join(r.value for r in Role)}") from None
    if wanted is not actual:
        raise ParticipantIdError(f"{participant_id!r} is a {actual} id, not {wanted}")
    return actual


def federation_id(prefecture_code: str) -> str:
    """``"13"`` -> ``"fed-13"``."""
    pid = f"fed-{prefecture_code}"
    check_participant_id(pid, Role.FEDERATION)
    return pid


def municipality_id(code: str) -> str:
    """``"131016"`` -> ``"mun-131016"`` (6 digits, check digit verified)."""
    pid = f"mun-{code}"
    check_participant_id(pid, Role.MUNICIPALITY)
    return pid


def code_of(participant_id: str) -> str | None:
    """The local-government code of a municipality (6 digits) or federation (2 digits)."""
    role = check_participant_id(participant_id)
    if role in (Role.MUNICIPALITY, Role.FEDERATION):
        return participant_id[4:]
    return None


def federation_of(municipality: str) -> str:
    """The federation id responsible for a municipality id (its prefecture's)."""
    check_participant_id(municipality, Role.MUNICIPALITY)
    return f"fed-{municipality[4:6]}"
