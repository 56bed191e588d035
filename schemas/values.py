"""Parsers for values as people write them on the forms.

Each parser takes the text as read and returns the normalised value, or raises ValueError with a
message a submitter understands (it ends up in the notice, after the field's printed label).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

# The formats the specification lists, most common first. Two-digit years are 20xx.
DATE_FORMATS = (
    "%m/%d/%Y",
    "%m/%d/%y",
    "%Y-%m-%d",
    "%B %d, %Y",
    "%b %d, %Y",
    "%B %d %Y",
    "%b %d %Y",
    "%m-%d-%Y",
    "%m-%d-%y",
    "%m.%d.%Y",
)

US_STATES = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California",
    "CO": "Colorado", "CT": "Connecticut", "DE": "Delaware", "DC": "District of Columbia",
    "FL": "Florida", "GA": "Georgia", "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois",
    "IN": "Indiana", "IA": "Iowa", "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana",
    "ME": "Maine", "MD": "Maryland", "MA": "Massachusetts", "MI": "Michigan", "MN": "Minnesota",
    "MS": "Mississippi", "MO": "Missouri", "MT": "Montana", "NE": "Nebraska", "NV": "Nevada",
    "NH": "New Hampshire", "NJ": "New Jersey", "NM": "New Mexico", "NY": "New York",
    "NC": "North Carolina", "ND": "North Dakota", "OH": "Ohio", "OK": "Oklahoma", "OR": "Oregon",
    "PA": "Pennsylvania", "RI": "Rhode Island", "SC": "South Carolina", "SD": "South Dakota",
    "TN": "Tennessee", "TX": "Texas", "UT": "Utah", "VT": "Vermont", "VA": "Virginia",
    "WA": "Washington", "WV": "West Virginia", "WI": "Wisconsin", "WY": "Wyoming",
    "PR": "Puerto Rico", "GU": "Guam", "VI": "U.S. Virgin Islands", "AS": "American Samoa",
    "MP": "Northern Mariana Islands",
}  # fmt: skip
_STATE_BY_NAME = {name.casefold(): code for code, name in US_STATES.items()}
# The states' traditional abbreviations as people write them ('Mich.', 'Calif.', 'W. Va.'), each one
# state's only; those that are the code already ('Pa.', 'Ga.') are read as codes.
_STATE_BY_ABBREVIATION = {
    "ala": "AL", "ariz": "AZ", "ark": "AR", "calif": "CA", "cal": "CA", "colo": "CO", "conn": "CT",
    "del": "DE", "fla": "FL", "ill": "IL", "ind": "IN", "kans": "KS", "kan": "KS", "mass": "MA",
    "mich": "MI", "minn": "MN", "miss": "MS", "mont": "MT", "nebr": "NE", "neb": "NE", "nev": "NV",
    "nmex": "NM", "okla": "OK", "ore": "OR", "oreg": "OR", "tenn": "TN", "tex": "TX", "wash": "WA",
    "wva": "WV", "wis": "WI", "wisc": "WI", "wyo": "WY",
}  # fmt: skip

MICHIGAN_ZIP_RANGE = (48001, 49971)

# Bounds on what the parsers convert, checked before converting: no value read from a document may
# cost seconds to convert or crash later date arithmetic, pages, reports or exports.
# A number on these forms is a count of positions or hours, or a fraction of a full-time post.
MAX_NUMBER_LENGTH = 30  # characters, as written: '1,000,000,000,000,000,000,000' is 29
MAX_NUMBER_DIGITS = 15  # before the point (and after it, for decimals), exponent included: '1e999999' is refused
# Years a form's dates can fall in (hire, signatures, start of services); dates stay far from
# date.min and date.max, so that adding or subtracting years to them cannot overflow.
DATE_YEARS = (1900, 2199)
MAX_DATE_LENGTH = 40  # characters: 'September 30th, 2027' is 20

TRUE_WORDS = frozenset({"x", "yes", "y", "true", "on", "1", "checked", "☒", "☑", "✔", "✓", "[x]"})
FALSE_WORDS = frozenset({"", "no", "n", "false", "off", "0", "unchecked", "☐", "[ ]", "[]"})


_SPACE_RUN = re.compile(r"[ \t\u00a0]+")
_NOTHING_TO_COLLAPSE = re.compile(r"[^\n\r\t\u00a0]*").fullmatch  # and no two spaces in a row: checked apart


class Unreadable(ValueError):
    """The text cannot be read as a value of its field's type at all (not a number, not a date, none
    of the choices): a person reads it from the document. Never a reason to reject a form, unlike
    a value that was read and is wrong (a date too old, a county of another state)."""


def clean_text(value: object) -> str | None:
    """Collapse runs of spaces, keep line breaks; empty becomes None."""
    if value is None:
        return None
    text = str(value)
    # Most values are one line with single spaces: nothing to collapse, only the ends to trim.
    if "  " not in text and _NOTHING_TO_COLLAPSE(text):
        return text.strip() or None
    lines = [_SPACE_RUN.sub(" ", line).strip() for line in text.replace("\r\n", "\n").split("\n")]
    text = "\n".join(lines).strip()
    return text or None


def _quoted(text: str, limit: int = 40) -> str:
    """The text for a message: all of it, or its start when it is long."""
    text = text.strip()
    return text if len(text) <= limit else text[:limit] + "…"


def check_year(day: date, text: str) -> date:
    """``day`` when its year is one of ``DATE_YEARS``; else ValueError quoting ``text``."""
    first, last = DATE_YEARS
    if not first <= day.year <= last:
        raise ValueError(
            f"'{_quoted(text)}' is not a plausible date (the year {day.year} is outside {first} to {last}); check the year"
        )
    return day


def parse_date(text: str) -> date:
    """A date written in one of ``DATE_FORMATS`` ('March 8th, 2027' too), in one of ``DATE_YEARS``;
    Unreadable for text that is no date."""
    cleaned = re.sub(r"\s+", " ", text.strip()).replace(" ,", ",")
    if len(cleaned) <= MAX_DATE_LENGTH:
        cleaned = re.sub(r"(\d)(st|nd|rd|th)\b", r"\1", cleaned)
        for fmt in DATE_FORMATS:
            try:
                day = datetime.strptime(cleaned, fmt).date()
            except ValueError:
                continue
            return check_year(day, text)
    raise Unreadable(f"'{_quoted(text)}' is not a date we can read; write it as MM/DD/YYYY, for example 03/08/2027")


def normalise_phone(text: str) -> str:
    """A 10-digit US number, with any punctuation and an optional +1, as ``(517) 555-0142``."""
    import phonenumbers  # here, not above: with email_validator, 0.2 s of a run by hand that reads nothing

    digits = re.sub(r"\D", "", text)
    try:
        number = phonenumbers.parse(text, "US")
    except phonenumbers.NumberParseException:
        number = None
    if number is None or number.country_code != 1 or len(str(number.national_number)) != 10:
        raise ValueError(
            f"'{text}' is not a 10-digit US phone number ({len(digits)} digits found); "
            "write the area code and number, for example (517) 555-0142"
        )
    national = str(number.national_number)
    extension = f" ext. {number.extension}" if number.extension else ""
    return f"({national[:3]}) {national[3:6]}-{national[6:]}{extension}"


def normalise_email(text: str) -> str:
    """The address as ``email_validator`` normalises it (whether mail is delivered there is not
    checked); ValueError for text that is no address."""
    # An address holds no space: one beside its "@" ("name @ agency.org", or a picture's text
    # recognition parting the words there) is read as not there. (Not beside a dot: "j. smith"
    # may be two people's names, and a person reads it.)
    from email_validator import EmailNotValidError, validate_email

    joined = re.sub(r"\s*@\s*", "@", text.strip())
    try:
        result = validate_email(joined, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(f"'{text}' is not an email address ({exc}); write it as name@agency.org") from exc
    return result.normalized


def normalise_zip(text: str, *, michigan_only: bool) -> str:
    """A 5-digit ZIP code, with its +4 when written (``48933-1234``); ValueError for anything else,
    and for one outside Michigan's range when ``michigan_only``."""
    match = re.fullmatch(r"\s*(\d{5})(?:\s*-\s*(\d{4}))?\s*", text)
    if not match:
        raise ValueError(f"'{text}' is not a ZIP code; write 5 digits, for example 48933")
    zip5 = int(match.group(1))
    if michigan_only and not MICHIGAN_ZIP_RANGE[0] <= zip5 <= MICHIGAN_ZIP_RANGE[1]:
        raise ValueError(f"'{text}' is not a Michigan ZIP code (48001 to 49971)")
    return match.group(1) + (f"-{match.group(2)}" if match.group(2) else "")


