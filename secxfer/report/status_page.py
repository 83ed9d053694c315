"""``secxfer status PERIOD --html FILE``: the status of a period as one offline page, in Japanese.

A tile map of the 47 prefectures colored by the share of municipalities whose receipt
confirmed delivery, the deadline with the days left, the reconciliation's verdict and
problems, and a table per federation with its municipalities. Problem messages are the
ledger's own (English); what evidence supplied in them (details, file names, reasons)
is shown through :func:`secxfer.safetext.safe` and then HTML-escaped.
"""

from __future__ import annotations

import os
from collections import defaultdict
from html import escape as _html_escape

from secxfer.ledger.states import confirmed_states
from secxfer.ledger.status import Status
from secxfer.report.page import page, write_page
from secxfer.report.tilemap import CSS as TILE_CSS
from secxfer.report.tilemap import render_tilemap
from secxfer.safetext import safe



def escape(text: object) -> str:
    """Text for the page: controls, bidi and zero-width characters shown as escapes, long text
    cut (:func:`secxfer.safetext.safe`), then HTML-escaped."""
    return _html_escape(safe(text))


STATE_NAMES = {
    "confirmed": "確認済", "received": "受領", "relayed": "中継済", "sealed": "封緘済",
    "failed": "失敗", "missing": "未着", "withheld": "保留",
}
SEVERITY_NAMES = {"error": "矛盾", "open": "未完了", "warning": "注意"}
# How far along the chain a state got: sealed < relayed < received < confirmed.
STAGES = ("sealed", "relayed", "received", "confirmed")
STAGE_NAMES = ("封緘", "中継", "受領", "確認")
PROBLEM_STATES = ("failed", "missing")

CSS = """
body { font-family: "Yu Gothic", "Meiryo", "IPAGothic", "Noto Sans CJK JP", sans-serif; margin: 16px; color: #111; }
h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 18px 0 6px; }
.facts { display: flex; gap: 12px; flex-wrap: wrap; margin: 8px 0; }
.fact { border: 1px solid #999; border-radius: 4px; padding: 6px 10px; min-width: 150px; }
.fact b { display: block; font-size: 18px; }
.ok { background: #e8f5e9; } .ng { background: #ffebee; } .warn { background: #fff8e1; }
.layout { display: flex; gap: 24px; flex-wrap: wrap; align-items: flex-start; }
table { border-collapse: collapse; font-size: 12px; margin-bottom: 8px; }
th, td { border: 1px solid #bbb; padding: 2px 6px; text-align: left; }
td.n { text-align: right; } th { background: #f0f0f0; }
tr.problem td { background: #ffebee; }
details { margin: 4px 0; } summary { cursor: pointer; font-size: 13px; }
.note { font-size: 11px; color: #444; }
@media print { details { break-inside: avoid; } }
""" + TILE_CSS


def _prefecture_names() -> dict[str, str]:
    from secxfer.domain.municipalities import prefectures

    return {body.prefecture_code: body.name for body in prefectures()}


def _name(participant_id: str) -> str:
    from secxfer.domain.municipalities import lookup

    try:
        return lookup(participant_id.removeprefix("mun-")).name
    except Exception:  # a code the table no longer knows still gets a row, without a name
        return ""


def render_status_page(status: Status) -> str:
    """The page for ``status`` (everything escaped: ids, names and messages come from evidence)."""
    rec = status.reconciliation
    names = _prefecture_names()
    problems_at = defaultdict(list)
    for problem in rec.problems:
        problems_at[problem.where].append(problem)
    by_prefecture = defaultdict(list)
    for standing in rec.municipalities:
        by_prefecture[standing.id[4:6]].append(standing)

    done_states = confirmed_states(rec.viewer)
    shares, flagged = {}, set()
    for code, standings in by_prefecture.items():
        counted = [s for s in standings if s.state != "withheld"]
        shares[code] = (sum(1 for s in counted if s.state in done_states), len(counted))
        if any(s.state in PROBLEM_STATES or problems_at.get(s.id) for s in standings) or problems_at.get(f"fed-{code}"):
            flagged.add(code)

    body = [_header(status), '<div class="layout"><div><h2>都道府県別の受領確認</h2>',
            render_tilemap(names, shares, flagged), "</div>",
            f"<div><h2>連合会別の集計</h2>{_federation_table(rec, by_prefecture, names, problems_at)}</div></div>",
            _problems(rec), "<h2>連合会・市町村の詳細</h2>"]
    body += [_federation_details(code, by_prefecture[code], names, rec, problems_at) for code in sorted(by_prefecture)]
    body.append('<p class="note">問題の内容(英語)は記録のとおり表示しています(制御文字は記号で表示)。この報告はホームフォルダの'
                "受領証と報告から作成され、外部のファイルを読み込みません。</p>")
    return page(f"引渡し状況 {rec.period}", CSS, "\n".join(body))


