"""A printable A4 key form for a key card: filed with the 委任状 and checked by phone.

The form shows who the card belongs to, its fingerprint in large groups for reading
aloud, a QR code of that fingerprint (made by segno) for scanning at the other end,
the key ids, and blank fields for the officer's name, seal (押印) and the date.
"""

from __future__ import annotations

import os
from html import escape
from pathlib import Path

from secxfer.report.page import page, write_page
from secxfer.trust.cards import KeyCard, card_fingerprint

ROLE_NAMES = {
    "root": "ルート鍵保管者",
    "agency": "出入国在留管理庁",
    "central": "国民健康保険中央会",
    "federation": "国民健康保険団体連合会",
    "municipality": "市町村(保険者)",
}

CSS = """
@page { size: A4; margin: 15mm; }
* { box-sizing: border-box; }
body { font-family: "Yu Gothic", "Meiryo", "IPAGothic", "Noto Sans CJK JP", sans-serif; color: #000; margin: 0 auto;
       max-width: 180mm; font-size: 11pt; }
h1 { font-size: 18pt; border-bottom: 2px solid #000; padding-bottom: 2mm; margin: 0 0 4mm; }
p.lead { margin: 0 0 4mm; }
table.facts { border-collapse: collapse; width: 100%; margin-bottom: 5mm; }
table.facts th, table.facts td { border: 1px solid #000; padding: 2mm 3mm; text-align: left; vertical-align: top; }
table.facts th { width: 38mm; background: #eee; font-weight: normal; }
.fingerprint { display: flex; gap: 4mm; align-items: center; margin: 3mm 0 5mm; }
.groups { display: flex; flex-wrap: wrap; gap: 2mm; flex: 1; }
.group { font-family: "DejaVu Sans Mono", "Consolas", monospace; font-size: 20pt; font-weight: bold;
         border: 2px solid #000; padding: 1mm 2mm; letter-spacing: 0.5mm; }
.qr svg { width: 38mm; height: 38mm; display: block; }
.mono { font-family: "DejaVu Sans Mono", "Consolas", monospace; font-size: 9pt; word-break: break-all; }
.signoff { display: grid; grid-template-columns: 1fr 1fr 30mm; gap: 4mm; margin-top: 8mm; }
.field { border: 1px solid #000; min-height: 22mm; padding: 2mm; }
.field .label { font-size: 9pt; }
.seal { border: 1px solid #000; border-radius: 50%; width: 28mm; height: 28mm; display: flex;
        align-items: center; justify-content: center; color: #777; }
.check { margin-top: 6mm; font-size: 10pt; }
.check span { display: inline-block; width: 5mm; height: 5mm; border: 1px solid #000; vertical-align: middle;
              margin-right: 2mm; }
footer { margin-top: 8mm; font-size: 8pt; color: #333; }
"""


def _qr_svg(text: str) -> str:
    import segno

    # Error level M: survives a smudge or a fold; the text is short, so the code stays small.
    return segno.make(text, error="m", micro=False).svg_inline(scale=4, border=2, omitsize=True)


def _grouped(text: str, size: int = 8) -> str:
    return " ".join(text[i : i + size] for i in range(0, len(text), size))


def render_key_form(card: KeyCard, *, card_name: str | None = None) -> str:
    """The HTML page of the form for a verified ``card`` (names are escaped: they come from the card)."""
    fingerprint = card_fingerprint(card)
    groups = "".join(f'<span class="group">{escape(group)}</span>' for group in fingerprint.split("-"))
    role = card.role.value
    rows = [
        ("参加者ID", f'<span class="mono" style="font-size:14pt">{escape(card.id)}</span>'),
        ("役割", f"{escape(ROLE_NAMES.get(role, role))}({escape(role)})"),
        ("名称", escape(card.name)),
        ("団体コード", escape(card.code or "—")),
        ("鍵の作成日時", escape(card.created.isoformat())),
        ("署名鍵ID", f'<span class="mono">{escape(_grouped(card.signing_keyid))}</span>'),
        *(
            ("暗号化鍵", f'<span class="mono">{escape(_grouped(text) if len(text) < 200 else text[:48] + "…(" + str(len(text)) + "文字)")}</span>')
            for text in card.recipients_text
        ),
    ]
    if card_name:
        rows.append(("鍵カードのファイル", f'<span class="mono">{escape(card_name)}</span>'))
    facts = "".join(f"<tr><th>{label}</th><td>{value}</td></tr>" for label, value in rows)
    body = f"""
<h1>鍵確認票(公開鍵カード)</h1>
<p class="lead">この票は委任状とともに保管してください。フィンガープリントは電話で相手方と読み合わせ、\
すべてのグループが一致することを確認してください。</p>
<table class="facts">{facts}</table>
<h2 style="font-size:13pt;margin:0">フィンガープリント</h2>
<div class="fingerprint" data-fingerprint="{escape(fingerprint)}">
  <div class="groups">{groups}</div>
  <div class="qr" title="フィンガープリントのQRコード">{_qr_svg(fingerprint)}</div>
</div>
<div class="check"><span></span>電話で全グループを読み合わせ、一致を確認した\
  相手方氏名:______________ 電話番号:______________</div>
<div class="signoff">
  <div class="field"><div class="label">担当者 氏名</div></div>
  <div class="field"><div class="label">確認日(年月日)</div></div>
  <div class="seal">押印</div>
</div>
<footer>secxfer 鍵確認票 · 鍵カードの署名を検証したうえで作成 · {escape(card.id)} · {escape(fingerprint)}</footer>
"""
    return page(f"鍵確認票 {card.id}", CSS, body)


def write_key_form(card_path: str | os.PathLike[str], out: str | os.PathLike[str] | None = None) -> Path:
    """Verify the key card at ``card_path`` and write its form (default: beside it, ``<id>-form.html``)."""
    from secxfer.fsutil import read_bounded
    from secxfer.trust.cards import CARD_MAX_BYTES, verify_card

    card = verify_card(read_bounded(card_path, CARD_MAX_BYTES, "key card"))
    target = Path(out) if out is not None else Path(card_path).with_name(f"{card.id}-form.html")
    write_page(target, render_key_form(card, card_name=Path(card_path).name), overwrite=False)
    return target
