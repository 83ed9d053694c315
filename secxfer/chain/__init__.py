"""chain wing."""