def normalise_state(text: str) -> str:
    """The two-letter code of a US state or territory, written as its code (in any case), its name
    or its traditional abbreviation ('Mich.'); Unreadable for anything else."""
    cleaned = text.strip().rstrip(".")
    code = cleaned.upper().replace(".", "")
    if code in US_STATES:
        return code
    if cleaned.casefold() in _STATE_BY_NAME:
        return _STATE_BY_NAME[cleaned.casefold()]
    abbreviation = "".join(cleaned.casefold().replace(".", " ").split())
    if abbreviation in _STATE_BY_ABBREVIATION:
        return _STATE_BY_ABBREVIATION[abbreviation]
    raise Unreadable(f"'{text}' is not a US state; write its two-letter code, for example MI")


def state_code_as_read(text: str) -> str | None:
    """The code a state's two-letter code read in small letters is ('Mi', 'mi': MI); None for
    anything else. Text recognition reads a capital 'I' or 'L' at a word's end as 'i' or 'l', and a
    code has no small letters to keep."""
    cleaned = text.strip()
    code = cleaned.upper()
    if len(cleaned) == 2 and cleaned != code and code in US_STATES:
        return code
    return None


def _too_large(number: Decimal) -> bool:
    """More than ``MAX_NUMBER_DIGITS`` digits before the point, counting the exponent ('1e16', '0e99')."""
    return number.adjusted() >= MAX_NUMBER_DIGITS


