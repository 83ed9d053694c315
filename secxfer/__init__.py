"""secxfer: signed, encrypted, verifiable transfer of annex records over removable media.

The public API lives in the wings (``secxfer.age``, ``secxfer.domain``,
``secxfer.trust``, ``secxfer.chain``, ``secxfer.ledger``); this module stays tiny so
that ``secxfer --version`` starts fast.
"""

__version__ = "0.1.0"

from secxfer.errors import SecxferError

__all__ = ["SecxferError", "__version__"]
