"""Realistic sample annex CSVs for demos, tests and benchmarks (never real people).

``generate_sample`` writes 別紙1–3 for a period the way the agency's export is
expected to look (CP932, CRLF, the Japanese header row): passport-style names of the
main Specified Skilled Worker nationalities, real municipality and ward codes
(skewed to big cities, spread over all insurers), plausible addresses, dates in the
profile's forms with full-width digits, 5-digit codes and era dates now and then,
and 浜松's retired wards only on rows dated before their retirement. ``invalid=K``
adds K labelled invalid rows whose expected problem code and line are returned.
The same arguments always produce the same bytes.
"""

from __future__ import annotations

import bisect
import itertools
import os
import random
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from pathlib import Path

from secxfer.domain import _names
from secxfer.domain.annex import ANNEXES
from secxfer.domain.counts import ANNEX_NUMBERS, RowCounts
from secxfer.domain.dates import DateFormat, format_era
from secxfer.domain.errors import AmbiguousCodeError, CodeError, NotAnInsurerError
from secxfer.domain.municipalities import (
    Body,
    BodyKind,
    bodies,
    check_digit,
    lookup,
    prefectures,
    read_code,
)
from secxfer.domain.period import Period, parse_period
from secxfer.errors import OutputExistsError, UsageError
from secxfer.fsutil import atomic_write
from secxfer.models import Model

SAMPLE_MAX_ROWS = 1_000_000
SAMPLE_MAX_INVALID = 10_000
# How rows divide over the annexes: entries (別紙1) dominate.
ANNEX_SHARES = {1: 0.5, 2: 0.25, 3: 0.25}
# Relative likelihood of living in a body of each kind, before per-body variation.
KIND_WEIGHTS = {
    BodyKind.SPECIAL_WARD: 30.0,
    BodyKind.WARD: 25.0,
    BodyKind.DESIGNATED_CITY: 2.0,  # the city's own code, used now and then instead of the ward's
    BodyKind.CITY: 6.0,
    BodyKind.TOWN: 1.5,
    BodyKind.VILLAGE: 0.7,
}
_FULL_WIDTH_DIGITS = str.maketrans("0123456789-/", "０１２３４５６７８９－／")


class InvalidRow(Model, kw_only=True):
    """Where a deliberately invalid row is, and the problem code it must raise."""

    file: str
    line: int
    code: str


class SampleSet(Model, kw_only=True):
    directory: str
    period: str
    seed: int
    files: tuple[str, ...]  # annex1_<period>.csv, annex2_…, annex3_… (full paths)
    rows_per_file: RowCounts  # data rows in each file, invalid ones included
    invalid_rows: tuple[InvalidRow, ...]
    encoding: str


def generate_sample(
    out_dir: str | os.PathLike[str],
    *,
    period: Period | str,
    rows: int,
    seed: int,
    invalid: int = 0,
    insurers: Sequence[str] | None = None,
    encoding: str = "cp932",
) -> SampleSet:
    """Write three sample annex files into ``out_dir`` and describe them.

    ``rows`` valid rows in all (half in 別紙1, a quarter each in 別紙2 and 別紙3), plus
    ``invalid`` labelled invalid rows spread over the files. ``insurers`` restricts
    residence codes to those insurers (and their wards). ``encoding`` is "cp932"
    (no BOM) or "utf-8" (with a BOM, as the default profile detects it). Files are
    written atomically, owner-only, and never over existing files.
    """
    if not 0 <= rows <= SAMPLE_MAX_ROWS or not 0 <= invalid <= SAMPLE_MAX_INVALID:
        raise UsageError(f"rows must be 0..{SAMPLE_MAX_ROWS} and invalid 0..{SAMPLE_MAX_INVALID}")
    if encoding not in ("cp932", "utf-8"):
        raise UsageError(f"encoding {encoding!r} is not one of cp932, utf-8")
    checked = period if isinstance(period, Period) else parse_period(period)
    maker = _RowMaker(random.Random(seed), checked, _Places(insurers))
    folder = Path(out_dir)
    targets = [folder / f"annex{number}_{checked.slug}.csv" for number in ANNEX_NUMBERS]
    existing = [str(path) for path in targets if path.exists()]
    if existing:  # checked up front so that no file of a set is written beside an old one
        raise OutputExistsError(f"{existing[0]!r} already exists", hint="choose another output folder",
                                  facts={"advice": "sample-out"})
    folder.mkdir(parents=True, exist_ok=True)
    shares = {2: int(rows * ANNEX_SHARES[2]), 3: int(rows * ANNEX_SHARES[3])}
    shares[1] = rows - shares[2] - shares[3]
    invalid_kinds = maker.invalid_kinds()
    files, counts, labels = [], [], []
    kind_cycle = itertools.cycle(invalid_kinds)
    for number in ANNEX_NUMBERS:
        bad = invalid // 3 + (1 if number - 1 < invalid % 3 else 0)
        path = targets[number - 1]
        lines: list[str | bytes] = [ANNEXES[number].header]
        good = [maker.row() for _ in range(shares[number])]
        slots = set(maker.rng.sample(range(len(good) + bad), bad))
        source = iter(good)
        for index in range(len(good) + bad):
            if index in slots:
                kind = next(kind_cycle)
                lines.append(_INVALID[kind](maker, encoding))
                labels.append(InvalidRow(file=str(path), line=index + 2, code=kind))
            else:
                lines.append(next(source))
        data = b"\r\n".join(line if isinstance(line, bytes) else line.encode(encoding) for line in lines) + b"\r\n"
        atomic_write(path, (b"\xef\xbb\xbf" if encoding == "utf-8" else b"") + data)
        files.append(str(path))
        counts.append(len(lines) - 1)
    return SampleSet(
        directory=str(folder),
        period=checked.label,
        seed=seed,
        files=tuple(files),
        rows_per_file=RowCounts.of(counts),
        invalid_rows=tuple(labels),
        encoding=encoding,
    )