def parse_int(text: str) -> int:
    """A whole number as written ('1,200', '40.0'); Unreadable for text that is no number,
    ValueError for a fraction or a number too large."""
    # Bounded before converting: int() of Decimal('1e999999') builds a million-digit number (40 s).
    if len(text.strip()) > MAX_NUMBER_LENGTH:
        raise Unreadable(
            f"'{_quoted(text)}' is too long to be a whole number ({len(text.strip())} characters); "
            "write it in digits, for example 40"
        )
    cleaned = text.strip().replace(",", "")
    try:
        number = Decimal(cleaned)
    except InvalidOperation:
        raise Unreadable(f"'{text}' is not a whole number") from None
    if not number.is_finite() or number != number.to_integral_value():
        raise ValueError(f"'{text}' is not a whole number")
    if _too_large(number):
        raise ValueError(
            f"'{text.strip()}' is too large a number (more than {MAX_NUMBER_DIGITS} digits); "
            "write it in digits, for example 40"
        )
    return int(number)


def parse_decimal(text: str) -> Decimal:
    """A decimal number, its point written as a point or a comma ('0,5'); Unreadable for text that
    is no number, ValueError for one too large or with too many decimal places."""
    if len(text.strip()) > MAX_NUMBER_LENGTH:
        raise Unreadable(
            f"'{_quoted(text)}' is too long to be a number ({len(text.strip())} characters); "
            "write it as a decimal, for example 0.5"
        )
    cleaned = text.strip().replace(",", ".")
    try:
        number = Decimal(cleaned)
    except InvalidOperation:
        raise Unreadable(f"'{text}' is not a number; write it as a decimal, for example 0.5") from None
    if not number.is_finite():
        raise ValueError(f"'{text}' is not a number")
    if _too_large(number):
        raise ValueError(
            f"'{text.strip()}' is too large a number (more than {MAX_NUMBER_DIGITS} digits before the point); "
            "write it as a decimal, for example 0.5"
        )
    if int(number.as_tuple().exponent) < -MAX_NUMBER_DIGITS:
        raise ValueError(
            f"'{text.strip()}' has too many decimal places (more than {MAX_NUMBER_DIGITS}); "
            "write it as a decimal, for example 0.5"
        )
    return number


