"""The base model every secxfer document derives from.

Models are frozen and reject unknown fields, so a document that grew a field we do
not understand is refused instead of silently half-read. ``kw_only`` is not
inherited by msgspec, so subclasses repeat it. ``dataclass_transform`` tells type
checkers what msgspec does at run time: subclasses stay frozen (and keyword-only where
they say so).
"""

from typing import dataclass_transform

import msgspec


@dataclass_transform(frozen_default=True, field_specifiers=(msgspec.field,))
class Model(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Base for all secxfer data models."""
