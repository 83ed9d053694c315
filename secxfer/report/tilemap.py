"""A tile-grid map of Japan: one equal square per prefecture, placed roughly where it lies.

Equal tiles keep small prefectures (Tokyo, Osaka, Kagawa) as visible as Hokkaido,
which a geographic map would not; the layout keeps neighbours next to each other.
"""

from __future__ import annotations

from html import escape

# Prefecture code -> (column, row), west to east and north to south.
TILES: dict[str, tuple[int, int]] = {
    "01": (11, 0), "02": (11, 1), "05": (10, 2), "03": (11, 2), "06": (10, 3), "04": (11, 3),
    "17": (8, 4), "16": (9, 4), "15": (10, 4), "07": (11, 4),
    "18": (7, 5), "21": (8, 5), "20": (9, 5), "10": (10, 5), "09": (11, 5),
    "32": (3, 6), "31": (4, 6), "28": (5, 6), "26": (6, 6), "25": (7, 6), "23": (8, 6), "19": (9, 6),
    "11": (10, 6), "08": (11, 6),
    "41": (0, 7), "40": (1, 7), "35": (2, 7), "34": (3, 7), "33": (4, 7), "27": (6, 7), "29": (7, 7),
    "24": (8, 7), "22": (9, 7), "13": (10, 7), "12": (11, 7),
    "42": (0, 8), "43": (1, 8), "44": (2, 8), "38": (3, 8), "37": (4, 8), "36": (5, 8), "30": (6, 8),
    "14": (10, 8),
    "46": (1, 9), "45": (2, 9), "39": (4, 9),
    "47": (0, 11),
}

# Completeness buckets, best first: (lowest share, background, label).
SCALE: tuple[tuple[float, str, str], ...] = (
    (1.0, "#66bb6a", "100%"),
    (0.75, "#c5e1a5", "75%以上"),
    (0.5, "#fff176", "50%以上"),
    (1e-9, "#ffb74d", "50%未満"),
    (0.0, "#e57373", "0%"),
)
NO_DATA = "#e0e0e0"

CSS = """
.tilemap { display: grid; grid-template-columns: repeat(12, 52px); grid-auto-rows: 52px; gap: 3px; }
.tile { border-radius: 4px; font-size: 11px; line-height: 1.2; display: flex; flex-direction: column;
        align-items: center; justify-content: center; text-align: center; color: #000; border: 2px solid transparent; }
.tile.problem { border-color: #b71c1c; }
.tile .share { font-size: 10px; }
.legend { display: flex; gap: 8px; flex-wrap: wrap; font-size: 12px; margin-top: 6px; }
.legend i { display: inline-block; width: 12px; height: 12px; margin-right: 3px; vertical-align: middle; }
"""


def color(share: float | None) -> str:
    if share is None:
        return NO_DATA
    return next(background for lowest, background, _ in SCALE if share >= lowest)


def render_tilemap(names: dict[str, str], shares: dict[str, tuple[int, int]], problems: set[str]) -> str:
    """The map: ``shares`` maps a prefecture code to (done, total) municipalities; ``problems`` marks codes."""
    tiles = []
    for code, (column, row) in sorted(TILES.items()):
        done, total = shares.get(code, (0, 0))
        share = done / total if total else None
        label = f"{done}/{total}" if total else "—"
        full = names.get(code, code)
        name = full[:-1] if full[-1:] in ("都", "府", "県") else full
        tiles.append(
            f'<div class="tile{" problem" if code in problems else ""}" data-pref="{code}" '
            f'title="{escape(names.get(code, code))} {label}" '
            f'style="grid-column:{column + 1};grid-row:{row + 1};background:{color(share)}">'
            f'{escape(name)}<span class="share">{label}</span></div>'
        )
    legend = "".join(f'<span><i style="background:{background}"></i>{label}</span>' for _, background, label in SCALE)
    legend += f'<span><i style="background:{NO_DATA}"></i>対象なし</span>'
    legend += '<span><i style="border:2px solid #b71c1c"></i>問題あり</span>'
    return f'<div class="tilemap" role="img" aria-label="都道府県別の受領確認状況">{"".join(tiles)}</div>' \
           f'<div class="legend">{legend}</div>'
