"""Default display names of participants (Japanese, as on the paper forms).

Municipality and federation names come from the shipped code table
(``secxfer.domain.municipalities``), which also confirms that a municipality id
names one of the 1,741 insurers and not a ward or a prefecture.
"""

from __future__ import annotations

from secxfer.trust.ids import Role, check_participant_id

AGENCY_NAME = "出入国在留管理庁"
CENTRAL_NAME = "公益社団法人国民健康保険中央会"
ROOT_NAME = "ルート鍵保持者 {n}"


def default_name(participant_id: str) -> str:
    """The official name of a participant; raises if a municipality id is not an insurer."""
    role = check_participant_id(participant_id)
    if role is Role.AGENCY:
        return AGENCY_NAME
    if role is Role.CENTRAL:
        return CENTRAL_NAME
    if role is Role.ROOT:
        return ROOT_NAME.format(n=participant_id.removeprefix("root-"))
    from secxfer.domain import municipalities

    if role is Role.FEDERATION:
        return municipalities.federation_for(participant_id.removeprefix("fed-")).name
    code = participant_id.removeprefix("mun-")
    municipalities.participant_id(code)  # refuses wards, prefectures, unknown codes
    return municipalities.lookup(code).name
