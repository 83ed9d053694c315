"""Local-government codes (全国地方公共団体コード): the reference table and insurer routing.

The package ships its own table (``data/municipalities.tsv``, built by
``tools/build_municipalities.py``; source and date in ``data/SOURCE.md``): the 47
prefectures, the 1,741 National Health Insurance insurers (市町村 and Tokyo's 23
special wards), the wards (行政区) of the 20 designated cities, current and retired.

Reading a code never guesses: a 6-digit code must carry its check digit; a 5-digit
value is read either as the 5-digit form without check digit or as a 6-digit code
that lost its leading zero (prefectures 01-09, as spreadsheets do), and is taken only
when exactly one of the two readings names a body. Every reinterpretation is stated
in ``notes`` so that the caller can show it.
"""

from __future__ import annotations

import datetime
import enum
import functools
import re
import unicodedata
from pathlib import Path

from secxfer.domain.errors import (
    AmbiguousCodeError,
    CheckDigitError,
    CodeError,
    MalformedCodeError,
    NotAnInsurerError,
    NotYetValidCodeError,
    RetiredCodeError,
    UnknownCodeError,
)
from secxfer.errors import FormatError
from secxfer.models import Model

TABLE_FILE = "municipalities.tsv"
TABLE_COLUMNS = ("code", "name", "kind", "prefecture_code", "insurer_code", "valid_from", "valid_to")
# The date the shipped table describes (浜松市's ward change; insurers unchanged since 2018-10-01).
TABLE_AS_OF = datetime.date(2024, 1, 1)

# Tokyo's 23-ward area as a whole (東京都特別区部). It has a code in statistical lists
# but is no local government and no insurer: each special ward is its own insurer.
TOKYO_WARD_AREA = "131008"
TOKYO_WARD_AREA_NAME = "東京都特別区部"

# Raw values longer than this are refused before any normalization work.
CODE_MAX_RAW_CHARS = 32
# resolve_insurer keeps at most this many distinct raw values; a full cache is emptied.
RESOLVE_CACHE_MAX = 65_536

FEDERATION_SUFFIX = "国民健康保険団体連合会"


class BodyKind(enum.StrEnum):
    PREFECTURE = "prefecture"
    CITY = "city"
    DESIGNATED_CITY = "designated-city"
    TOWN = "town"
    VILLAGE = "village"
    SPECIAL_WARD = "special-ward"
    WARD = "ward"


INSURER_KINDS = frozenset(
    {BodyKind.CITY, BodyKind.DESIGNATED_CITY, BodyKind.TOWN, BodyKind.VILLAGE, BodyKind.SPECIAL_WARD}
)


class Body(Model, kw_only=True):
    """One row of the table: a prefecture, an insurer or a designated city's ward."""

    code: str  # 6 digits including the check digit
    name: str  # "横浜市鶴見区", "千代田区", "北海道"
    kind: BodyKind
    prefecture_code: str  # "14"
    insurer_code: str | None = None  # itself for insurers, the city for a ward, None for prefectures
    valid_from: datetime.date | None = None  # None: in force since before the table's horizon
    valid_to: datetime.date | None = None  # None: still in force

    @property
    def is_insurer(self) -> bool:
        """True for the 1,741 NHI insurers (市町村 and 特別区), false for prefectures and wards."""
        return self.kind in INSURER_KINDS

    def in_force_on(self, day: datetime.date) -> bool:
        """Whether the code was in force on ``day`` (both ends inclusive)."""
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day <= self.valid_to
        )


class CodeReading(Model, kw_only=True):
    """How a raw value was read as a code."""

    code: str  # the 6-digit code
    given: str  # the raw text as received
    digits_given: int  # 5 or 6
    notes: tuple[str, ...] = ()  # every reinterpretation, e.g. a leading zero restored


class Resolution(Model, kw_only=True):
    """A raw code resolved to the insurer that receives its rows."""

    reading: CodeReading
    body: Body  # what the code names (a ward, or the insurer itself)
    insurer: Body  # the insurer the rows route to
    notes: tuple[str, ...] = ()  # the reading's notes plus routing notes (ward -> city, retired)


