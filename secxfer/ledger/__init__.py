"""The ledger wing: nothing lost — receipts, hop reports, reconciliation, status, the operations log.

It sits above the chain (it may import chain, trust, domain, age; they never import
it). One module per concept; formats are specified in docs/ledger.md.

* :mod:`~secxfer.ledger.recorded` — ``seal``, ``relay``, ``open_package``: the chain's
  steps plus their paper trail (what the public API in ``secxfer`` and the demo call);
* :mod:`~secxfer.ledger.receipts` — signed receipts and the disposition of each failure;
* :mod:`~secxfer.ledger.reports` — signed hop reports whose counts add up;
* :mod:`~secxfer.ledger.aggregate` — ``forward``: receipts and reports upward in one signed file;
* :mod:`~secxfer.ledger.collect` — ``collect``: verify and keep what a return medium brings;
* :mod:`~secxfer.ledger.reconcile`, :mod:`~secxfer.ledger.trace` — ``reconcile_home``:
  every recipient's state and every break, from one participant's view;
* :mod:`~secxfer.ledger.status` — ``status``: the same with the deadline, as a table or JSON;
* :mod:`~secxfer.ledger.oplog`, :mod:`~secxfer.ledger.tlog`, :mod:`~secxfer.ledger.checkpoint`
  — the tamper-evident operations log, its Merkle tree and signed checkpoints;
* :mod:`~secxfer.ledger.purge`, :mod:`~secxfer.ledger.outputs` — ``purge``: remove a period's
  outputs once confirmed, only as the signed log records them (hash compared, no link followed);
* :mod:`~secxfer.ledger.store`, :mod:`~secxfer.ledger.returns`, :mod:`~secxfer.ledger.evidence`
  — the home's ledger files, return media, signed-document plumbing.
"""