class _Places:
    """Residence codes to draw from, weighted, per span of dates in which the set is constant."""

    def __init__(self, insurers: Sequence[str] | None) -> None:
        table = bodies()
        wanted = None
        if insurers is not None:
            wanted = {_insurer_of(code) for code in insurers}
            if not wanted:
                raise UsageError("insurers= is empty", hint="name at least one insurer code, or pass None")
        self.bodies = [
            body for body in table
            if body.kind in KIND_WEIGHTS and (wanted is None or body.insurer_code in wanted)
        ]
        self.by_code = {body.code: body for body in table}
        self.prefecture_names = {body.prefecture_code: body.name for body in prefectures()}
        edges = {body.valid_from for body in self.bodies if body.valid_from}
        edges |= {body.valid_to + timedelta(days=1) for body in self.bodies if body.valid_to}
        self.edges = sorted(edges)
        self._pools: dict[int, tuple[list[Body], list[float]]] = {}
        self._spread = {body.code: 0.3 + (int(body.code) * 7919 % 1000) / 400 for body in self.bodies}
        self._five_ok: dict[str, bool] = {}

    def pick(self, rng: random.Random, day: date) -> Body:
        epoch = bisect.bisect_right(self.edges, day)
        pool = self._pools.get(epoch)
        if pool is None:
            eligible = [body for body in self.bodies if body.in_force_on(day)]
            weights = list(itertools.accumulate(KIND_WEIGHTS[b.kind] * self._spread[b.code] for b in eligible))
            pool = self._pools[epoch] = (eligible, weights)
        eligible, weights = pool
        return eligible[bisect.bisect_right(weights, rng.random() * weights[-1])]

    def five_digit_safe(self, body: Body) -> bool:
        """Whether the 5-digit form of ``body``'s code reads back as exactly this code.

        Forms whose zero-padded reading also carries a valid check digit are avoided
        too: only the table can tell those apart, and a reader without it would guess.
        """
        known = self._five_ok.get(body.code)
        if known is None:
            five = body.code[:5]
            padded = five.zfill(6)
            try:
                known = read_code(five).code == body.code and check_digit(padded[:5]) != padded[5]
            except CodeError:
                known = False
            self._five_ok[body.code] = known
        return known

    def address(self, rng: random.Random, body: Body) -> str:
        town = rng.choice(_names.TOWN_NAMES)
        a, b, c = rng.randint(1, 9), rng.randint(1, 40), rng.randint(1, 30)
        style = rng.random()
        if style < 0.45:
            place = f"{town}{a}丁目{b}番{c}号"
        elif style < 0.8:
            place = f"{town}{a}-{b}-{c}"
        else:
            place = f"{town}{b}番地{c}"
        if rng.random() < 0.5:
            building = rng.choice(_names.BUILDING_PREFIXES) + rng.choice(_names.BUILDINGS)
            place += f" {building}{rng.randint(1, 5)}0{rng.randint(1, 9)}号室"
        if rng.random() < 0.3:
            place = place.translate(_FULL_WIDTH_DIGITS)
        return f"{self.prefecture_names[body.prefecture_code]}{body.name}{place}"


