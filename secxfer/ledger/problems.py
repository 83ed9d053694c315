"""What a reconciliation finds: a problem (severity, kind, place, message) and a standing.

Problems found by checking who wrote a document and what it claims are worded from
:data:`PROBLEM_ENGLISH` with named values (ids, package ids, field names, counts,
dates), so that a front end can word them in its own language from the same values
(the CLI's catalog has one entry per wording, ``problem.<wording>``). A problem made
without values (``Problem(severity, kind, where, message)``) is shown as its message.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from secxfer.domain.counts import RowCounts

# One wording per kind (a few kinds have a second wording, named after it); values are
# ids, short package ids, field names, counts, dates, and the library's own details.
PROBLEM_ENGLISH = {
    # the trace and the evidence (docs/ledger.md §8)
    "invalid-evidence": "stored evidence fails verification: {detail}",
    "unbalanced": "{reporter}'s {action} report: {detail}",
    "nothing-handled": "{viewer} has no sealed or relayed delivery for {period}",
    "nothing-received": "no package for {period} opened here",
    "superseded": "delivery {delivery} of {day} was superseded",
    "unmatched-receipt": "receipt from {issuer} for package {package}, which no report of this delivery lists",
    "unmatched-report": "hop report from {author} for package {package}, which no report of this delivery sends",
    "dropped": "{reporter} received the rows for {recipient} but its report sends them nowhere",
    "not-relayed": "{relay} acknowledged package {package} but no report of its relay has arrived",
    "file-differs": "{reporter} relayed a package {package} that differs from what {sender} sent",
    "leaves-differ": "{reporter} received leaf {code} different from the agency's commitment",
    "replayed": "{issuer} was offered package {package} again on {at} and refused it",
    "opened-twice": "{issuer} accepted package {package} {count} times ({times}): copies exist outside one home",
    "opened-twice-here": "package {package} was accepted {count} times",
    "receipt-differs": "{issuer}'s receipt for {package}: {differences}",
    "receipt-failed": "{issuer} could not use package {package}: {detail}",
    "failed-here": "{detail}",
    "no-receipt": "{sender} sent package {package} ({file}) to {recipient} on {day}; no receipt from {recipient} "
                  "(lost or not yet opened?)",
    "no-receipt-relayed": "no receipt from {issuer} for package {package}, though it relayed it",
    # who may speak for a package, and what it may claim (docs/ledger.md §8.1–§8.3)
    "foreign-report": "{author} signed a hop report for package {package}, which {sender} sent to {recipient}: "
                      "only {recipient}'s report counts; this one is ignored (ask {author} why it signed it)",
    "not-a-relay": "{author} is a {role} and cannot relay: its hop report for package {package} is ignored "
                   "(ask {author} why it signed it)",
    "conflicting-reports": "{author} signed {count} different hop reports for package {package}: "
                           "they contradict each other; ask {author} which one is true",
    "report-claim": "{author}'s hop report for package {package} says {field} {claimed}, but {sender} sent {expected}",
    "foreign-receipt": "{issuer} signed a receipt for package {package}, which {sender} sent to {recipient}: "
                       "only {recipient}'s receipt counts (ask {issuer} why it signed it)",
    "receipt-claim": "{issuer}'s receipt for package {package} says {field} {claimed}, but {sender} sent {expected}",
    "receipt-conflict": "{issuer} both accepted package {package} and reported the same file {disposition}: "
                        "its receipts contradict each other; ask {issuer} what happened",
    "refused-copy": "{issuer} reported a copy of package {package} {disposition} (a file that differs from the one "
                    "sent) and accepted an intact copy",
    "delivery-opened-twice": "{issuer} accepted {count} different packages of delivery {delivery} ({packages}): "
                             "the delivery was issued again and opened more than once; ask {issuer} which copy "
                             "it uses and to delete the other",
    "withheld-in-force": "{reporter} withheld {recipient} as {reason}, but the key directory shows its 委任状 "
                         "in force on {day} (the hop's day): its rows were dropped; ask {reporter} to deliver them "
                         "(if a newer key directory records the withdrawal, import it and reconcile again)",
    # held from a key revoked for compromise (secxfer.ledger.compromised, docs/keys.md §6.1)
    "compromised-opened": "package {package} opened here at {accepted} was signed by {signer}'s key {keyid}…, "
                          "revoked for compromise at {revoked}: treat its rows as untrusted and ask {signer} "
                          "to confirm or send them again",
    "compromised-relayed": "package {package} relayed here at {accepted} was signed by {signer}'s key {keyid}…, "
                           "revoked for compromise at {revoked}: tell the recipients it went to, and ask "
                           "{signer} to confirm or send it again",
    "compromised-receipt": "a receipt kept here ({place}) was signed by {signer}'s key {keyid}…, revoked for "
                           "compromise at {revoked}: do not rely on it; ask {signer} to confirm it",
    "compromised-report": "a hop report kept here ({place}) was signed by {signer}'s key {keyid}…, revoked for "
                          "compromise at {revoked}: do not rely on it; ask {signer} to confirm it",
}


@dataclass(frozen=True)
class Problem:
    severity: str  # "error", "open" or "warning"
    kind: str
    where: str  # the participant (or package) the problem is located at
    message: str  # English, complete
    values: dict = field(default_factory=dict, compare=False, hash=False)  # for :data:`PROBLEM_ENGLISH` kinds
    wording: str = field(default="", compare=False)  # the :data:`PROBLEM_ENGLISH` key ("" = the kind)

    @classmethod
    def of(cls, severity: str, kind: str, where: str, *, wording: str = "", **values: object) -> Problem:
        """A problem worded from ``values`` by :data:`PROBLEM_ENGLISH` (``wording``, else the kind)."""
        text = {k: str(v) for k, v in values.items()}
        return cls(severity, kind, where, PROBLEM_ENGLISH[wording or kind].format(**text), text, wording)


@dataclass
class Standing:
    id: str
    state: str
    package_id: str = ""
    rows: RowCounts | None = None
    detail: str = ""

