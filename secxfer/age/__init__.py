"""age wing."""
