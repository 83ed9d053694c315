"""``secxfer status``: per period, where every recipient below this participant stands.

The states and problems are the reconciliation's (secxfer.ledger.reconcile); status
adds the deadline at central from the government calendar and renders either a
table for people or a JSON document for automation (docs/ledger.md §7).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from secxfer.ledger.reconcile import Reconciliation, reconcile_home, to_json
from secxfer.ledger.states import STATES
from secxfer.safetext import safe

FORMAT = "secxfer-status-v1"


@dataclass(frozen=True)
class Status:
    reconciliation: Reconciliation
    deadline: dt.date
    today: dt.date

    @property
    def days_left(self) -> int:
        return (self.deadline - self.today).days

    @property
    def complete(self) -> bool:
        return self.reconciliation.ok

    @property
    def overdue(self) -> bool:
        return self.days_left < 0 and not self.complete

    def to_json(self) -> dict:
        """The documented status document (docs/ledger.md §7)."""
        document = {"format": FORMAT, **to_json(self.reconciliation)}
        document.update(deadline=self.deadline.isoformat(), today=self.today.isoformat(),
                        days_left=self.days_left, overdue=self.overdue)
        return document

    def deadline_text(self) -> str:
        if self.complete:
            when = "complete"
        elif self.days_left >= 0:
            when = f"{self.days_left} day(s) left"
        else:
            when = f"OVERDUE by {-self.days_left} day(s)"
        return f"deadline at central {self.deadline.isoformat()} ({when})"

    def lines(self) -> list[str]:
        """The human-readable table: header, one line per recipient, then the problems (what
        evidence wrote escaped by :func:`secxfer.safetext.safe`)."""
        rec = self.reconciliation
        counts = " · ".join(f"{rec.count(s)} {s}" for s in STATES if rec.count(s))
        lines = [
            f"status of {rec.period} as seen by {rec.viewer} — {self.deadline_text()}",
            f"delivery {rec.delivery_id[:8] if rec.delivery_id else '(none)'}: "
            f"{len(rec.standings)} recipient(s): {counts or 'none'}",
            "",
            f"{'RECIPIENT':<12} {'STATE':<10} {'ROWS':<14} {'PACKAGE':<9} DETAIL",
        ]
        for s in sorted(rec.standings.values(), key=lambda s: (_order(s.id), s.id)):
            rows = "/".join(str(n) for n in s.rows) if s.rows is not None else "-"
            lines.append(f"{safe(s.id):<12} {s.state:<10} {rows:<14} {safe(s.package_id[:8]) or '-':<9} "
                         f"{safe(s.detail)}".rstrip())
        lines.append("")
        if rec.problems:
            lines.append(f"problems ({len(rec.problems)}):")
            lines += [f"  {p.severity:<7} {safe(p.kind):<18} {safe(p.where):<11} {safe(p.message)}"
                      for p in rec.problems]
        else:
            lines.append("no problems")
        return lines


def _order(pid: str) -> int:
    return 0 if pid == "central" else 1 if pid.startswith("fed-") else 2


def status(home: Path, period: str, *, viewer: str | None = None, now: dt.datetime | None = None,
           holidays: Path | None = None) -> Status:
    """The status of ``period`` from the evidence in ``home`` (``viewer``: the home's participant)."""
    from secxfer.domain.calendar import deadline, load_holiday_overrides
    from secxfer.domain.period import tokyo_today

    now = now or dt.datetime.now(dt.timezone.utc)
    extra = load_holiday_overrides(holidays) if holidays is not None else None
    rec = reconcile_home(home, period, viewer=viewer, now=now)
    return Status(reconciliation=rec, deadline=deadline(period, extra_holidays=extra), today=tokyo_today(now))
