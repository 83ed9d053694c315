"""Library results rendered as the lines a command prints, in the current language.

Every word comes from the catalog (secxfer/cli/catalog/output.toml); what the library
supplies — names, counts, dates — is filled in as it is, and whatever another
participant wrote (receipt details, file names, reasons, ids in evidence, names on a
medium) through :func:`secxfer.safetext.safe`, so it can neither steer the terminal
nor add a line of its own.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from secxfer.cli.i18n import error_detail, t, worded
from secxfer.safetext import safe

if TYPE_CHECKING:
    from secxfer.domain.calendar import DeadlineExplanation
    from secxfer.domain.validate import ValidationReport
    from secxfer import PackageFacts, Status

TOP_INSURERS = 10


def validate_summary(report: ValidationReport, *, top: int = TOP_INSURERS) -> list[str]:
    """The summary printed after the problems: counts only, never row contents."""
    from secxfer.domain.municipalities import lookup

    verdict = t("validate.verdict_ok") if report.ok else t("validate.verdict_rejected")
    lines = [
        t("validate.headline", verdict=verdict, annex=report.annex,
          period=report.period or t("validate.period_unchecked"), profile=report.profile),
        t("validate.counts", files=len(report.files), rows=report.rows, accepted=report.accepted,
          rejected=report.rejected, errors=report.errors, notes=report.notes),
    ]
    for summary in report.files:
        layout = f"{summary.encoding}{t('validate.with_bom') if summary.bom else ''}, {summary.newline}"
        layout += t("validate.header") if summary.header else t("validate.no_header")
        lines.append(t("validate.file_line", source=summary.source, layout=layout, rows=summary.rows_read,
                       rejected=summary.rows_rejected))
    counts = sorted(report.insurer_counts.items(), key=lambda item: (-item[1], item[0]))
    if counts:
        shown = counts[:top]
        lines.append(t("validate.per_insurer") if len(shown) == len(counts)
                     else t("validate.per_insurer_top", shown=len(shown), total=len(counts)))
        width = len(str(shown[0][1])) if shown else 1
        lines.extend(f"  {code} {count:>{width}}  {lookup(code).name}" for code, count in shown)
        if len(shown) < len(counts):
            rest = sum(count for _, count in counts[len(shown):])
            lines.append(t("validate.more_insurers", more=len(counts) - len(shown), rows=rest))
        lines.append(t("validate.total", rows=report.accepted, insurers=len(counts)))
    return lines


def calendar_lines(explanation: DeadlineExplanation, *, today: datetime.date | None = None) -> list[str]:
    """The deadline (first line, ISO date) and how it was found."""
    from secxfer.domain.calendar import WEEKDAYS_JA

    def show(day: datetime.date) -> str:
        return f"{day.isoformat()} ({WEEKDAYS_JA[day.weekday()]})"

    last = explanation.last_business_day
    month = f"{last:%Y-%m}"
    lines = [explanation.deadline.isoformat(), t("calendar.rule", period=explanation.period.label, month=month)]
    at_month_end = [day for day in explanation.skipped if day.date > last]
    before_last = [day for day in explanation.skipped if day.date < last]
    if at_month_end:
        lines.append(t("calendar.closed_at_month_end", month=month))
        lines += [f"  {show(day.date)} {day.reason}" for day in at_month_end]
    lines.append(t("calendar.last_business_day", month=month, day=show(last)))
    if before_last:
        lines.append(t("calendar.closed_before"))
        lines += [f"  {show(day.date)} {day.reason}" for day in before_last]
    lines.append(t("calendar.deadline", day=show(explanation.deadline)))
    if today is not None:
        left = (explanation.deadline - today).days
        if left >= 0:
            lines.append(t("calendar.days_left_one" if left == 1 else "calendar.days_left", days=left, today=today))
        else:
            lines.append(t("calendar.overdue_one" if left == -1 else "calendar.overdue", days=-left, today=today))
    return lines


def open_banner(result) -> list[str]:
    """The lines of the banner ``open`` prints once everything verified."""
    return [
        (t("open.rehearsal_prefix") if result.rehearsal else "") + t("open.headline", period=result.period,
                                                                       recipient=result.recipient),
        t("open.rows", annex1=result.rows[1], annex2=result.rows[2], annex3=result.rows[3]),
        t("open.chain", chain=f"{' -> '.join(result.chain)} -> {result.recipient}"),
        t("open.use_limits_1"),
        t("open.use_limits_2"),
    ]


def verify_line(name: str, statement) -> str:
    return t("verify.ok", name=safe(name), sender=safe(statement.sender), recipient=safe(statement.recipient),
             period=safe(statement.period), rehearsal=t("verify.rehearsal") if statement.rehearsal else "",
             size=statement.size)


def inspect_lines(facts: PackageFacts) -> list[str]:
    """A package's unverified public facts (secxfer.PackageFacts), every claim escaped."""
    lines = [t("inspect.file", name=safe(facts.file_name)), t("inspect.size", size=facts.size),
             t("inspect.stanzas", count=len(facts.stanza_types),
               types=", ".join(safe(kind, 40) for kind in facts.stanza_types))]
    outer, why = facts.outer, facts.outer_unavailable
    if outer is None:
        reason = error_detail(why, str(why)) if why is not None else ""
        return [*lines, t("inspect.unavailable", reason=safe(reason))]
    return [*lines, t("inspect.outer"), t("inspect.route", sender=safe(outer.sender), recipient=safe(outer.recipient)),
            t("inspect.period", period=safe(outer.period), rehearsal=t("inspect.rehearsal") if outer.rehearsal else ""),
            t("inspect.package", package_id=safe(outer.package_id), created=outer.created.isoformat())]


