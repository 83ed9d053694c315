"""The states of a participant below the viewer, and the one rule for which of them end the month.

docs/ledger.md §8: every participant below the viewer gets one state. Two questions
are asked of them, and both are answered here and nowhere else:

* :func:`confirmed_states` — did its delivery arrive and get confirmed? ``confirmed``
  (its accepted receipt verified against what was sent); in a municipality's own view
  also ``received`` (it opened its package: as far as it can see). This is the count
  the verdict line and the status page show ("N of M municipalities confirmed").
* :func:`settled_states` — is nothing more owed for it this month? The confirmed
  states, plus ``withheld`` (a relay held its rows back because its 委任状 was
  withdrawn, checked against the directory, §8.3). A period is complete when every
  municipality below is settled and no ``error`` or ``open`` problem remains.

A withheld municipality is settled but never counted as confirmed: nothing reached it.
"""

from __future__ import annotations

# Display order (tables, counts, the JSON document's "counts").
STATES = ("confirmed", "received", "relayed", "sealed", "failed", "missing", "withheld")

# How far a participant's rows got, best first: to choose between two branches of a
# contradiction without depending on the order documents arrived in.
RANK = ("confirmed", "received", "withheld", "relayed", "sealed", "missing", "failed")

WITHHELD = "withheld"


def _own_view(viewer: str) -> bool:
    return viewer.startswith("mun-")


def confirmed_states(viewer: str) -> frozenset[str]:
    """States that count as a confirmed delivery in ``viewer``'s view."""
    return frozenset(("confirmed", "received") if _own_view(viewer) else ("confirmed",))


def settled_states(viewer: str) -> frozenset[str]:
    """States after which nothing more is owed this month, in ``viewer``'s view."""
    return confirmed_states(viewer) | {WITHHELD}
