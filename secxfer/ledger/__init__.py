"""ledger wing."""