def state_name(state: str) -> str:
    return t(f"state.{state}")


def deadline_text(status: Status) -> str:
    if status.complete:
        when = t("status.complete")
    elif status.days_left >= 0:
        when = t("status.days_left", days=status.days_left)
    else:
        when = t("status.overdue", days=-status.days_left)
    return t("status.deadline", deadline=status.deadline.isoformat(), when=when)


def status_lines(status: Status, *, limit: int | None = None, full_table: object = None) -> list[str]:
    """The status table: header, one line per recipient, then the problems (details escaped).

    With ``limit``, a table longer than that leaves out the confirmed municipalities and
    says how many it left out and where the full table is (``full_table``)."""
    from secxfer.ledger.reconcile import STATES
    rec = status.reconciliation
    standings = sorted(rec.standings.values(), key=recipient_order)
    hidden = 0
    if limit is not None and len(standings) + len(rec.problems) + 6 > limit:
        shown = [s for s in standings if not (s.id.startswith("mun-") and s.state == "confirmed")]
        hidden, standings = len(standings) - len(shown), shown
    counts = " · ".join(t("status.count", count=rec.count(s), state=state_name(s)) for s in STATES if rec.count(s))
    lines = [
        t("status.headline", period=safe(rec.period), viewer=safe(rec.viewer), deadline=deadline_text(status)),
        t("status.delivery", delivery=safe(rec.delivery_id[:8]) if rec.delivery_id else t("status.no_delivery"),
          recipients=len(rec.standings), counts=counts or t("status.none")),
        "",
        t("status.columns"),
    ]
    for s in standings:
        rows = "/".join(str(n) for n in s.rows) if s.rows is not None else "-"
        lines.append(f"{safe(s.id):<12} {_pad(state_name(s.state), 10)} {rows:<14} {safe(s.package_id[:8]) or '-':<9} "
                     f"{safe(s.detail)}".rstrip())
    if hidden:
        lines.append(t("demo.hidden_confirmed", hidden=hidden, path=full_table))
    lines.append("")
    if rec.problems:
        lines.append(t("status.problems", count=len(rec.problems)))
        lines += problem_lines(rec.problems)
    else:
        lines.append(t("status.no_problems"))
    return lines


def recipient_order(standing) -> tuple[int, str]:
    """Central first, then federations, then municipalities, each by id."""
    pid = standing.id
    return (0 if pid == "central" else 1 if pid.startswith("fed-") else 2, pid)


def _pad(text: str, width: int) -> str:
    from secxfer.cli._common import display_width

    return text + " " * max(0, width - display_width(text))


def reconcile_summary(rec) -> list[str]:
    """A short account: the verdict, counts per state, then every problem (details escaped)."""
    from secxfer.ledger.reconcile import STATES

    municipalities = rec.municipalities
    confirmed = rec.count_confirmed()
    verdict = t("reconcile.reconciled") if rec.ok else t("reconcile.not_reconciled")
    lines = [t("reconcile.headline", verdict=verdict, period=safe(rec.period), viewer=safe(rec.viewer),
               confirmed=confirmed, total=len(municipalities))]
    lines.append("  " + ", ".join(t("reconcile.count", state=state_name(state), count=rec.count(state))
                                  for state in STATES if rec.count(state)))
    lines += problem_lines(rec.problems)
    return lines


def problem_lines(problems) -> list[str]:
    """One line per reconciliation problem; kind, place and message escaped (evidence wrote them).
    A problem the library gave named values for is worded from the catalog (``problem.<wording>``)."""
    return [f"  {safe(p.severity):<7} {safe(p.kind):<18} {safe(p.where):<11} {_problem_message(p)}" for p in problems]


def _problem_message(problem) -> str:
    if problem.values:
        return t(f"problem.{problem.wording or problem.kind}", **{k: safe(v) for k, v in problem.values.items()})
    return safe(problem.message)


def media_lines(report) -> list[str]:
    """A media check (``secxfer.chain.inspect.MediaReport``): one line per finding, then the counts.
    Folder and file names come from the medium, so they and the reasons are escaped."""
    lines = [t(f"media.{finding.kind}", **{k: safe(worded(v)) for k, v in finding.values().items()})
             for finding in report.findings]
    lines.append(t("media.summary", packages=report.packages, failures=report.failures))
    if report.renamed:
        lines.append(t("media.renamed_summary", renamed=report.renamed))
    return lines


def problem_line(problem) -> str:
    """One finding as ``FILE:LINE:COLUMN: severity: message [code]`` in the current language.

    Japanese words the finding from its facts (secxfer/cli/catalog/findings.toml); a
    finding whose facts do not fill the sentence keeps the library's English message.
    """
    from secxfer.cli.i18n import has, language

    severity, message = problem.severity, problem.message
    if language() != "en":
        severity = t(f"finding.severity.{problem.severity}")
        key = f"finding.{problem.code}"
        if has(key):
            try:
                message = t(key, **problem.facts)
            except (KeyError, IndexError):
                pass
    if problem.facts.get("suggested_profile"):  # the library names the profile; the CLI, its option
        message += t("finding.suggest_profile", profile=problem.facts["suggested_profile"])
    return f"{problem.source}:{problem.line}:{problem.column}: {severity}: {message} [{problem.code}]"
