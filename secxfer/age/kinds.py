"""What kind of protection an age header's recipient stanzas give: post-quantum or classical.

C2SP age.md asks that a file encrypted to the hybrid post-quantum type not also be
encrypted to a classical type (a classical stanza beside it gives the file key to
whoever breaks X25519), and lets an identity implementation require that its type is
not mixed with others. Stanzas of a type no identity here knows — the random
"grease" stanzas age writes so that parsers keep ignoring unknown types — are
ignored, as the spec requires.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from secxfer.age._labels import HYBRID_STANZA_TYPE, X25519_STANZA_TYPE
from secxfer.age.errors import AgeDowngradeError
from secxfer.age.format import Stanza

# Types whose stanza stays secret against a quantum computer, and types whose does not.
POSTQUANTUM_TYPES = frozenset({HYBRID_STANZA_TYPE, "mlkem768p256tag"})
CLASSICAL_TYPES = frozenset({X25519_STANZA_TYPE, "scrypt", "p256tag"})


@dataclass(frozen=True)
class StanzaKinds:
    """Counts of a header's stanzas by protection; ``ignored`` are grease or unknown types."""

    postquantum: int
    classical: int
    ignored: int

    @property
    def mixed(self) -> bool:
        return self.postquantum > 0 and self.classical > 0

    @property
    def postquantum_only(self) -> bool:
        return self.postquantum > 0 and self.classical == 0

    def describe(self) -> str:
        return f"{self.postquantum} post-quantum, {self.classical} classical, {self.ignored} other stanza(s)"


def stanza_kinds(stanzas: Iterable[Stanza]) -> StanzaKinds:
    """Classify recipient stanzas by their type (first argument, case-sensitive as in the spec)."""
    postquantum = classical = ignored = 0
    for stanza in stanzas:
        if stanza.type in POSTQUANTUM_TYPES:
            postquantum += 1
        elif stanza.type in CLASSICAL_TYPES:
            classical += 1
        else:
            ignored += 1
    return StanzaKinds(postquantum=postquantum, classical=classical, ignored=ignored)


def require_postquantum_only(stanzas: Iterable[Stanza]) -> StanzaKinds:
    """Raise AgeDowngradeError unless the file key is wrapped only to post-quantum types."""
    kinds = stanza_kinds(stanzas)
    if kinds.mixed:
        raise AgeDowngradeError(
            f"the file mixes post-quantum and classical recipient stanzas ({kinds.describe()}): "
            "its file key is only as safe as the classical one"
        )
    if not kinds.postquantum_only:
        raise AgeDowngradeError(f"the file has no post-quantum recipient stanza ({kinds.describe()})")
    return kinds