class Federation(Model, kw_only=True):
    """A prefectural federation of NHI associations (国民健康保険団体連合会)."""

    id: str  # "fed-13"
    prefecture_code: str  # "13"
    name: str  # "東京都国民健康保険団体連合会"


# -- check digit and reading ---------------------------------------------------------

_CHECK_BY_REMAINDER = tuple(str((11 - remainder) % 10) for remainder in range(11))  # spelled out: hot
_FIVE_OR_SIX = re.compile(r"[0-9]{5,6}")
_SIX = re.compile(r"[0-9]{6}")


def check_digit(first5: str) -> str:
    """The check digit after the five digits ``first5``: ``(11 - (6a+5b+4c+3d+2e) mod 11) mod 10``."""
    if not (len(first5) == 5 and first5.isascii() and first5.isdigit()):
        raise MalformedCodeError(f"{_show(first5)} is not 5 ASCII digits", code=first5)
    a, b, c, d, e = map(int, first5)
    return _CHECK_BY_REMAINDER[(6 * a + 5 * b + 4 * c + 3 * d + 2 * e) % 11]


def read_code(raw: str) -> CodeReading:
    """Read ``raw`` as a code: NFKC (full-width digits), surrounding space and quotes removed.

    Six digits must end in the right check digit (CheckDigitError names the expected
    one). Five digits are tried both as the 5-digit form without check digit and as
    a code whose leading zero was lost; exactly one reading must name a body in the
    table, else AmbiguousCodeError or UnknownCodeError. Never guesses silently: the
    reading taken, and the one refused, are stated in ``notes``.
    """
    text = _normalize(raw)
    if not _FIVE_OR_SIX.fullmatch(text):
        raise MalformedCodeError(
            f"{_show(raw)} is not a local-government code: expected 6 digits "
            "(or the 5-digit form without check digit)",
            code=raw,
        )
    if len(text) == 5:
        return _read_five_digits(text, raw)
    expected = check_digit(text[:5])
    if text[5] != expected:
        raise CheckDigitError(
            f"{_show(raw)}: check digit is wrong: {text[:5]} must end in {expected} "
            f"({text[:5]}{expected}), not {text[5]}",
            code=text,
        )
    return CodeReading(code=text, given=raw, digits_given=6)


def _read_five_digits(text: str, raw: str) -> CodeReading:
    short_form = text + check_digit(text)
    lost_zero = "0" + text
    lost_zero_possible = text[0] != "0" and check_digit(lost_zero[:5]) == lost_zero[5]
    short_known = _names_something(short_form)
    zero_known = lost_zero_possible and _names_something(lost_zero)
    if short_known and zero_known:
        raise AmbiguousCodeError(
            f"{_show(raw)} is ambiguous: as the 5-digit form it is {_describe(short_form)}, "
            f"with its leading zero lost it is {_describe(lost_zero)}",
            code=text,
        )
    if short_known:
        notes = [f"5-digit form without check digit: {text} read as {short_form}"]
        if lost_zero_possible:
            notes.append(f"not read as {lost_zero} (leading zero lost): no such body")
        return CodeReading(code=short_form, given=raw, digits_given=5, notes=tuple(notes))
    if zero_known:
        notes = (
            f"leading zero restored: {text} read as {lost_zero}",
            f"not read as {short_form} (5-digit form without check digit): no such body",
        )
        return CodeReading(code=lost_zero, given=raw, digits_given=5, notes=notes)
    if lost_zero_possible:
        tried = f"neither {short_form} (5-digit form) nor {lost_zero} (leading zero lost) is"
    else:
        tried = f"read as the 5-digit form, {short_form} is not"
    raise UnknownCodeError(f"{_show(raw)} names no local government: {tried} in the table", code=text)


def _normalize(raw: str) -> str:
    if not isinstance(raw, str):
        raise MalformedCodeError(f"a code must be text, got {type(raw).__name__}", code=None)
    if len(raw) > CODE_MAX_RAW_CHARS:
        raise MalformedCodeError(f"{_show(raw)} is too long for a local-government code", code=None)
    text = unicodedata.normalize("NFKC", raw).strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        text = text[1:-1].strip()
    return text


