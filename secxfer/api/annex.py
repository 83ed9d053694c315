"""The month's three annex CSV files, named by what they are."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class AnnexFiles:
    """The three annex CSVs the agency seals for one period: 別紙1 (at entry), 別紙2
    (leaving a job), 別紙3 (change of status). A header-only file stands for an empty annex."""

    annex1: Path
    annex2: Path
    annex3: Path

    @classmethod
    def of(cls, annex1: str | os.PathLike[str], annex2: str | os.PathLike[str],
           annex3: str | os.PathLike[str]) -> AnnexFiles:
        """The three files from any path-like values. Raises nothing (the files are read when sealed)."""
        return cls(annex1=Path(annex1), annex2=Path(annex2), annex3=Path(annex3))

    def by_number(self) -> dict[int, Path]:
        """Annex number (1, 2, 3) -> file."""
        return {1: Path(self.annex1), 2: Path(self.annex2), 3: Path(self.annex3)}
