"""Printable key forms: the card's facts, its fingerprint in groups and as a QR code,
blank fields for the officer, nothing that could load from outside, names escaped."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import segno
from hypothesis import given, settings
from hypothesis import strategies as st

from secxfer.cli import run
from secxfer.errors import FormatError, OutputExistsError, SignatureError
from secxfer.report.keyform import render_key_form, write_key_form
from secxfer.report.page import CSP
from secxfer.trust.cards import card_fingerprint, generate_key_files, verify_card


@pytest.fixture(scope="module")
def card_path(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("cards")
    _, card, _ = generate_key_files("mun-131016", folder, passphrase=None, test_key=True,
                                    name="千代田区 <b>総務課</b> & \"窓口\"")
    return Path(card)


def test_the_form_shows_the_card_and_its_fingerprint(card_path, tmp_path):
    out = write_key_form(card_path, tmp_path / "form.html")
    html = out.read_text(encoding="utf-8")
    card = verify_card(card_path.read_bytes())
    fingerprint = card_fingerprint(card)
    assert f'content="{CSP}"' in html and '<html lang="ja">' in html
    assert "mun-131016" in html and "市町村" in html and card.signing_keyid[:8] in html
    for group in fingerprint.split("-"):
        assert f'<span class="group">{group}</span>' in html
    for label in ("担当者 氏名", "確認日", "印", "委任状", "@page { size: A4"):
        assert label in html
    # The QR code is segno's, of exactly the fingerprint.
    assert segno.make(fingerprint, error="m", micro=False).svg_inline(scale=4, border=2, omitsize=True) in html


def test_names_from_the_card_are_escaped(card_path, tmp_path):
    html = write_key_form(card_path, tmp_path / "form.html").read_text(encoding="utf-8")
    assert "<b>総務課</b>" not in html
    assert "&lt;b&gt;総務課&lt;/b&gt; &amp; &quot;窓口&quot;" in html


def test_nothing_external_can_load(card_path, tmp_path):
    html = write_key_form(card_path, tmp_path / "form.html").read_text(encoding="utf-8")
    assert not re.search(r"https?:|//[a-z]|<script|<link|src=", html, re.IGNORECASE)


def test_a_tampered_card_gets_no_form(card_path, tmp_path):
    import base64
    import json

    document = json.loads(card_path.read_bytes())
    payload = json.loads(base64.b64decode(document["payload"]))
    payload["name"] = "なりすまし市"  # a changed name: the self-signature no longer holds
    document["payload"] = base64.b64encode(json.dumps(payload, ensure_ascii=False).encode()).decode()
    bad = tmp_path / "bad.card"
    bad.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises((SignatureError, FormatError)):
        write_key_form(bad, tmp_path / "form.html")
    assert not (tmp_path / "form.html").exists()


def test_an_existing_form_is_not_overwritten(card_path, tmp_path):
    target = tmp_path / "form.html"
    target.write_text("kept", encoding="utf-8")
    with pytest.raises(OutputExistsError):
        write_key_form(card_path, target)
    assert target.read_text(encoding="utf-8") == "kept"


def test_the_command_writes_beside_the_card_by_default(card_path, tmp_path, capsys):
    copy = tmp_path / card_path.name
    copy.write_bytes(card_path.read_bytes())
    assert run(["keys", "form", str(copy)]) == 0
    assert capsys.readouterr().out.strip() == str(tmp_path / "mun-131016-form.html")
    assert run(["keys", "form", str(copy), "-o", str(tmp_path / "other.html")]) == 0
    assert (tmp_path / "other.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


@settings(max_examples=40, deadline=None)
@given(name=st.text(min_size=1, max_size=60).filter(lambda s: s.strip()))
def test_any_card_name_stays_text(card_path, name):
    import msgspec

    card = msgspec.structs.replace(verify_card(card_path.read_bytes()), name=name)
    html = render_key_form(card)
    body = html.split("<body>", 1)[1]
    # Whatever the name holds, the only tags are the form's own.
    assert set(re.findall(r"<(/?[a-zA-Z0-9]+)", body)) <= {
        "h1", "p", "/p", "table", "/table", "tr", "/tr", "th", "/th", "td", "/td", "span", "/span", "h2", "/h2",
        "div", "/div", "svg", "/svg", "path", "footer", "/footer", "/h1", "/body", "/html"}