def _show(raw: str) -> str:
    return repr(raw if len(raw) <= CODE_MAX_RAW_CHARS else raw[:CODE_MAX_RAW_CHARS] + "…")


# -- the table -------------------------------------------------------------------


class _Table:
    """The loaded table with its indexes; built once, never mutated."""

    def __init__(self, rows: list[Body]) -> None:
        self.by_code = {body.code: body for body in rows}
        self.bodies = tuple(rows)
        self.insurers = tuple(body for body in rows if body.is_insurer)
        self.prefectures = {body.prefecture_code: body for body in rows if body.kind is BodyKind.PREFECTURE}
        self.federations = tuple(
            Federation(id=f"fed-{pref}", prefecture_code=pref, name=body.name + FEDERATION_SUFFIX)
            for pref, body in sorted(self.prefectures.items())
        )
        self.federation_by_prefecture = {fed.prefecture_code: fed for fed in self.federations}


@functools.cache
def _table() -> _Table:
    text = _packaged_text(TABLE_FILE)
    lines = text.split("\n")
    if lines[0].split("\t") != list(TABLE_COLUMNS):
        raise FormatError(f"the packaged {TABLE_FILE} has an unexpected header", hint="reinstall secxfer")
    rows = [_parse_row(number, line) for number, line in enumerate(lines[1:], start=2) if line]
    return _Table(sorted(rows, key=lambda body: body.code))


def _packaged_text(name: str) -> str:
    """A data file of this package (importlib.resources, 10 ms of imports, only if not a folder on disk)."""
    beside = Path(__file__).with_name("data") / name
    if beside.is_file():
        return beside.read_text(encoding="utf-8")
    from importlib import resources

    return resources.files("secxfer.domain").joinpath("data", name).read_text(encoding="utf-8")


def _parse_row(number: int, line: str) -> Body:
    try:
        code, name, kind, prefecture, insurer, valid_from, valid_to = line.split("\t")
        body = Body(
            code=code,
            name=name,
            kind=BodyKind(kind),
            prefecture_code=prefecture,
            insurer_code=insurer or None,
            valid_from=datetime.date.fromisoformat(valid_from) if valid_from else None,
            valid_to=datetime.date.fromisoformat(valid_to) if valid_to else None,
        )
    except ValueError as error:
        raise FormatError(f"the packaged {TABLE_FILE} is damaged at line {number}: {error}", hint="reinstall secxfer") from None
    if not _SIX.fullmatch(code) or check_digit(code[:5]) != code[5]:
        raise FormatError(f"the packaged {TABLE_FILE} is damaged at line {number}", hint="reinstall secxfer")
    return body


def _names_something(code: str) -> bool:
    return code in _table().by_code or code == TOKYO_WARD_AREA


def _describe(code: str) -> str:
    body = _table().by_code.get(code)
    return f"{code} {body.name if body else TOKYO_WARD_AREA_NAME}"


def bodies() -> tuple[Body, ...]:
    """Every row of the table (prefectures, insurers, current and retired wards), by code."""
    return _table().bodies


def insurers() -> tuple[Body, ...]:
    """The 1,741 NHI insurers (792 市, 743 町, 183 村, 23 特別区), sorted by code."""
    return _table().insurers


def designated_cities() -> tuple[Body, ...]:
    """The 20 designated cities (政令指定都市), sorted by code."""
    return tuple(body for body in _table().bodies if body.kind is BodyKind.DESIGNATED_CITY)


def wards(*, on: datetime.date | None = None) -> tuple[Body, ...]:
    """Designated cities' wards by code: all rows (current and retired), or those in force ``on``."""
    return tuple(
        body
        for body in _table().bodies
        if body.kind is BodyKind.WARD and (on is None or body.in_force_on(on))
    )


