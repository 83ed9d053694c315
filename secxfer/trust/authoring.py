"""Building and signing key directories (the directory authority's and root holders' side).

A directory is edited as a value (every function returns a new ``Directory``) and
kept between steps as an unsigned draft: its full directory file with an unsigned
header. Each root holder signs the draft offline (:func:`sign_draft`), and the
separately made signatures are merged (:func:`add_signatures`) into the published
file (see ``drafts``). Excerpts are never edited.
Batch forms (``add_participants``, ``add_enrollments``) build a national directory of
~1,800 participants in one pass.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Literal

import msgspec

from secxfer.errors import UsageError
from secxfer.trust.cards import KeyCard, verify_card
from secxfer.trust.directory.drafts import (  # noqa: F401 (part of authoring's public face)
    add_signatures,
    draft_bytes,
    load_draft,
    sign_directory,
    sign_draft,
)
from secxfer.trust.directory.entries import X25519, KeyEntry, Participant, default_name
from secxfer.trust.directory.model import Directory, replaced
from secxfer.trust.enrollment import enroll, read_enrollment, verify_enrollment
from secxfer.trust.errors import ScopeError, UnknownParticipantError
from secxfer.trust.ids import Role, federation_of
from secxfer.trust.policy import make_policy
from secxfer.trust.revocation import find_key, revoke_key  # noqa: F401 (part of authoring's public face)
from secxfer.trust.root import new_root, root_draft
from secxfer.trust.secret_keys import ParticipantSecret

Label = Literal["main", "backup"]


def new_directory(
    *,
    version: int,
    issued: datetime,
    expires: datetime,
    root_version: int,
    participants: Iterable[Participant] = (),
    enrollments: Iterable[bytes] = (),
) -> Directory:
    """A directory value (checked only when signed or verified)."""
    if issued.tzinfo is None or expires.tzinfo is None:
        raise UsageError("issued and expires must be aware datetimes")
    return Directory(
        version=version,
        issued=issued,
        expires=expires,
        root_version=root_version,
        participants=tuple(sorted(participants, key=lambda p: p.id)),
        enrollments=tuple(enrollments),
    )


def start_directory(
    root_cards: Iterable[bytes],
    *,
    threshold: int,
    issued: datetime,
    expires: datetime,
    root_expires: datetime,
) -> tuple[bytes, Directory]:
    """Begin a key ceremony: an unsigned root v1 draft over the root holders' signing
    keys, and directory v1 listing the root holders. Both still need their signatures."""
    cards = [verify_card(c) for c in root_cards]
    if any(card.role is not Role.ROOT for card in cards):
        raise UsageError("every root card must belong to a root key holder (root-N)",
                         hint="give only the cards of the root key holders", facts={"advice": "root-cards"})
    root = new_root(version=1, expires=root_expires, keys=[c.signing_key for c in cards], threshold=threshold)
    directory = new_directory(version=1, issued=issued, expires=expires, root_version=1)
    return root_draft(root), add_participants(directory, root_cards)


def next_version(directory: Directory, *, issued: datetime, expires: datetime, root_version: int | None = None) -> Directory:
    """The next version of ``directory`` to edit: version + 1, new issue and expiry times."""
    if directory.is_excerpt:
        raise UsageError(
            f"key directory v{directory.version} here is an excerpt: the next version is made from the full one",
            hint="start from the full signed directory file",
        )
    return msgspec.structs.replace(
        directory,
        version=directory.version + 1,
        issued=issued,
        expires=expires,
        root_version=directory.root_version if root_version is None else root_version,
    )


def _merge_card(
    table: dict[str, Participant], card: KeyCard, *, name: str | None, parent: str | None, label: Label,
    listed: tuple[int, datetime],
) -> None:
    if card.role is Role.MUNICIPALITY:
        default_name(card.id)  # refuses ids that are not one of the 1,741 insurers
        if parent is not None and parent != federation_of(card.id):
            raise ScopeError(f"{card.id}'s federation is {federation_of(card.id)}, not {parent}")
        parent = federation_of(card.id)
    elif parent is not None:
        raise UsageError(f"only municipalities have a parent; {card.id} is a {card.role}")
    enc = [
        KeyEntry(key=key, type=msgspec.UNSET if key_type == X25519 else key_type, label=label, valid_from=card.created,
                 listed_in=listed[0], listed_at=listed[1])
        for key_type, key in card.encryption_public_keys
    ]
    # The version that lists a key is part of its entry: a signature dated before it
    # is refused (secxfer.trust.validity), whatever window the card asked for.
    sig = KeyEntry(key=card.signing_key, label=label, valid_from=card.created, listed_in=listed[0], listed_at=listed[1])
    old = table.get(card.id)
    if old is None:
        table[card.id] = Participant(
            id=card.id, role=card.role, name=name or card.name, code=card.code, parent=parent,
            encryption_keys=tuple(enc), signing_keys=(sig,),
        )
        return
    table[card.id] = msgspec.structs.replace(
        old,
        name=name or old.name,
        encryption_keys=_add_keys(old.encryption_keys, enc),
        signing_keys=_add_keys(old.signing_keys, [sig]),
    )


def _listing(directory: Directory) -> tuple[int, datetime]:
    """The version and issue time a key added to ``directory`` is first listed in."""
    return directory.version, directory.issued


def _add_keys(entries: tuple[KeyEntry, ...], new: list[KeyEntry]) -> tuple[KeyEntry, ...]:
    known = {e.key for e in entries}
    return (*entries, *(e for e in new if e.key not in known))


def add_participants(directory: Directory, cards: Iterable[bytes], *, label: Label = "main") -> Directory:
    """Add or update participants from verified key cards (names from the cards).

    A card for a listed participant adds its keys (existing keys stay). Municipalities
    also need an enrollment by their federation (:func:`add_enrollments`).
    """
    table = dict(directory._by_id)
    for card_bytes in cards:
        _merge_card(table, verify_card(card_bytes), name=None, parent=None, label=label, listed=_listing(directory))
    return replaced(directory, table)


def add_participant(
    directory: Directory, card_bytes: bytes, *, name: str | None = None, parent: str | None = None, label: Label = "main"
) -> Directory:
    """Add or update one participant from its key card (verified; its self-signature checked).

    Security: only the card's proof of possession is checked here; the authority must
    compare the card's fingerprint out of band (phone, paper form) before adding it.
    """
    table = dict(directory._by_id)
    _merge_card(table, verify_card(card_bytes), name=name, parent=parent, label=label, listed=_listing(directory))
    return replaced(directory, table)


def add_enrollments(directory: Directory, enrollments: Iterable[bytes]) -> Directory:
    """Add federation-signed enrollments: each adds or updates its municipality and consent.

    Security: each record must verify against its federation's entry in ``directory``
    and stay within the federation's prefecture. The newest record (by signing time)
    of a municipality sets its consent.
    """
    table = dict(directory._by_id)
    heads = dict(directory._enrollment_heads)
    kept = list(directory.enrollments)
    seen = set(kept)
    for raw in map(bytes, enrollments):
        if raw in seen:
            continue
        _, unverified = read_enrollment(raw)
        federation = table.get(unverified.federation)
        if federation is None:
            raise UnknownParticipantError(f"{unverified.federation} must be in the directory before it enrolls anyone")
        record, card = verify_enrollment(raw, federation, revoked_by=directory.issued)
        _merge_card(table, card, name=None, parent=None, label="main", listed=_listing(directory))
        if card.id not in heads or record.signed_at >= heads[card.id][0]:
            heads[card.id] = (record.signed_at, record.card)
            table[card.id] = msgspec.structs.replace(table[card.id], consent=record.consent)
        kept.append(raw)
        seen.add(raw)
    return replaced(directory, table, tuple(kept), heads)


def add_enrollment(directory: Directory, enrollment_bytes: bytes) -> Directory:
    """Add one federation-signed enrollment (see :func:`add_enrollments`)."""
    return add_enrollments(directory, [enrollment_bytes])


def latest_enrollment_card(directory: Directory, pid: str) -> bytes:
    """The card bytes from a municipality's newest enrollment in ``directory``."""
    head = directory._enrollment_heads.get(pid)
    if head is None:
        raise UnknownParticipantError(f"{pid} has no enrollment in key directory v{directory.version}")
    return head[1]


