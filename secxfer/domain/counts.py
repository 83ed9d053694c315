"""Annex numbers and per-annex row counts: the two small values every wing passes around.

The agreement has exactly three annexes (別紙1–3), numbered from 1. ``RowCounts``
holds one count per annex and is indexed by the annex number (``counts[1]`` is
別紙1), never by position, so that an off-by-one cannot silently read the wrong
annex: ``counts[0]`` raises. On the wire it is the three-element JSON array the
signed formats have always carried (``[annex1, annex2, annex3]``), so documents and
test vectors keep their exact bytes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Literal

from secxfer.models import Model

AnnexNumber = Literal[1, 2, 3]
ANNEX_NUMBERS: tuple[AnnexNumber, AnnexNumber, AnnexNumber] = (1, 2, 3)


class RowCounts(Model, array_like=True):
    """Rows per annex (別紙1, 別紙2, 別紙3); encoded as ``[annex1, annex2, annex3]``.

    Positional construction is allowed (``RowCounts(3, 0, 1)``): the order is the
    annex order, the same as the wire form.
    """

    annex1: int
    annex2: int
    annex3: int

    @classmethod
    def of(cls, counts: Iterable[int]) -> RowCounts:
        """From three counts in annex order (a tuple, a list, a generator)."""
        values = tuple(counts)
        if len(values) != 3:
            raise ValueError(f"row counts need one value per annex (3), got {len(values)}")
        return cls(*values)

    @classmethod
    def zero(cls) -> RowCounts:
        return cls(0, 0, 0)

    @classmethod
    def sum(cls, many: Iterable[RowCounts]) -> RowCounts:
        """Annex-wise sum (zero for none)."""
        a1 = a2 = a3 = 0
        for counts in many:
            a1, a2, a3 = a1 + counts.annex1, a2 + counts.annex2, a3 + counts.annex3
        return cls(a1, a2, a3)

    @property
    def total(self) -> int:
        return self.annex1 + self.annex2 + self.annex3

    def __getitem__(self, annex: AnnexNumber) -> int:
        if annex == 1:
            return self.annex1
        if annex == 2:
            return self.annex2
        if annex == 3:
            return self.annex3
        raise KeyError(f"there is no annex {annex!r}; row counts are indexed by annex number 1, 2 or 3")

    def __iter__(self) -> Iterator[int]:
        return iter((self.annex1, self.annex2, self.annex3))

    def __len__(self) -> int:
        return 3

    def __add__(self, other: RowCounts) -> RowCounts:
        if not isinstance(other, RowCounts):
            return NotImplemented
        return RowCounts(self.annex1 + other.annex1, self.annex2 + other.annex2, self.annex3 + other.annex3)

    def as_tuple(self) -> tuple[int, int, int]:
        return (self.annex1, self.annex2, self.annex3)

    def __str__(self) -> str:
        # The form messages and log facts have always shown: "(3, 0, 1)".
        return str(self.as_tuple())