def prefectures() -> tuple[Body, ...]:
    """The 47 prefectures, sorted by code."""
    return tuple(body for _, body in sorted(_table().prefectures.items()))


def lookup(raw: str) -> Body:
    """The body ``raw`` names (see :func:`read_code`), including prefectures and retired wards.

    Does not check validity dates; use :func:`resolve_insurer` for routing.
    """
    code = read_code(raw).code
    body = _table().by_code.get(code)
    if body is None:
        if code == TOKYO_WARD_AREA:
            raise _tokyo_ward_area_error()
        raise UnknownCodeError(f"{code} names no local government in the table (as of {TABLE_AS_OF})", code=code)
    return body


def _tokyo_ward_area_error() -> NotAnInsurerError:
    return NotAnInsurerError(
        f"{TOKYO_WARD_AREA} is Tokyo's 23-ward area as a whole ({TOKYO_WARD_AREA_NAME}, 13100), "
        "not a municipality: each of the 23 special wards (131016 千代田区 … 131237 江戸川区) "
        "is its own insurer",
        code=TOKYO_WARD_AREA,
        hint="use the code of the special ward the person lives in",
    )


# -- routing to the insurer ------------------------------------------------------


class _Entry:
    """A cached routing outcome for one raw value, independent of the date."""

    __slots__ = ("error", "resolution", "valid_from", "valid_to")

    def __init__(
        self,
        resolution: Resolution | None = None,
        error: tuple[type[CodeError], str, str | None, str | None] | None = None,
    ) -> None:
        self.resolution = resolution
        self.error = error
        self.valid_from = resolution.body.valid_from if resolution else None
        self.valid_to = resolution.body.valid_to if resolution else None


_resolve_cache: dict[str, _Entry] = {}


def resolve_insurer(raw: str, on: datetime.date) -> Resolution:
    """The insurer that receives a row whose residence code is ``raw``, for an event ``on``.

    A ward routes to its city (a note says so). A code must be in force on ``on``:
    a retired ward (浜松's 22131-22137, until 2023-12-31) is accepted only for dates
    up to its last day (RetiredCodeError after), a new one only from its first day
    (NotYetValidCodeError before). Prefectures and 131008 (Tokyo's 23-ward area)
    raise NotAnInsurerError; unknown codes UnknownCodeError; a wrong check digit
    CheckDigitError. The result is the same for equal inputs; repeated raw values
    are answered from a bounded cache.
    """
    entry = _resolve_cache.get(raw) if isinstance(raw, str) else None
    if entry is None:
        entry = _resolve_uncached(raw)
        if len(_resolve_cache) >= RESOLVE_CACHE_MAX:
            _resolve_cache.clear()
        if isinstance(raw, str):
            _resolve_cache[raw] = entry
    if entry.error is not None:
        cls, message, hint, code = entry.error
        raise cls(message, code=code, hint=hint)
    resolution = entry.resolution
    assert resolution is not None
    if entry.valid_to is not None and on > entry.valid_to:
        raise _retired_error(resolution, on)
    if entry.valid_from is not None and on < entry.valid_from:
        body = resolution.body
        raise NotYetValidCodeError(
            f"{body.code} {body.name} is in force only from {body.valid_from}, not on {on}",
            code=body.code,
            hint=f"for dates before {body.valid_from} use the code then in force, or the city {resolution.insurer.code}",
        )
    return resolution


def _resolve_uncached(raw: str) -> _Entry:
    try:
        reading = read_code(raw)
        body = lookup(reading.code)
    except CodeError as error:
        return _Entry(error=(type(error), error.message, error.hint, error.code))
    if not body.is_insurer and body.kind is not BodyKind.WARD:
        return _Entry(
            error=(
                NotAnInsurerError,
                f"{body.code} is the code of the prefecture {body.name}, not of a municipality; "
                "prefectures are never recipients",
                "use the code of the municipality the person lives in",
                body.code,
            )
        )
    notes = list(reading.notes)
    insurer = body
    if body.kind is BodyKind.WARD:
        assert body.insurer_code is not None
        insurer = _table().by_code[body.insurer_code]
        notes.append(f"ward {body.code} {body.name} routes to its city {insurer.code} {insurer.name}")
    if body.valid_to is not None:
        notes.append(f"{body.code} {body.name} is a retired code (in force until {body.valid_to}), accepted for dates up to then")
    return _Entry(resolution=Resolution(reading=reading, body=body, insurer=insurer, notes=tuple(notes)))


