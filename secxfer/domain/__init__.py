"""domain wing."""