def parse_checkbox(value: object) -> bool:
    """Whether a box is checked: a bool as it is, None as unchecked, text by the words and marks
    people use (``TRUE_WORDS``, ``FALSE_WORDS``); ValueError for anything else."""
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    word = str(value).strip().casefold()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(f"'{value}' is neither a checked nor an unchecked box")


def _choice_key(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().casefold())


def match_choice(text: str, choices: tuple[str, ...]) -> str:
    """The choice as printed, for the text or a short form of it people write.

    'lmsw' and 'Licensed Master Social Worker' both mean 'Licensed Master Social Worker (LMSW)';
    'Update' means 'Update: change in model implementation or hiring practices'.
    """
    wanted = _choice_key(text)
    for choice in choices:
        if wanted == _choice_key(choice):
            return choice
    short_forms: dict[str, list[str]] = {}
    for choice in choices:
        for short in re.findall(r"\(([^)]+)\)", choice):
            short_forms.setdefault(_choice_key(short), []).append(choice)
        head = re.split(r"[(:]", choice, maxsplit=1)[0]
        if head.strip() and head != choice:
            short_forms.setdefault(_choice_key(head), []).append(choice)
    matches = short_forms.get(wanted, [])
    if len(matches) == 1:
        return matches[0]
    options = "; ".join(f"'{c}'" for c in choices)
    raise Unreadable(f"'{text}' is not one of the choices: {options}")


# Words people write after a number that only repeat its unit ("12 hours a week"); the unit
# itself is taken from the field's printed label ("Hours per week"), never from a list of its own.
_UNIT_FILLERS = frozenset({"a", "an", "per", "each", "every", "in", "total"})
_UNIT_SHORT = {"hrs": "hour", "hr": "hour", "h": "hour", "wk": "week", "wks": "week", "pos": "position", "ftes": "fte"}
_NUMBER_THEN_WORDS = re.compile(r"^\s*(\d[\d,]*(?:\.\d+)?)\s*([^\d]*?)\s*\.?\s*$")


def _word_stem(word: str) -> str:
    word = _UNIT_SHORT.get(word, word)
    return word[:-1] if len(word) > 3 and word.endswith("s") else word


def without_unit(text: str, label: str) -> str:
    """'12 hours', '36 hrs/week', '40 hours a week', '1.0 FTE', '3 positions' -> the number alone,
    when what follows it is the field's unit as its printed label names it; otherwise the text as
    it is, for a person to read.

    The unit is a word of the label before "per" ("Hours per week": hours; "FTE per position":
    FTE), or any word of a label without one ("Number of PSP positions planned"); after the unit
    only fillers ("a", "per") and the label's words after "per" ("week") may follow. So '12 weeks'
    for hours per week, '1 position' for FTE per position, 'about 3' or '3-4' stay as written.
    """
    match = _NUMBER_THEN_WORDS.match(text)
    if match is None or not match.group(2):
        return text
    written = match.group(2).casefold()
    if re.search(r"[^a-z\s/.]", written):
        return text
    label_words = [_word_stem(w) for w in re.findall(r"[a-z]+", label.casefold())]
    if "per" in label_words:
        cut = label_words.index("per")
        units, denominators = set(label_words[:cut]), set(label_words[cut + 1:])
    else:
        units, denominators = set(label_words), set()
    words = [_word_stem(w) for w in re.findall(r"[a-z]+", written)]
    if words and words[0] in units and all(w in _UNIT_FILLERS or w in denominators for w in words[1:]):
        return match.group(1)
    return text


def split_list(text: str, *, slash: bool = True) -> list[str]:
    """'Clinton, Eaton and Ingham' -> ['Clinton', 'Eaton', 'Ingham']. ``slash=False`` keeps a slash
    inside an item (a choice named "I/DD")."""
    separators = r"[,;/\n]" if slash else r"[,;\n]"
    parts = re.split(rf"\s*(?:{separators}|\band\b|&)\s*", text.strip(), flags=re.IGNORECASE)
    return [p.strip() for p in parts if p.strip()]


def word_count(text: str | None) -> int:
    """How many words ``text`` has (none for None); a hyphenated word or one with an apostrophe
    counts once."""
    return len(re.findall(r"\w+(?:['’-]\w+)*", text or ""))