# Where the areas of retired wards went (浜松市, 2024-01-01: 中区・東区・西区・南区 and the
# south of 北区 became 中央区; 浜北区 and the rest of 北区 became 浜名区; 天竜区 got a new code).
WARD_SUCCESSORS: dict[str, tuple[str, ...]] = {
    "221317": ("221384",),
    "221325": ("221384",),
    "221333": ("221384",),
    "221341": ("221384",),
    "221350": ("221384", "221392"),
    "221368": ("221392",),
    "221376": ("221406",),
}


def successors_of(code: str) -> tuple[Body, ...]:
    """The wards that took over the area of the retired ward ``code`` (empty if none is recorded)."""
    return tuple(_table().by_code[successor] for successor in WARD_SUCCESSORS.get(code, ()))


def _retired_error(resolution: Resolution, on: datetime.date) -> RetiredCodeError:
    body, insurer = resolution.body, resolution.insurer
    named = successors_of(body.code) or tuple(
        ward for ward in wards(on=on) if ward.insurer_code == insurer.code
    )
    successors = ", ".join(f"{ward.code} {ward.name}" for ward in named)
    message = (f"{body.code} {body.name} was in force until {body.valid_to} and cannot appear on a row "
               f"dated {on}")
    if successors:
        message += f"; its area is now {successors} (all in {insurer.code} {insurer.name})"
    hint = f"use the ward code in force on {on}"
    if successors:
        hint += f" ({successors}) or the city {insurer.code} {insurer.name}"
    return RetiredCodeError(message, code=body.code, hint=hint)


# -- federations and participant ids ------------------------------------------------


def participant_name(participant_id: str) -> str | None:
    """The Japanese name behind a participant id or a bare code: ``mun-221309`` or
    ``221309`` → 浜松市, ``fed-13`` → 東京都国民健康保険団体連合会; None if it names none."""
    if participant_id.startswith("fed-"):
        return next((f.name for f in federations() if f.id == participant_id), None)
    named = {"central": "国民健康保険中央会", "agency": "出入国在留管理庁"}.get(participant_id)
    if named is not None:
        return named
    try:
        return lookup(participant_id.removeprefix("mun-")).name
    except CodeError:
        return None


def federations() -> tuple[Federation, ...]:
    """The 47 prefectural federations, ``fed-01`` to ``fed-47``."""
    return _table().federations


def federation_for(code: str) -> Federation:
    """The federation of a body's prefecture: its first two digits.

    Accepts anything :func:`lookup` accepts, or a 2-digit prefecture number "01"-"47".
    """
    text = _normalize(code)
    if re.fullmatch(r"[0-9]{2}", text):
        prefecture = text
    else:
        prefecture = lookup(code).prefecture_code
    federation = _table().federation_by_prefecture.get(prefecture)
    if federation is None:
        raise UnknownCodeError(f"{_show(code)} is not a prefecture number (01-47)", code=code)
    return federation


def participant_id(insurer_code: str) -> str:
    """The participant id of an insurer, ``mun-<6-digit code>``.

    Strict: only the canonical 6-digit ASCII form of one of the 1,741 insurers is
    accepted, so one municipality can never get two ids.
    """
    if not isinstance(insurer_code, str) or not _SIX.fullmatch(insurer_code):
        raise MalformedCodeError(
            f"{_show(str(insurer_code))} is not a canonical 6-digit code",
            code=None,
            hint="normalize it with lookup() first",
        )
    body = lookup(insurer_code)
    if not body.is_insurer:
        raise NotAnInsurerError(
            f"{body.code} {body.name} is a {body.kind}, not an insurer; only insurers are participants",
            code=body.code,
        )
    return f"mun-{body.code}"
