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


def policy_line(policy) -> str:
    """What the directory's policy requires (hybrid encryption keys for which roles, from when)."""
    if policy is None:
        return t("directory.policy_none")
    rules = ", ".join(t("directory.policy_rule", role=r.role.value, version=r.from_version) for r in policy.hybrid_encryption)
    return t("directory.policy_hybrid", rules=rules)


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
    from secxfer.trust.render import safe

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
    from secxfer.trust.render import safe

    if entry.revoked_at is None:
        return ""
    return t("directory.revoked_note", at=entry.revoked_at.isoformat(), reason=safe(entry.revoked_reason or ""))


def participant_lines(participant, *, at: datetime) -> list[str]:
    """One participant and every key with its state at ``at``."""
    from secxfer.trust import agekeys
    from secxfer.trust.fingerprint import key_id
    from secxfer.trust.render import safe

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