def _insurer_of(code: str) -> str:
    body = lookup(code)
    if body.insurer_code is None:
        raise NotAnInsurerError(f"{body.code} {body.name} is a prefecture, not an insurer", code=body.code)
    return body.insurer_code


class _RowMaker:
    def __init__(self, rng: random.Random, period: Period, places: _Places) -> None:
        self.rng = rng
        self.period = period
        self.places = places
        self.days = (period.last_day - period.first_day).days + 1
        self.nations = _names.NATIONALITIES
        self.nation_weights = list(itertools.accumulate(n.weight for n in self.nations))
        self.date_style = rng.choice((DateFormat.COMPACT, DateFormat.SLASHED))

    # the parts of a row

    def event(self) -> date:
        return self.period.first_day + timedelta(days=self.rng.randrange(self.days))

    def birth(self, event: date) -> date:
        return event - timedelta(days=self.rng.randint(18 * 366, 60 * 365))

    def name(self, male: bool) -> str:
        rng = self.rng
        nation = self.nations[bisect.bisect_right(self.nation_weights, rng.random() * self.nation_weights[-1])]
        given = nation.male if male else nation.female
        parts = [rng.choice(nation.family)] if nation.family else []
        middle = nation.middle_male if male else nation.middle_female
        if middle and rng.random() < 0.8:
            parts.append(rng.choice(middle))
        parts.extend(rng.sample(given, rng.randint(*nation.given_parts)))
        return " ".join(parts)

    def sex(self, male: bool) -> str:
        roll = self.rng.random()
        if roll < 0.8:
            return "1" if male else "2"
        if roll < 0.9:
            return "男" if male else "女"
        return "M" if male else "F"

    def date_text(self, day: date) -> str:
        roll = self.rng.random()
        if roll < 0.04:
            return format_era(day)
        if roll < 0.06:
            return format_era(day, style=DateFormat.ERA_DIGIT)
        if roll < 0.08:
            text = day.isoformat()
        elif self.date_style is DateFormat.SLASHED:
            text = f"{day.year:04d}/{day.month:02d}/{day.day:02d}"
        else:
            text = f"{day.year:04d}{day.month:02d}{day.day:02d}"
        return text.translate(_FULL_WIDTH_DIGITS) if roll > 0.97 else text

    def code_text(self, body: Body) -> str:
        roll = self.rng.random()
        if roll < 0.03 and self.places.five_digit_safe(body):
            return body.code[:5]
        if roll > 0.97:
            return body.code.translate(_FULL_WIDTH_DIGITS)
        return body.code

    def fields(self) -> list[str]:
        male = self.rng.random() < 0.6
        event = self.event()
        body = self.places.pick(self.rng, event)
        return [
            self.name(male),
            self.code_text(body),
            self.places.address(self.rng, body),
            self.sex(male),
            self.date_text(self.birth(event)),
            self.date_text(event),
        ]

    def row(self) -> str:
        return ",".join(self.fields())

    def invalid_kinds(self) -> list[str]:
        kinds = [kind for kind in _INVALID if kind not in ("retired-code", "ambiguous-code")]
        if self.period.last_day >= _HAMAMATSU_CHANGE and _retired_wards():
            kinds.append("retired-code")
        if _ambiguous_five_digit():
            kinds.append("ambiguous-code")
        self.rng.shuffle(kinds)
        return kinds


# -- invalid rows, one per problem class ---------------------------------------------------

_HAMAMATSU_CHANGE = date(2024, 1, 1)


def _retired_wards() -> list[Body]:
    return [body for body in bodies() if body.kind is BodyKind.WARD and body.valid_to is not None]


def _ambiguous_five_digit() -> str | None:
    for body in bodies():
        try:
            read_code(body.code[:5])
        except AmbiguousCodeError:
            return body.code[:5]
        except CodeError:
            continue
    return None


def _with(maker: _RowMaker, column: int, value: str) -> str:
    fields = maker.fields()
    fields[column] = value
    return ",".join(fields)


