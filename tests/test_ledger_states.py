"""The one "done states" rule (secxfer.ledger.states), as docs/ledger.md §8 states it."""

from pathlib import Path

import pytest

import secxfer
from secxfer.ledger.problems import Standing
from secxfer.ledger.reconcile import Reconciliation
from secxfer.ledger.states import RANK, STATES, confirmed_states, settled_states


def test_the_rule():
    assert confirmed_states("agency") == confirmed_states("fed-13") == {"confirmed"}
    assert confirmed_states("mun-131016") == {"confirmed", "received"}  # its own package opened
    assert settled_states("central") == {"confirmed", "withheld"}
    assert settled_states("mun-131016") == {"confirmed", "received", "withheld"}
    assert set(STATES) == set(RANK)


def rec(viewer: str, *states: str) -> Reconciliation:
    standings = {f"mun-13101{i}": Standing(f"mun-13101{i}", state) for i, state in enumerate(states)}
    return Reconciliation(period="2026-10", viewer=viewer, delivery_id="d1", standings=standings, problems=[])


@pytest.mark.parametrize(("viewer", "states", "ok", "confirmed"), [
    ("agency", ("confirmed", "withheld"), True, 1),  # withheld settles the month but is not confirmed
    ("agency", ("confirmed", "received"), False, 1),  # a relay's acknowledgment is not the recipient's
    ("agency", ("confirmed", "relayed"), False, 1),
    ("mun-131016", ("received",), True, 1),
    ("mun-131016", ("withheld",), True, 0),
    ("fed-13", ("confirmed", "missing"), False, 1),
])
def test_verdict_and_count_follow_the_rule(viewer, states, ok, confirmed):
    reconciliation = rec(viewer, *states)
    assert reconciliation.ok is ok
    assert reconciliation.count_confirmed() == confirmed


def test_no_other_copy_of_the_rule():
    """The state sets are spelled once: a second copy is how the copies came to disagree."""
    root = Path(secxfer.__file__).parent
    copies = [str(p.relative_to(root)) for p in root.rglob("*.py")
              if p.name != "states.py" and ('("confirmed", "received")' in p.read_text(encoding="utf-8")
                                            or '("confirmed", "withheld"' in p.read_text(encoding="utf-8"))]
    assert copies == []