def record_consent(
    directory: Directory,
    pid: str,
    *,
    filed_on: date,
    withdrawn_on: date | None = None,
    federation: ParticipantSecret | None = None,
    now: datetime | None = None,
) -> Directory:
    """Record a municipality's 委任状 filed (and possibly withdrawn) dates.

    Consent is attested by the municipality's federation, so ``federation`` (its
    secret key) is required: a new enrollment with these dates is signed over the
    municipality's current card and added. Security: a directory whose consent is
    not backed by the federation's newest enrollment never verifies.
    """
    if federation is None:
        raise UsageError(
            f"the consent of {pid} must be signed by its federation",
            hint="give the federation's key or add its enrollment file",
            facts={"advice": "federation-key", "participant": pid},
        )
    directory.participant(pid)
    card = latest_enrollment_card(directory, pid)
    record = enroll(federation, card, filed_on=filed_on, withdrawn_on=withdrawn_on, now=now)
    updated = add_enrollment(directory, record)
    if updated.participant(pid).consent != read_enrollment(record)[1].consent:
        raise UsageError(
            f"{pid} already has an enrollment signed later than this one",
            hint="check the clock of the federation's computer",
        )
    return updated


def require_hybrid_encryption(directory: Directory, role: Role | str, *, from_version: int | None) -> Directory:
    """Set (or with ``from_version=None`` drop) the policy that every ``role`` participant
    lists a hybrid encryption key from directory ``from_version`` on.

    Checked when the directory is signed: a draft whose participants do not yet
    comply can be edited, but not signed, once the requirement is in force.
    """
    _refuse_excerpt_edit(directory)
    role = Role(role)
    if from_version is not None and from_version < 1:
        raise UsageError("the first version the requirement applies to must be 1 or more",
                         hint="give a directory version of 1 or more", facts={"advice": "from-version"})
    current = {} if directory.policy is None else {r.role: r.from_version for r in directory.policy.hybrid_encryption}
    current.pop(role, None)
    if from_version is not None:
        current[role] = from_version
    return msgspec.structs.replace(directory, policy=make_policy(current))


def _refuse_excerpt_edit(directory: Directory) -> None:
    if directory.is_excerpt:
        raise UsageError(f"key directory v{directory.version} here is an excerpt and cannot be edited")


__all__ = [
    "add_enrollment",
    "add_enrollments",
    "add_participant",
    "add_participants",
    "add_signatures",
    "draft_bytes",
    "find_key",
    "latest_enrollment_card",
    "load_draft",
    "new_directory",
    "next_version",
    "record_consent",
    "require_hybrid_encryption",
    "revoke_key",
    "sign_directory",
    "sign_draft",
    "start_directory",
]
