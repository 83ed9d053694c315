"""The base model every secxfer document derives from.

Models are frozen and reject unknown fields, so a document that grew a field we do
not understand is refused instead of silently half-read. ``kw_only`` is not
inherited by msgspec, so subclasses repeat it.
"""

import msgspec


class Model(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Base for all secxfer data models."""
