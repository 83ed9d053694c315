"""Key cards, roots and key directories as the ``keys`` and ``directory`` commands print
them, in the current language.

Labels come from the catalog (secxfer/cli/catalog/keys.toml); ids, keys, fingerprints,
dates and names are printed as the library holds them (names through ``safe`` so a card
cannot carry terminal control sequences).
"""

from __future__ import annotations

from secxfer.cli._common import display_width
from secxfer.cli.i18n import t


def labelled(rows: list[tuple[str, str]]) -> list[str]:
    """``label: value`` lines with the values in one column (labels may be wide characters)."""
    width = max(display_width(label) for label, _ in rows) + 2
    return [f"{label}:" + " " * (width - display_width(label) - 1) + value for label, value in rows]


def card_lines(card) -> list[str]:
    """A verified key card: who, which keys, and the fingerprint to confirm by phone."""
    from secxfer.trust.cards import card_fingerprint
    from secxfer.safetext import safe

    rows = [
        (t("keys.card.id"), card.id),
        (t("keys.card.role"), card.role.value),
        (t("keys.card.name"), safe(card.name)),
        (t("keys.card.code"), card.code or "-"),
        (t("keys.card.created"), card.created.isoformat()),
        *((t("keys.card.encryption_key"), text) for text in card.recipients_text),
        (t("keys.card.signing_key_id"), card.signing_keyid),
        (t("keys.card.fingerprint"), card_fingerprint(card)),
    ]
    return labelled(rows)


def root_lines(root, signed_by: int | None = None) -> list[str]:
    """A root of trust: version, threshold, expiry and its key ids."""
    lines = [t("directory.root", version=root.version, threshold=root.threshold, keys=len(root.keys),
               expires=root.expires.isoformat())]
    lines += [t("directory.root_key", keyid=keyid) for keyid in root.keys]
    if signed_by is not None:
        lines.append(t("directory.root_signatures", count=signed_by))
    return lines
