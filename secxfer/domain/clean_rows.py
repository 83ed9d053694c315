"""The fast path of the annex reader: recognise a row that has nothing to report.

Almost every row of a real month is clean: six unquoted cells, a Latin name, a code
that resolves, two readable dates inside their bounds. :class:`CleanRowReader`
answers, for one decoded line, either the row's keys or ``None``. It answers only
when the general checks in :mod:`secxfer.domain.validate` would find no problem at
all (no error and no note other than the per-file ones the reader collects from the
keys it returns); on anything else, however harmless, it says ``None`` and the
general path reads the row and reports exactly what it always did. It has no side
effects beyond bounded caches of values it has already read (date strings, sex
cells, code cells), which is where its speed comes from: the month repeats them.
"""

from __future__ import annotations

import re
from datetime import date
from typing import NamedTuple

from secxfer.domain.annex import COLUMN_COUNT
from secxfer.domain.dates import ERA_FORMATS, DateError, DateFormat, halfwidth, read_date
from secxfer.domain.errors import CodeError
from secxfer.domain.formula import FORMULA_CELL as _FORMULA_CELL
from secxfer.domain.municipalities import Resolution, resolve_insurer
from secxfer.domain.period import Period
from secxfer.domain.profiles import Profile, Quoting

# Caches are cleared when full, so a file of all-distinct values costs a few
# hundred kilobytes at most.
CELL_CACHE_MAX = 2_048
# Residence codes: every insurer and ward of a national month, in either digit width;
# entries share the resolutions municipalities already caches.
ROUTE_CACHE_MAX = 8_192

# The same characters the general path flags (kept in step with annex_checks.SUSPECT;
# formula cells come from secxfer.domain.formula, which both paths use; tests compare them).
_SUSPECT = re.compile(
    "[\x00-\x1f\x7f-\x9f\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufff9-\ufffb"
    "\udc80-\udcff\ue000-\uf8ff]"
)
# YYYYMMDD, YYYY/MM/DD, YYYY-MM-DD: the forms exports use; the rest go through read_date.
_GREGORIAN = re.compile("([0-9]{4})([/-]?)([0-9]{2})\\2([0-9]{2})")
_TWO_DIGITS = {f"{number:02d}": number for number in range(100)}


class CleanRow(NamedTuple):
    """The keys of a row with nothing to report, and what the reader's notes need."""

    resolution: Resolution
    birth: date
    event: date
    era_dates: tuple[tuple[int, str, date], ...]  # (column, cell, date) of Japanese-era dates


class CleanRowReader:
    """Per file: recognises clean rows under one profile, period and day."""

    def __init__(self, profile: Profile, period: Period | None, today: date, name_ok: re.Pattern[str]) -> None:
        self.profile = profile
        self.full_width = profile.full_width
        self.formats = frozenset(profile.date_formats)
        self.limit = profile.max_field_chars
        self.first_day = period.first_day if period is not None else None
        self.last_day = period.last_day if period is not None else None
        self.today = today
        self.name_ok = name_ok
        self._gregorian_separators = frozenset(
            separator for separator, form in (("", DateFormat.COMPACT), ("/", DateFormat.SLASHED),
                                              ("-", DateFormat.DASHED)) if form in self.formats
        )
        self._dates: dict[str, tuple[date, bool] | None] = {}
        self._sexes: dict[str, bool] = {}
        self._routes: dict[str, Resolution] = {}

    @staticmethod
    def applies(profile: Profile) -> bool:
        """Whether the profile's rows can take this path (quote-everything files cannot)."""
        return profile.quoting is not Quoting.ALL

    def read(self, text: str) -> CleanRow | None:
        """The row's keys if the general checks would report nothing about it, else None."""
        if '"' in text or _SUSPECT.search(text) or _FORMULA_CELL.search(text):
            return None
        fields = text.split(",")
        if len(fields) != COLUMN_COUNT:
            return None
        if len(text) > self.limit and max(map(len, fields)) > self.limit:
            return None
        name, code, address, sex, birth_text, event_text = fields
        if not address or not self._sex_ok(sex) or not self.name_ok.fullmatch(name):
            return None
        birth = self._date(birth_text)
        event = self._event_date(event_text)
        if birth is None or event is None:
            return None
        birth_day, event_day = birth[0], event[0]
        if self.first_day is not None and not self.first_day <= event_day <= self.last_day:  # type: ignore[operator]
            return None
        # An age of at most event.year - birth.year; beyond the limit the general path decides.
        if birth_day > event_day or birth_day > self.today or event_day.year - birth_day.year > 120:
            return None
        resolution = self._resolve(code, event_day)
        if resolution is None:
            return None
        era_dates = ()
        if birth[1] or event[1]:
            era_dates = tuple((column, cell, day) for column, cell, day, era in (
                (5, birth_text, birth_day, birth[1]), (6, event_text, event_day, event[1])) if era)
        return CleanRow(resolution, birth_day, event_day, era_dates)

    def _sex_ok(self, value: str) -> bool:
        known = self._sexes.get(value)
        if known is None:
            known = bool(value) and (halfwidth(value) if self.full_width else value) in self.profile.sex_codes
            if len(self._sexes) >= CELL_CACHE_MAX:
                self._sexes.clear()
            self._sexes[value] = known
        return known

    def _event_date(self, value: str) -> tuple[date, bool] | None:
        # A month's event dates repeat (at most 31 values); birth dates mostly do not.
        try:
            return self._dates[value]
        except KeyError:
            pass
        reading = self._date(value)
        if len(self._dates) >= CELL_CACHE_MAX:
            self._dates.clear()
        self._dates[value] = reading
        return reading

    def _date(self, value: str) -> tuple[date, bool] | None:
        """Read like :func:`read_date`; the Gregorian forms with 2-digit month and day without it."""
        text = value if value.isascii() or not self.full_width else halfwidth(value)
        match = _GREGORIAN.fullmatch(text)
        if match is not None:
            year, separator, month, day = match.groups()
            if separator in self._gregorian_separators:
                try:
                    return date(int(year), _TWO_DIGITS[month], _TWO_DIGITS[day]), False
                except ValueError:
                    return None
        if not value:
            return None
        try:
            found = read_date(value, self.formats, full_width=self.full_width)
        except DateError:
            return None
        return found.value, found.format in ERA_FORMATS

    def _resolve(self, raw: str, event: date) -> Resolution | None:
        resolution = self._routes.get(raw)
        if resolution is None:
            return self._resolve_first(raw, event)
        # In force on the event date, as resolve_insurer judges it (the body's own dates).
        body = resolution.body
        if (body.valid_from is not None and event < body.valid_from) or (
                body.valid_to is not None and event > body.valid_to):
            return None
        return resolution

    def _resolve_first(self, raw: str, event: date) -> Resolution | None:
        # Six digits only: a 5-digit code earns a note, which the general path writes.
        code = halfwidth(raw) if self.full_width else raw
        if not (len(code) == 6 and code.isascii() and code.isdigit()):
            return None
        try:
            resolution = resolve_insurer(code, event)
        except CodeError:
            return None
        if resolution.reading.digits_given != 6:
            return None
        if len(self._routes) >= ROUTE_CACHE_MAX:
            self._routes.clear()
        self._routes[raw] = resolution
        return resolution
