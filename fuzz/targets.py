"""The fuzz targets: every parser of outside data, each a function of one byte string.

A target may return or raise a ``SecxferError`` (the input was refused cleanly);
any other exception, a hang or unbounded memory is a defect. Targets that feed one
input to several parsers give each its own chance (``_each``), so a refusal by the
first does not hide a crash in the next.

Inputs that arrive from outside: packages and their sidecars on media (age header
and payload, container, manifests, outer statements, media indexes, leaves, the
carried trust bundle), trust documents exchanged by hand (roots, directories,
bundles, key cards, enrollments), key files, annex CSVs, and the short texts users
and files give (codes, dates, periods, holiday overrides, participant ids).
"""

from fuzz import targets_domain, targets_ledger, targets_media, targets_trust  # noqa: F401 - they register
from fuzz.registry import TARGETS, Target

__all__ = ["TARGETS", "Target"]
