"""trust wing."""