def _header(status: Status) -> str:
    rec = status.reconciliation
    if status.complete:
        deadline_class, left = "ok", "完了"
    elif status.days_left >= 0:
        deadline_class, left = ("warn" if status.days_left <= 3 else "ok"), f"残り {status.days_left} 日"
    else:
        deadline_class, left = "ng", f"{-status.days_left} 日超過"
    verdict = ("ok", "突合完了(全市町村の受領を確認)") if rec.ok else ("ng", "未完了")
    municipalities = rec.municipalities
    done = rec.count_confirmed()
    delivery = rec.delivery_id[:8] if rec.delivery_id else "(なし)"
    return (
        f"<h1>特定技能外国人情報の引渡し状況 {escape(rec.period)}</h1>"
        f'<div class="note">表示元: {escape(rec.viewer)} · 送付ID {escape(delivery)} · 作成日 {status.today.isoformat()}(日本時間)</div>'
        '<div class="facts">'
        f'<div class="fact {deadline_class}" id="deadline">国保中央会への提出期限<b>{status.deadline.isoformat()}</b>{left}</div>'
        f'<div class="fact {verdict[0]}" id="verdict">突合結果<b>{verdict[1]}</b>問題 {len(rec.problems)} 件</div>'
        f'<div class="fact">受領確認済の市町村<b>{done} / {len(municipalities)}</b></div>'
        "</div>"
    )


def _stage_counts(standings) -> tuple[int, ...]:
    reached = [STAGES.index(s.state) if s.state in STAGES else -1 for s in standings]
    return tuple(sum(1 for r in reached if r >= index) for index in range(len(STAGES)))


def _federation_table(rec, by_prefecture, names, problems_at) -> str:
    head = "".join(f"<th>{label}</th>" for label in ("連合会", "状態", "市町村", *STAGE_NAMES, "問題", "保留"))
    rows = []
    for code in sorted(by_prefecture):
        standings, fed = by_prefecture[code], f"fed-{code}"
        fed_state = rec.standings[fed].state if fed in rec.standings else "—"
        problem = sum(1 for s in standings if s.state in PROBLEM_STATES or problems_at.get(s.id)) + len(problems_at.get(fed, []))
        withheld = sum(1 for s in standings if s.state == "withheld")
        cells = "".join(f'<td class="n">{n}</td>' for n in (len(standings), *_stage_counts(standings), problem, withheld))
        rows.append(f'<tr class="{"problem" if problem else ""}"><td>{escape(fed)} {escape(names.get(code, ""))}</td>'
                    f"<td>{escape(STATE_NAMES.get(fed_state, fed_state))}</td>{cells}</tr>")
    return f'<table id="federations"><tr>{head}</tr>{"".join(rows)}</table>'


def _federation_details(code, standings, names, rec, problems_at) -> str:
    fed = f"fed-{code}"
    head = "".join(f"<th>{label}</th>" for label in ("市町村", "名称", "状態", "行数(別紙1/2/3)", *STAGE_NAMES, "問題"))
    rows, any_problem = [], bool(problems_at.get(fed))
    for s in sorted(standings, key=lambda s: s.id):
        reached = STAGES.index(s.state) if s.state in STAGES else -1
        marks = "".join(f"<td>{'✓' if reached >= index else ''}</td>" for index in range(len(STAGES)))
        notes = [p.message for p in problems_at.get(s.id, [])] or ([s.detail] if s.state in PROBLEM_STATES and s.detail else [])
        problem = s.state in PROBLEM_STATES or bool(notes)
        any_problem |= problem
        rows_text = "/".join(str(n) for n in s.rows) if s.rows is not None else "—"
        rows.append(f'<tr class="{"problem" if problem else ""}"><td>{escape(s.id)}</td><td>{escape(_name(s.id))}</td>'
                    f"<td>{escape(STATE_NAMES.get(s.state, s.state))}</td><td>{rows_text}</td>{marks}"
                    f"<td>{'; '.join(escape(note) for note in notes)}</td></tr>")
    fed_state = rec.standings[fed].state if fed in rec.standings else None
    title = f"{fed} {names.get(code, '')}" + (f"({STATE_NAMES.get(fed_state, fed_state)})" if fed_state else "")
    return (f'<details{" open" if any_problem else ""}><summary>{escape(title)} · 市町村 {len(standings)}</summary>'
            f'<table class="municipalities">{"".join([f"<tr>{head}</tr>", *rows])}</table></details>')


def _problems(rec) -> str:
    if not rec.problems:
        return '<h2>問題</h2><p id="problems">問題はありません。</p>'
    rows = "".join(
        f"<tr><td>{escape(SEVERITY_NAMES.get(p.severity, p.severity))}</td><td>{escape(p.kind)}</td>"
        f"<td>{escape(p.where)}</td><td>{escape(p.message)}</td></tr>" for p in rec.problems
    )
    return (f'<h2>問題({len(rec.problems)} 件)</h2><table id="problems"><tr><th>区分</th><th>種類</th><th>箇所</th>'
            f"<th>内容(記録のまま)</th></tr>{rows}</table>")


def write_status_page(status: Status, path: str | os.PathLike[str]) -> None:
    """Write the page for ``status`` to ``path`` atomically (replacing an earlier report)."""
    write_page(path, render_status_page(status), overwrite=True)