def _wrong_check_digit(maker: _RowMaker, _: str) -> str:
    fields = maker.fields()
    code = fields[1].translate({ord(c): ord("0") + i for i, c in enumerate("０１２３４５６７８９")})
    first5 = code[:5]
    right = int(check_digit(first5))
    fields[1] = first5 + str((right + 1 + maker.rng.randrange(9)) % 10)
    return ",".join(fields)


def _unknown_code(maker: _RowMaker, _: str) -> str:
    first5 = f"{maker.rng.randint(48, 99)}{maker.rng.randint(100, 999)}"
    return _with(maker, 1, first5 + check_digit(first5))


def _retired_code(maker: _RowMaker, _: str) -> str:
    fields = maker.fields()
    start = max(maker.period.first_day, _HAMAMATSU_CHANGE)
    event = start + timedelta(days=maker.rng.randrange((maker.period.last_day - start).days + 1))
    fields[1] = maker.rng.choice(_retired_wards()).code
    fields[4] = maker.date_text(maker.birth(event))
    fields[5] = maker.date_text(event)
    return ",".join(fields)


def _outside_period(maker: _RowMaker, _: str) -> str:
    fields = maker.fields()
    event = maker.period.last_day + timedelta(days=maker.rng.randint(1, 90))
    fields[1] = "131016"  # 千代田区: in force on any date
    fields[4] = maker.date_text(maker.birth(event))
    fields[5] = f"{event.year:04d}{event.month:02d}{event.day:02d}"
    return ",".join(fields)


def _birth_after_event(maker: _RowMaker, _: str) -> str:
    fields = maker.fields()
    event = maker.event()
    fields[5] = f"{event.year:04d}{event.month:02d}{event.day:02d}"
    after = event + timedelta(days=maker.rng.randint(1, 30))
    fields[4] = f"{after.year:04d}{after.month:02d}{after.day:02d}"
    return ",".join(fields)


def _undecodable(maker: _RowMaker, encoding: str) -> bytes:
    fields = maker.fields()
    garbage = b"\x81\x7f" if encoding == "cp932" else b"\xff\xfe"
    head = ",".join(fields[:2]).encode(encoding)
    return head + b"," + fields[2].encode(encoding) + garbage + b"," + ",".join(fields[3:]).encode(encoding)


def _drop_field(maker: _RowMaker, _: str) -> str:
    fields = maker.fields()
    del fields[2]
    return ",".join(fields)


_INVALID: dict[str, Callable[[_RowMaker, str], str | bytes]] = {
    "bad-check-digit": _wrong_check_digit,
    "unknown-code": _unknown_code,
    "prefecture-code": lambda maker, _: _with(maker, 1, maker.rng.choice(prefectures()).code),
    "tokyo-ward-area": lambda maker, _: _with(maker, 1, "131008"),
    "bad-code": lambda maker, _: _with(maker, 1, "13-101"),
    "ambiguous-code": lambda maker, _: _with(maker, 1, _ambiguous_five_digit() or ""),
    "retired-code": _retired_code,
    "outside-period": _outside_period,
    "impossible-date": lambda maker, _: _with(maker, 4, f"{maker.rng.randint(1970, 2000)}0230"),
    "era-mismatch": lambda maker, _: _with(maker, 4, maker.rng.choice(("H310501", "R010430", "4310502"))),
    "bad-date": lambda maker, _: _with(maker, 4, "01/02/1990"),
    "birth-after-event": _birth_after_event,
    "bad-sex": lambda maker, _: _with(maker, 3, maker.rng.choice(("3", "X", "男性"))),
    "bad-name-character": lambda maker, _: _with(maker, 0, maker.rng.choice(("グエン ヴァン アン", "NGUYEN VAN ANH2"))),
    "formula-injection": lambda maker, _: _with(maker, 2, "=1+2"),
    "control-character": lambda maker, _: _with(maker, 2, "東京都千代田区\x1b[2J千代田1-1"),
    "field-too-long": lambda maker, _: _with(maker, 0, "A" * 300),
    "empty-field": lambda maker, _: _with(maker, 0, ""),
    "undecodable-bytes": _undecodable,
    "wrong-column-count": _drop_field,
    "bad-quoting": lambda maker, _: '"' + maker.row(),
    "empty-line": lambda maker, _: "",
}
