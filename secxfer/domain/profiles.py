"""Input profiles: the named, documented layouts an annex CSV may arrive in.

No layout detail is guessed in the reader: encoding, byte-order mark, line ends,
header row, quoting, date spellings and sex codings all come from a profile. The
``default`` profile is the layout BRIEF §5 expects from the agency; see
docs/input-profiles.md for every field and for how to add a profile.
"""

from __future__ import annotations

from enum import StrEnum

import msgspec

from secxfer.domain.dates import DEFAULT_DATE_FORMATS, DateFormat
from secxfer.errors import UsageError
from secxfer.limits import CSV_MAX_FIELD_CHARS, CSV_MAX_LINE_BYTES
from secxfer.models import Model

ENCODINGS = ("cp932", "utf-8")
UTF8_BOM = b"\xef\xbb\xbf"


class ProfileError(UsageError):
    """A profile that does not exist or does not make sense."""

    default_hint = "use one of the registered profile names (see docs/input-profiles.md)"


class BomRule(StrEnum):
    """What a UTF-8 byte-order mark at the start of the file means."""

    ALLOWED = "allowed"  # a BOM switches the file to UTF-8; without one, ``encoding`` applies
    REQUIRED = "required"  # the file must start with a BOM and is UTF-8
    FORBIDDEN = "forbidden"  # a BOM is an error


class NewlineRule(StrEnum):
    CRLF = "crlf"
    LF = "lf"
    EITHER = "either"  # CRLF or LF, the same throughout the file


class HeaderRule(StrEnum):
    REQUIRED = "required"  # line 1 must be the annex's header row
    OPTIONAL = "optional"  # line 1 is the header if it reads as one, else a row
    ABSENT = "absent"  # every line is a row; a header row is an error


class Quoting(StrEnum):
    NONE = "none"  # no double quotes anywhere
    ALL = "all"  # every field in double quotes
    EITHER = "either"  # each field quoted or not


class Sex(StrEnum):
    MALE = "male"
    FEMALE = "female"


SEX_JIS_X_0303 = {"1": Sex.MALE, "2": Sex.FEMALE}
SEX_KANJI = {"男": Sex.MALE, "女": Sex.FEMALE}
SEX_LATIN = {"M": Sex.MALE, "F": Sex.FEMALE}

# Letters as on a passport's Latin line, and the punctuation names really carry.
NAME_PUNCTUATION = " -'.,"


class Profile(Model, kw_only=True):
    """One CSV layout. Every field is a documented choice; nothing is inferred."""

    name: str
    description: str
    encoding: str = "cp932"  # of files without a byte-order mark: "cp932" or "utf-8"
    bom: BomRule = BomRule.ALLOWED
    newline: NewlineRule = NewlineRule.EITHER
    header: HeaderRule = HeaderRule.REQUIRED
    quoting: Quoting = Quoting.EITHER
    date_formats: tuple[DateFormat, ...] = DEFAULT_DATE_FORMATS
    sex_codes: dict[str, Sex] = msgspec.field(default_factory=lambda: {**SEX_JIS_X_0303, **SEX_KANJI, **SEX_LATIN})
    name_punctuation: str = NAME_PUNCTUATION  # besides A-Z / a-z
    full_width: bool = True  # accept full-width digits and letters (２０２０, Ｍ)
    max_field_chars: int = CSV_MAX_FIELD_CHARS
    max_line_bytes: int = CSV_MAX_LINE_BYTES

    def __post_init__(self) -> None:
        # Profiles built in code may pass plain strings; store the enum members so that
        # every comparison downstream is exact, and refuse values no enum knows.
        try:
            for field, kind in _ENUM_FIELDS:
                msgspec.structs.force_setattr(self, field, kind(getattr(self, field)))
            msgspec.structs.force_setattr(self, "date_formats", tuple(DateFormat(f) for f in self.date_formats))
            msgspec.structs.force_setattr(self, "sex_codes", {code: Sex(sex) for code, sex in self.sex_codes.items()})
        except ValueError as error:
            raise ProfileError(f"profile {self.name!r}: {error}") from None
        if self.encoding not in ENCODINGS:
            raise ProfileError(f"profile {self.name!r}: encoding must be one of {', '.join(ENCODINGS)}")
        if self.bom is BomRule.REQUIRED and self.encoding != "utf-8":
            raise ProfileError(f"profile {self.name!r}: a required BOM implies encoding 'utf-8'")
        if not self.date_formats:
            raise ProfileError(f"profile {self.name!r}: accepts no date format")
        if not self.sex_codes:
            raise ProfileError(f"profile {self.name!r}: accepts no sex code")
        if not 0 < self.max_field_chars <= CSV_MAX_FIELD_CHARS or not 0 < self.max_line_bytes <= CSV_MAX_LINE_BYTES:
            raise ProfileError(f"profile {self.name!r}: limits may only be tightened (see secxfer.limits)")
        if set(self.name_punctuation) & set("\"=+@|;\t\r\n"):
            raise ProfileError(f"profile {self.name!r}: name punctuation may not include quotes or formula starters")


_ENUM_FIELDS = (("bom", BomRule), ("newline", NewlineRule), ("header", HeaderRule), ("quoting", Quoting))

DEFAULT = Profile(
    name="default",
    description=(
        "The agency's export as BRIEF §5 expects it: CP932 (Shift_JIS), or UTF-8 when the "
        "file starts with a byte-order mark; CRLF or LF; one Japanese header row; fields "
        "unquoted or quoted; dates YYYYMMDD, YYYY/MM/DD, YYYY-MM-DD, R020319 or 5020319; "
        "sex 1/2 (JIS X 0303), 男/女 or M/F; full-width digits accepted."
    ),
)

UTF8 = Profile(
    name="utf-8",
    description="As 'default', but files without a byte-order mark are UTF-8 instead of CP932.",
    encoding="utf-8",
)

NO_HEADER = Profile(
    name="no-header",
    description="As 'default', but without a header row: line 1 is the first record.",
    header=HeaderRule.ABSENT,
)

PROFILES: dict[str, Profile] = {profile.name: profile for profile in (DEFAULT, UTF8, NO_HEADER)}


def get_profile(name: str | Profile) -> Profile:
    """The registered profile called ``name`` (a Profile passes through unchanged)."""
    if isinstance(name, Profile):
        return name
    try:
        return PROFILES[name]
    except KeyError:
        raise ProfileError(f"no input profile named {name!r}; known: {', '.join(sorted(PROFILES))}") from None


def register_profile(profile: Profile, *, replace: bool = False) -> None:
    """Add ``profile`` to ``PROFILES`` so that ``--profile NAME`` finds it."""
    if profile.name in PROFILES and not replace:
        raise ProfileError(f"a profile named {profile.name!r} already exists", hint="pick another name")
    PROFILES[profile.name] = profile
