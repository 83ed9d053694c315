"""Readable text for people: cards, directories, and what changed between two versions.

Untrusted strings (names from cards, revocation reasons) go through
:func:`secxfer.safetext.safe`; ids are validated and safe as they are.
"""

from __future__ import annotations

from datetime import datetime

from secxfer.safetext import safe
from secxfer.trust import agekeys
from secxfer.trust.cards import KeyCard, card_fingerprint
from secxfer.trust.directory.entries import Consent, KeyEntry, Participant
from secxfer.trust.directory.verify import Directory
from secxfer.trust.fingerprint import key_id
from secxfer.trust.policy import describe_policy
from secxfer.trust.root import Root

__all__ = ["describe_card", "describe_changes", "describe_directory", "describe_keys", "describe_root", "safe"]


def describe_card(card: KeyCard) -> list[str]:
    return [
        f"id:             {card.id}",
        f"role:           {card.role.value}",
        f"name:           {safe(card.name)}",
        f"code:           {card.code or '-'}",
        f"created:        {card.created.isoformat()}",
        *(f"encryption key: {text}" for text in card.recipients_text),
        f"signing key id: {card.signing_keyid}",
        f"fingerprint:    {card_fingerprint(card)}",
    ]


def describe_root(root: Root, signed_by: int | None = None) -> list[str]:
    lines = [f"root v{root.version}: {root.threshold} of {len(root.keys)} keys, expires {root.expires.isoformat()}"]
    lines += [f"  key {keyid}" for keyid in root.keys]
    if signed_by is not None:
        lines.append(f"  signatures: {signed_by}")
    return lines


def _consent(consent: Consent | None) -> str:
    if consent is None:
        return "-"
    return f"{consent.filed_on}" + (f"..{consent.withdrawn_on}" if consent.withdrawn_on else "..")


def _key_state(entry: KeyEntry, at: datetime) -> str:
    if entry.revoked_by(at):
        return "revoked"
    return "valid" if entry.in_window(at) else "not in force"


def describe_directory(directory: Directory, *, at: datetime, signatures: int | None = None) -> list[str]:
    """A table of every participant: id, role, code, parent, consent, keys, name."""
    signed = "" if signatures is None else (f", {signatures} signature(s)" if signatures else ", UNSIGNED draft")
    lines = [
        f"key directory v{directory.version} (root v{directory.root_version}{signed}): "
        f"issued {directory.issued.isoformat()}, expires {directory.expires.isoformat()}",
        f"{len(directory.participants)} participants, {len(directory.enrollments)} enrollments"
        + (" (an EXCERPT: only these entries of the signed directory)" if directory.is_excerpt else ""),
        describe_policy(directory.policy),
        "",
        f"{'id':<11} {'role':<12} {'code':<6} {'parent':<6} {'consent':<22} {'keys':<6} name",
    ]
    for p in directory.participants:
        usable = sum(e.usable_at(at) for e in (*p.encryption_keys, *p.signing_keys))
        total = len(p.encryption_keys) + len(p.signing_keys)
        lines.append(
            f"{p.id:<11} {p.role.value:<12} {p.code or '-':<6} {p.parent or '-':<6} "
            f"{_consent(p.consent):<22} {usable}/{total:<4} {safe(p.name)}"
        )
    return lines


def describe_keys(participant: Participant, *, at: datetime) -> list[str]:
    """Every key of a participant with its state at ``at``."""
    lines = []
    for entry in participant.encryption_keys:
        text = agekeys.recipient_text(entry.key, entry.key_type)
        if entry.is_hybrid:  # 1,958 characters: the start and end identify it
            text = f"{text[:24]}…{text[-12:]}"
        lines.append(
            f"  encryption {entry.label:<6} {entry.key_type:<14} {text} {_key_state(entry, at)}{_revocation(entry)}"
        )
    for entry in participant.signing_keys:
        lines.append(f"  signing    {entry.label:<6} {key_id(entry.key)} {_key_state(entry, at)}{_revocation(entry)}")
    return lines


def _revocation(entry: KeyEntry) -> str:
    if entry.revoked_at is None:
        return ""
    return f" (revoked {entry.revoked_at.isoformat()}, {entry.revocation_class}: {safe(entry.revoked_reason or '')})"


def describe_changes(old: Directory | None, new: Directory) -> list[str]:
    """What ``new`` changes relative to ``old``: participants, keys, revocations, consent."""
    if old is None:
        return [f"new key directory v{new.version} with {len(new.participants)} participants"]
    lines = []
    if new.version != old.version:
        lines.append(f"version {old.version} -> {new.version}")
    if new.expires != old.expires:
        lines.append(f"expires {old.expires.isoformat()} -> {new.expires.isoformat()}")
    if new.policy != old.policy:
        lines.append(f"{describe_policy(old.policy)} -> {describe_policy(new.policy).removeprefix('policy: ')}")
    before = {p.id: p for p in old.participants}
    after = {p.id: p for p in new.participants}
    if old.is_excerpt or new.is_excerpt:
        # an excerpt lacks most entries: absent is not removed, so compare what both hold
        if before.keys() != after.keys():
            lines.append("excerpt: only the entries present in both are compared")
    else:
        lines += [f"added {pid} ({safe(after[pid].name)})" for pid in sorted(after.keys() - before.keys())]
        lines += [f"removed {pid}" for pid in sorted(before.keys() - after.keys())]
    for pid in sorted(before.keys() & after.keys()):
        lines += [f"{pid}: {change}" for change in _participant_changes(before[pid], after[pid])]
    if len(new.enrollments) != len(old.enrollments) and not (old.is_excerpt or new.is_excerpt):
        lines.append(f"enrollments {len(old.enrollments)} -> {len(new.enrollments)}")
    return lines or ["no change"]


def _participant_changes(old: Participant, new: Participant) -> list[str]:
    changes = []
    if old.name != new.name:
        changes.append(f"name {safe(old.name)} -> {safe(new.name)}")
    if old.consent != new.consent:
        changes.append(f"consent {_consent(old.consent)} -> {_consent(new.consent)}")
    for kind, before, after in (
        ("encryption", old.encryption_keys, new.encryption_keys),
        ("signing", old.signing_keys, new.signing_keys),
    ):
        known = {e.key: e for e in before}
        for entry in after:
            previous = known.get(entry.key)
            if previous is None:
                kind_of = f", {entry.key_type}" if kind == "encryption" else ""
                changes.append(f"{kind} key added ({entry.label}{kind_of})")
            elif previous.revoked_at is None and entry.revoked_at is not None:
                changes.append(f"{kind} key revoked from {entry.revoked_at.isoformat()}, {entry.revocation_class} "
                               f"({safe(entry.revoked_reason or '')})")
    return changes
