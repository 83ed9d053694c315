"""The contract between the file format and the recipient types.

A recipient type (X25519 today, ML-KEM-768 + X25519 next) plugs in by providing
objects with these methods; the header and payload code never changes for a new
type.

* ``Recipient.wrap(file_key, rng)`` returns the stanzas that carry ``file_key`` to
  that recipient. ``rng(n) -> bytes`` supplies all randomness.
* ``Identity.unwrap(stanzas)`` returns the file key if one of ``stanzas`` is
  addressed to this identity and authenticates, ``None`` if none is (stanzas of
  other types are ignored), and raises :class:`~secxfer.age.errors.AgeHeaderError`
  when a stanza of its own type is malformed. It must not guess: a wrong key and a
  foreign stanza look the same and both give ``None``.
* Optional ``labels`` (a frozenset of strings): recipients in one file must carry
  the same labels, which keeps post-quantum and classic recipients from being
  mixed (a hybrid file encrypted also to X25519 would lose its quantum resistance).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol, runtime_checkable

from secxfer.age.format import Stanza

Rng = Callable[[int], bytes]


@runtime_checkable
class Recipient(Protocol):
    def wrap(self, file_key: bytes, rng: Rng | None = None) -> list[Stanza]: ...

    def encode(self) -> str: ...


@runtime_checkable
class Identity(Protocol):
    def unwrap(self, stanzas: Sequence[Stanza]) -> bytes | None: ...


def labels_of(recipient: Recipient) -> frozenset[str]:
    """The recipient's labels (empty for classic types)."""
    return frozenset(getattr(recipient, "labels", frozenset()))
