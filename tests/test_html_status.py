"""The HTML status page: map tiles per prefecture, deadline, verdict, per-federation tables,
nothing external, everything from the evidence escaped; and the command that writes it."""

from __future__ import annotations

import datetime as dt
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from secxfer.cli import run
from secxfer.ledger.reconcile import Problem, Reconciliation, Standing
from secxfer.ledger.status import Status
from secxfer.report.page import CSP
from secxfer.report.status_page import render_status_page, write_status_page
from secxfer.report.tilemap import SCALE, TILES


def _status(*, problems=(), detail="", today=dt.date(2026, 11, 20)) -> Status:
    standings = {
        "central": Standing("central", "confirmed"),
        "fed-13": Standing("fed-13", "confirmed"),
        "fed-14": Standing("fed-14", "relayed"),
        "mun-131016": Standing("mun-131016", "confirmed", "ab12cd34", (3, 1, 0)),
        "mun-131024": Standing("mun-131024", "confirmed", "ab12cd35", (2, 0, 1)),
        "mun-141003": Standing("mun-141003", "missing", "", None, detail),
        "mun-141305": Standing("mun-141305", "relayed", "ab12cd36", (1, 1, 1)),
    }
    rec = Reconciliation(period="2026-10", viewer="agency", delivery_id="0123456789abcdef",
                         standings=standings, problems=list(problems))
    return Status(reconciliation=rec, deadline=dt.date(2026, 11, 27), today=today)


def _tile(html: str, code: str) -> str:
    return re.search(rf'<div class="tile[^"]*" data-pref="{code}"[^>]*>', html).group(0)


def test_the_page_has_every_prefecture_and_colors_by_completeness():
    html = render_status_page(_status(problems=[Problem("open", "no-receipt", "mun-141003", "no receipt yet")]))
    assert len(re.findall(r'class="tile[ "]', html)) == 47 and len(TILES) == 47
    full, *_, none = (background for _, background, _ in SCALE)
    assert f"background:{full}" in _tile(html, "13")          # Tokyo: 2 of 2 confirmed
    assert f"background:{none}" in _tile(html, "14")          # Kanagawa: 0 of 2
    assert "problem" in _tile(html, "14") and "problem" not in _tile(html, "13")
    assert "background:#e0e0e0" in _tile(html, "01")          # no municipality of Hokkaido in this delivery
    assert "2/2" in html and "0/2" in html


def test_deadline_verdict_and_tables():
    html = render_status_page(_status(problems=[Problem("open", "no-receipt", "mun-141003", "no receipt yet")]))
    assert f'content="{CSP}"' in html
    assert "2026-11-27" in html and "残り 7 日" in html and "未完了" in html
    assert 'id="federations"' in html and html.count("<details") == 2
    assert "<details open><summary>fed-14 神奈川県" in html   # the federation with a problem is unfolded
    assert "千代田区" in html and "横浜市" in html and "未着" in html
    assert "no receipt yet" in html and "未完了</td>" in html


def test_overdue_and_complete():
    late = render_status_page(_status(today=dt.date(2026, 12, 1)))
    assert "4 日超過" in late
    done = Status(reconciliation=Reconciliation(period="2026-10", viewer="agency", delivery_id="ab", problems=[],
                                                standings={"mun-131016": Standing("mun-131016", "confirmed")}),
                  deadline=dt.date(2026, 11, 27), today=dt.date(2026, 12, 1))
    assert "突合完了" in render_status_page(done) and "超過" not in render_status_page(done)


@settings(max_examples=60, deadline=None)
@given(text=st.text(min_size=1, max_size=80))
def test_evidence_text_never_becomes_markup(text):
    html = render_status_page(_status(problems=[Problem("error", "kind", "mun-141003", text)], detail=text))
    body = html.split("<body>", 1)[1]
    tags = set(re.findall(r"<(/?[a-zA-Z0-9]+)", body))
    assert tags <= {"h1", "/h1", "h2", "/h2", "div", "/div", "b", "/b", "span", "/span", "i", "/i", "table", "/table",
                    "tr", "/tr", "th", "/th", "td", "/td", "details", "/details", "summary", "/summary", "p", "/p",
                    "/body", "/html"}
    assert not re.search(r"https?:|<script|<img|<link|src=", body, re.IGNORECASE) or "http" in text.lower()


def test_the_page_is_replaced_atomically(tmp_path):
    target = tmp_path / "status.html"
    write_status_page(_status(), target)
    first = target.read_text(encoding="utf-8")
    write_status_page(_status(today=dt.date(2026, 11, 26)), target)
    assert target.read_text(encoding="utf-8") != first and "残り 1 日" in target.read_text(encoding="utf-8")
    assert [p.name for p in tmp_path.iterdir()] == ["status.html"]


def test_status_html_from_the_command(tmp_path, capsys):
    from secxfer.testing.network import build_network

    from secxfer.domain.sample import generate_sample

    build_network(tmp_path, insurer_codes=["131016"], now=dt.datetime.now(dt.timezone.utc))
    files = generate_sample(tmp_path / "source", period="2026-10", rows=12, seed=5, insurers=["131016"]).files
    agency = ["--key", str(tmp_path / "keys" / "agency.key"), "--home", str(tmp_path / "homes" / "agency")]
    assert run(["seal", "--period", "2026-10", "--annex1", str(files[0]), "--annex2", str(files[1]),
                "--annex3", str(files[2]), *agency, "--out", str(tmp_path / "media")]) == 0
    out = tmp_path / "report.html"
    code = run(["status", "2026-10", "--home", str(tmp_path / "homes" / "agency"), "--html", str(out)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    html = out.read_text(encoding="utf-8")
    assert len(re.findall(r'class="tile[ "]', html)) == 47 and "国保中央会への提出期限" in html
    assert "封緘済" in html and "mun-131016" in html
