"""Key directories as ``secxfer directory`` prints them, in the current language.

Labels and sentences come from the catalog (secxfer/cli/catalog/directory.toml); ids,
roles, keys, dates, versions and names are printed as the library holds them (names
through ``safe``). In English the lines are those of ``secxfer.trust.render``.
"""

from __future__ import annotations

from datetime import datetime

from secxfer.cli.i18n import t


def _pad(text: str, width: int) -> str:
    from secxfer.cli._common import display_width

    return text + " " * max(0, width - display_width(text))


def policy_line(policy, *, label: bool = True) -> str:
    """What the directory's policy requires (hybrid encryption keys for which roles, from when)."""
    if policy is None:
        text = t("directory.policy_none")
    else:
        rules = ", ".join(t("directory.policy_rule", role=r.role.value, version=r.from_version)
                          for r in policy.hybrid_encryption)
        text = t("directory.policy_hybrid", rules=rules)
    return t("directory.policy", policy=text) if label else text


def directory_heading(directory, *, signatures: int | None = None) -> list[str]:
    """The first two lines: version, root, signatures, validity; participants and enrollments."""
    if signatures is None:
        signed = ""
    else:
        signed = t("directory.signatures", count=signatures) if signatures else t("directory.unsigned")
    return [
        t("directory.headline", version=directory.version, root=directory.root_version, signed=signed,
          issued=directory.issued.isoformat(), expires=directory.expires.isoformat()),
        t("directory.counts", participants=len(directory.participants), enrollments=len(directory.enrollments))
        + (t("directory.excerpt") if directory.is_excerpt else ""),
    ]


def _consent(consent) -> str:
    if consent is None:
        return "-"
    return f"{consent.filed_on}" + (f"..{consent.withdrawn_on}" if consent.withdrawn_on else "..")


def directory_lines(directory, *, at: datetime, signatures: int | None = None) -> list[str]:
    """The table of every participant: id, role, code, parent, consent, usable/all keys, name."""
    from secxfer.safetext import safe

    columns = (t("directory.col.id"), t("directory.col.role"), t("directory.col.code"), t("directory.col.parent"),
               t("directory.col.consent"), t("directory.col.keys"), t("directory.col.name"))
    widths = (11, 12, 6, 6, 22, 6)
    lines = [*directory_heading(directory, signatures=signatures), policy_line(directory.policy), "",
             " ".join(_pad(c, w) for c, w in zip(columns, widths)) + " " + columns[-1]]
    for p in directory.participants:
        usable = sum(e.usable_at(at) for e in (*p.encryption_keys, *p.signing_keys))
        total = len(p.encryption_keys) + len(p.signing_keys)
        lines.append(
            f"{p.id:<11} {p.role.value:<12} {p.code or '-':<6} {p.parent or '-':<6} "
            f"{_consent(p.consent):<22} {usable}/{total:<4} {safe(p.name)}"
        )
    return lines


def _key_state(entry, at: datetime) -> str:
    if entry.revoked_by(at):
        return t("directory.key_revoked")
    return t("directory.key_valid") if entry.in_window(at) else t("directory.key_not_in_force")


def _revocation(entry) -> str:
    from secxfer.safetext import safe

    if entry.revoked_at is None:
        return ""
    return t("directory.revoked_note", at=entry.revoked_at.isoformat(), rclass=entry.revocation_class,
             reason=safe(entry.revoked_reason or ""))


def participant_lines(participant, *, at: datetime) -> list[str]:
    """One participant and every key with its state at ``at``."""
    from secxfer.trust import agekeys
    from secxfer.trust.fingerprint import key_id
    from secxfer.safetext import safe

    lines = [f"{participant.id} {participant.role.value} {safe(participant.name)}"]
    for entry in participant.encryption_keys:
        text = agekeys.recipient_text(entry.key, entry.key_type)
        if entry.is_hybrid:  # 1,958 characters: the start and end identify it
            text = f"{text[:24]}…{text[-12:]}"
        lines.append(t("directory.encryption_key", label=f"{entry.label:<6}", type=f"{entry.key_type:<14}", key=text,
                       state=_key_state(entry, at), revocation=_revocation(entry)))
    for entry in participant.signing_keys:
        lines.append(t("directory.signing_key", label=f"{entry.label:<6}", keyid=key_id(entry.key),
                       state=_key_state(entry, at), revocation=_revocation(entry)))
    return lines


def changes_lines(old, new) -> list[str]:
    """What ``new`` changes relative to ``old`` (``secxfer.trust.render.describe_changes``, worded
    from the catalog): participants, keys, revocations, consent, version, expiry, policy."""
    from secxfer.safetext import safe

    if old is None:
        return [t("directory.change.new", version=new.version, participants=len(new.participants))]
    lines = []
    if new.version != old.version:
        lines.append(t("directory.change.version", old=old.version, new=new.version))
    if new.expires != old.expires:
        lines.append(t("directory.change.expires", old=old.expires.isoformat(), new=new.expires.isoformat()))
    if new.policy != old.policy:
        lines.append(t("directory.change.policy", old=policy_line(old.policy), new=policy_line(new.policy, label=False)))
    before = {p.id: p for p in old.participants}
    after = {p.id: p for p in new.participants}
    if old.is_excerpt or new.is_excerpt:
        # an excerpt lacks most entries: absent is not removed, so compare what both hold
        if before.keys() != after.keys():
            lines.append(t("directory.change.excerpt"))
    else:
        lines += [t("directory.change.added", participant=pid, name=safe(after[pid].name))
                  for pid in sorted(after.keys() - before.keys())]
        lines += [t("directory.change.removed", participant=pid) for pid in sorted(before.keys() - after.keys())]
    for pid in sorted(before.keys() & after.keys()):
        lines += [f"{pid}: {change}" for change in _participant_changes(before[pid], after[pid])]
    if len(new.enrollments) != len(old.enrollments) and not (old.is_excerpt or new.is_excerpt):
        lines.append(t("directory.change.enrollments", old=len(old.enrollments), new=len(new.enrollments)))
    return lines or [t("directory.change.none")]


def _participant_changes(old, new) -> list[str]:
    from secxfer.safetext import safe

    changes = []
    if old.name != new.name:
        changes.append(t("directory.change.name", old=safe(old.name), new=safe(new.name)))
    if old.consent != new.consent:
        changes.append(t("directory.change.consent", old=_consent(old.consent), new=_consent(new.consent)))
    for kind, before, after in (("encryption", old.encryption_keys, new.encryption_keys),
                                ("signing", old.signing_keys, new.signing_keys)):
        known = {e.key: e for e in before}
        for entry in after:
            previous = known.get(entry.key)
            if previous is None:
                changes.append(t(f"directory.change.{kind}_added", label=entry.label, type=entry.key_type))
            elif previous.revoked_at is None and entry.revoked_at is not None:
                changes.append(t(f"directory.change.{kind}_revoked", at=entry.revoked_at.isoformat(),
                                 rclass=entry.revocation_class, reason=safe(entry.revoked_reason or "")))
    return changes
