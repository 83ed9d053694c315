"""The key directory's policy: rules the directory states about itself, signed with it.

The only rule so far: from a given directory version on, every participant of a
role must list a post-quantum hybrid encryption key (``mlkem768x25519``). The
policy is part of the root-signed header, so an excerpt carries it as well. A
directory that breaks its own policy is refused when signed and when read, and while
a requirement is in force the directory never hands out X25519 recipients for that
role (no silent downgrade when a hybrid key expires or is revoked).

Stating the version lets the authority announce a requirement ahead of time: a
policy added in v5 "from v7" leaves v5 and v6 as they are.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Annotated

import msgspec

from secxfer.errors import FormatError
from secxfer.models import Model
from secxfer.trust.errors import EncryptionDowngradeError, PolicyError
from secxfer.trust.ids import Role

if TYPE_CHECKING:
    from datetime import datetime

    from secxfer.age.kinds import StanzaKinds
    from secxfer.trust import Participant


class HybridRequirement(Model, kw_only=True):
    """Participants of ``role`` need a hybrid encryption key from directory ``from_version`` on."""

    role: Role
    from_version: Annotated[int, msgspec.Meta(ge=1)]


class DirectoryPolicy(Model, kw_only=True):
    """What the directory requires of itself (see the module docstring).

    ``hybrid_encryption`` is sorted by role, one requirement per role at most; an
    empty policy is written as none at all, so each policy has one byte form.
    """

    hybrid_encryption: Annotated[tuple[HybridRequirement, ...], msgspec.Meta(max_length=len(Role))] = ()

    def hybrid_from(self, role: Role | str) -> int | None:
        """The directory version from which ``role`` needs hybrid keys, or None."""
        wanted = Role(role)
        return next((r.from_version for r in self.hybrid_encryption if r.role is wanted), None)

    def requires_hybrid(self, role: Role | str, version: int) -> bool:
        """Whether participants of ``role`` need a hybrid encryption key in directory ``version``."""
        start = self.hybrid_from(role)
        return start is not None and version >= start


def make_policy(hybrid_encryption: dict[Role, int] | Iterable[tuple[Role, int]]) -> DirectoryPolicy | None:
    """A policy from (role, from_version) pairs, in its one canonical form (None if empty)."""
    pairs = dict(hybrid_encryption.items() if isinstance(hybrid_encryption, dict) else hybrid_encryption)
    if not pairs:
        return None
    return DirectoryPolicy(
        hybrid_encryption=tuple(
            HybridRequirement(role=Role(role), from_version=version) for role, version in sorted(pairs.items())
        )
    )


def check_policy_form(policy: DirectoryPolicy | None, version: int) -> None:
    """The policy is in canonical form: not empty, roles sorted and each listed once."""
    if policy is None:
        return
    roles = [r.role.value for r in policy.hybrid_encryption]
    if not roles:
        raise FormatError(f"key directory v{version} states an empty policy (an empty policy is written as none)")
    if roles != sorted(set(roles)):
        raise FormatError(f"the policy of key directory v{version} lists roles out of order or twice")


def require_hybrid_key(policy: DirectoryPolicy | None, version: int, participant: Participant, at: datetime) -> None:
    """Raise PolicyError if the policy needs a hybrid key for ``participant`` and none is usable at ``at``."""
    if policy is None or not policy.requires_hybrid(participant.role, version):
        return
    if any(e.is_hybrid and e.usable_at(at) for e in participant.encryption_keys):
        return
    raise PolicyError(
        f"key directory v{version} requires a hybrid (mlkem768x25519) encryption key for every "
        f"{participant.role.value} from v{policy.hybrid_from(participant.role)} on; "
        f"{participant.id} has none in force at {at.isoformat()}"
    )


def require_listed_hybrid_key(
    policy: DirectoryPolicy | None, version: int, participant: Participant, issued: datetime, expires: datetime
) -> None:
    """Raise PolicyError if the policy needs a hybrid key for ``participant`` and none is
    usable at any time while the directory is valid (``issued`` .. ``expires``).

    A key added to a draft after its issue time counts from its own start; one revoked
    or ended before that does not.
    """
    if policy is None or not policy.requires_hybrid(participant.role, version):
        return
    for entry in participant.encryption_keys:
        if entry.is_hybrid and entry.valid_from < expires and entry.usable_at(max(issued, entry.valid_from)):
            return
    raise PolicyError(
        f"key directory v{version} requires a hybrid (mlkem768x25519) encryption key for every "
        f"{participant.role.value} from v{policy.hybrid_from(participant.role)} on; {participant.id} lists none "
        f"in force between {issued.isoformat()} and {expires.isoformat()}"
    )


def describe_policy(policy: DirectoryPolicy | None) -> str:
    """One line for people: what the policy requires."""
    if policy is None:
        return "policy: none (X25519 or hybrid encryption keys)"
    rules = ", ".join(f"{r.role.value} from v{r.from_version}" for r in policy.hybrid_encryption)
    return f"policy: hybrid (mlkem768x25519) encryption keys required for {rules}"


def require_policy_on_file(
    policy: DirectoryPolicy | None, version: int, participant: Participant, kinds: StanzaKinds, *, what: str
) -> None:
    """Hold the recipient stanzas actually in a file (``kinds``, an
    :class:`secxfer.age.kinds.StanzaKinds`) against the policy for ``participant``.

    What the sender's manifest claims about its recipients proves nothing about the
    file: only the age header's stanzas say who can recover the file key. A file mixing
    post-quantum and classical stanzas is refused whatever the policy (C2SP age.md: it
    is only as safe as its classical stanza, and secxfer never writes one); where the
    policy requires hybrid keys for the participant's role, a file with any classical
    stanza, or none post-quantum, is refused. Grease and unknown types are ignored.
    """
    if kinds.mixed:
        raise EncryptionDowngradeError(
            f"{what} for {participant.id} mixes post-quantum and classical recipient stanzas "
            f"({kinds.describe()})"
        )
    if policy is None or not policy.requires_hybrid(participant.role, version):
        return
    if not kinds.postquantum_only:
        raise EncryptionDowngradeError(
            f"{what} for {participant.id} is encrypted to classical recipient stanzas ({kinds.describe()}), "
            f"but key directory v{version} requires post-quantum hybrid (mlkem768x25519) encryption "
            f"for every {participant.role.value} from v{policy.hybrid_from(participant.role)} on"
        )
