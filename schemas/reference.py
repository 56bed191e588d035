"""Reference data the coordinator owns: Michigan's CMHSPs with aliases, the counties, the training
schedule. Read from CSV/text files so they can be replaced without touching code; the copies in
``schemas/reference`` are the defaults.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from difflib import SequenceMatcher
from importlib import resources
from pathlib import Path
from typing import TypeVar

from schemas.values import parse_date

T = TypeVar("T")

REFERENCE_FILES = ("cmhsps.csv", "michigan_counties.txt", "training_sessions.csv")


def _match_key(text: str) -> str:
    """Case, punctuation and spacing do not tell names apart: 'CMHA-CEI' == 'cmha cei'."""
    return re.sub(r"[^a-z0-9]+", "", text.casefold())


# How alike a misread CMHSP name and a CMHSP's must be, and how much less like it the next CMHSP
# (``ReferenceData.likeliest_cmhsp``): 0.7 named a wrong CMHSP 3 times in 3,000, 0.75 never.
LIKENESS = 0.75
LIKENESS_MARGIN = 0.1


@dataclass(frozen=True)
class TrainingSession:
    session_id: str
    start_date: date
    end_date: date
    days: int
    location: str
    capacity: int


@dataclass(frozen=True)
class ReferenceData:
    cmhsps: tuple[str, ...]
    counties: tuple[str, ...]
    sessions: dict[str, TrainingSession]
    source: str
    # The CMHSPs' email domains (cmhsps.csv's optional ``domains`` column): what a mail rule's
    # ``cmhsp`` stands for (``pipeline.mailbox.accounts.Rule``).
    cmhsp_domains: frozenset[str] = frozenset()
    _cmhsp_index: dict[str, str] = field(repr=False, compare=False, default_factory=dict)
    _county_index: dict[str, str] = field(repr=False, compare=False, default_factory=dict)

    def canonical_cmhsp(self, text: str) -> str | None:
        """The CMHSP's official name for a name or alias as people write it, or None.

        A description after the name ('CEI CMH (Clinton-Eaton-Ingham)', 'Summit Pointe - Calhoun')
        is allowed when the parts name one CMHSP and no other."""
        return _one_of(self._cmhsp_index.get(_match_key(part)) for part in _named_parts(text))

    def likeliest_cmhsp(self, misread: str) -> str | None:
        """The CMHSP a name text recognition misread most likely is ('CE! CMH', 'GMHA-CE!'), for a
        reviewer's eyes only, never taken as the value: the one whose name or an alias is most like
        it letter by letter (``LIKENESS`` or more) when no other CMHSP's comes within ``LIKENESS_MARGIN``.
        None too when the text names a county the CMHSP's names do not. Measured on 3,000 names and
        aliases with one or two letters misread: 88% named, none wrongly."""
        key = _match_key(misread)
        if not 4 <= len(key) <= 2 * max(map(len, self._cmhsp_index), default=0):
            return None  # 'jgx' is like too many short names; a paragraph is like none
        likeness: dict[str, float] = {}
        for alias, name in self._cmhsp_index.items():
            ratio = SequenceMatcher(None, key, alias, autojunk=False).ratio()
            likeness[name] = max(ratio, likeness.get(name, 0.0))
        ranked = sorted(likeness.items(), key=lambda item: -item[1])
        best, ratio = ranked[0] if ranked else (None, 0.0)
        runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
        if best is None or ratio < LIKENESS or runner_up > ratio - LIKENESS_MARGIN:
            return None
        # a county the text names that the CMHSP's names do not: another agency ('Bay County CMH' is
        # like Barry County's name, but Bay County is Bay-Arenac's)
        names = " ".join(alias for alias, name in self._cmhsp_index.items() if name == best)
        words = f" {' '.join(re.findall(r'[a-z0-9]+', misread.casefold()))} "
        for county_key, county in self._county_index.items():
            spelled = " ".join(re.findall(r"[a-z0-9]+", county.casefold()))
            if f" {spelled} " in words and county_key not in names:
                return None
        return best

    def canonical_county(self, text: str) -> str | None:
        """'st clair county' -> 'St. Clair'; None when it is not a Michigan county."""
        name = re.sub(r"^\s*(?:the\s+)?count(?:y|ies)\s+of\s+", "", text.strip(), flags=re.IGNORECASE)
        name = re.sub(r"\s+(count(?:y|ies)|co\.?|cty\.?)\s*$", "", name, flags=re.IGNORECASE)
        return self._county_index.get(_match_key(name))

    def session(self, text: str) -> TrainingSession | None:
        """The session an id names; also when a description follows it ('2027-01-LAN (Lansing)'), as
        long as the text names one session of the schedule and no other."""
        exact = self.sessions.get(text.strip().upper())
        if exact is not None:
            return exact
        named = {token for token in re.findall(r"[A-Z0-9]+(?:-[A-Z0-9]+)+", text.upper()) if token in self.sessions}
        return self.sessions[named.pop()] if len(named) == 1 else None


def _named_parts(text: str) -> list[str]:
    """The text, and the name when a description follows it: before a closing parenthesis or a
    spaced dash. Never what follows ('Private Clinic - DWIHN' names a clinic, not the CMHSP)."""
    parts = [text, re.sub(r"\s*\([^)]*\)\s*$", "", text), re.split(r"\s+[-–—:]\s+", text, maxsplit=1)[0]]
    return [p for p in parts if p.strip()]


def _one_of(found: object) -> str | None:
    names = {name for name in found if name}  # type: ignore[attr-defined]
    return names.pop() if len(names) == 1 else None


SESSION_COLUMNS = ("session_id", "start_date", "end_date", "days", "location", "capacity")
CMHSP_COLUMNS = ("name", "aliases")
CMHSP_OPTIONAL = ("aliases", "domains")  # a row may leave these off; ``domains`` may be left out of the header
_EMAIL_DOMAIN = re.compile(r"^(?=.{4,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$")


def _csv_rows(
    text: str, source: str, columns: tuple[str, ...], what: str, *, optional: tuple[str, ...] = ()
) -> Iterator[tuple[int, dict[str, str]]]:
    """Each row of a reference CSV with the line it ends on, after checking that the header names
    ``columns``. ValueError when the file is empty, a column is missing, no row follows the
    header, or a row has more values than the header (an unquoted comma) or fewer (only the
    ``optional`` columns may be left off the end of a row). Header names are read without case or
    surrounding spaces; a byte order mark (a spreadsheet's "CSV UTF-8") is ignored."""
    header = ",".join(columns)
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise ValueError(f"{source} line 1: the file is empty; its first line must be the header {header}")
    reader = csv.reader(io.StringIO(text, newline=""))
    names = [name.strip().casefold() for name in next(reader, [])]
    missing = [column for column in columns if column not in names]
    if missing:
        listed = ", ".join(f"'{column}'" for column in missing)
        raise ValueError(f"{source} line 1: the header has no {listed} column; the first line must be {header}")
    rows = 0
    for cells in reader:
        if not any(cell.strip() for cell in cells):
            continue  # a blank line
        left_off = names[len(cells) :]
        if len(cells) > len(names) or any(name not in optional for name in left_off):
            raise ValueError(
                f"{source} line {reader.line_num}: {len(cells)} value{'s' if len(cells) != 1 else ''} for the "
                f"{len(names)} columns of the header {header}; put a value that holds a comma in double quotes"
            )
        rows += 1
        yield reader.line_num, dict(zip(names, [*cells, *[""] * len(left_off)], strict=True))
    if not rows:
        raise ValueError(f"{source} line {reader.line_num + 1}: no {what} after the header; list one {what} per line")


def parse_sessions(text: str, source: str = "training_sessions.csv") -> dict[str, TrainingSession]:
    """The training schedule from CSV text (session_id,start_date,end_date,days,location,capacity),
    as the coordinator keeps it or Excel saves it ("CSV UTF-8", with its byte order mark).

    Dates are read in the formats the program prints them (``sessions list``: 01/11/2027, as
    Excel writes it too: 1/11/2027; the exports: 2027-01-11) and the others a form's dates are read
    in. Raises ValueError naming the line and the column of an empty or repeated session id, a
    value that is not a date or a whole number, an end before the start or a negative capacity,
    and the line of a file with no session.
    """
    sessions: dict[str, TrainingSession] = {}
    line_of: dict[str, int] = {}
    for line_no, row in _csv_rows(text, source, SESSION_COLUMNS, "training session"):
        where = _cell_place(source, line_no, list(row))
        session_id = row["session_id"].strip().upper()
        if not session_id:
            raise ValueError(f"{where('session_id')}: it is empty; give each session an id")
        if session_id in line_of:
            raise ValueError(
                f"{where('session_id')}: session {session_id} is already on line {line_of[session_id]}; "
                "list each session once"
            )
        session = TrainingSession(
            session_id=session_id,
            start_date=_cell(parse_date, row, "start_date", where),
            end_date=_cell(parse_date, row, "end_date", where),
            days=_cell(_whole_number, row, "days", where),
            location=row["location"].strip(),
            capacity=_cell(_whole_number, row, "capacity", where),
        )
        if session.end_date < session.start_date:
            raise ValueError(
                f"{where('end_date')}: the session ends ({session.end_date:%m/%d/%Y}) before it starts "
                f"({session.start_date:%m/%d/%Y}); check both dates"
            )
        if session.capacity < 0:
            raise ValueError(f"{where('capacity')}: {session.capacity} seats; give 0 or more")
        sessions[session.session_id] = session
        line_of[session_id] = line_no
    return sessions


def _cell_place(source: str, line_no: int, names: list[str]) -> Callable[[str], str]:
    """Where a cell of a row is, as a spreadsheet shows it: 'file line 3, column B (start_date)'."""

    def where(column: str) -> str:
        letters, number = "", names.index(column) + 1
        while number:
            number, left = divmod(number - 1, 26)
            letters = chr(ord("A") + left) + letters
        return f"{source} line {line_no}, column {letters} ({column})"

    return where


def _cell(read: Callable[[str], T], row: dict[str, str], column: str, where: Callable[[str], str]) -> T:
    """A cell of the row read by ``read``; its ValueError said with the cell's line and column."""
    try:
        return read(row[column])
    except ValueError as exc:
        raise ValueError(f"{where(column)}: {exc}") from exc


def _whole_number(text: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        shown = text.strip() if len(text.strip()) <= 40 else text.strip()[:40] + "…"
        raise ValueError(f"'{shown}' is not a whole number; write it in digits, for example 24") from None


def _read_text(folder: Path | None, name: str) -> str:
    if folder is None:
        return resources.files("schemas").joinpath("reference", name).read_text("utf-8")
    return (folder / name).read_text("utf-8")


def _as(listed: str, written: str) -> str:
    """' as ...' when an entry listed twice was written otherwise the first time."""
    return f" as '{listed}'" if listed != written else ""


def _parse_cmhsps(text: str, source: str = "cmhsps.csv") -> tuple[list[str], dict[str, str]]:
    """The CMHSPs' names, and the index of their names and aliases by match key.

    An empty name, a CMHSP listed twice, or a name or alias that stands for two CMHSPs is a
    ValueError naming the line: a name must find one CMHSP or none.
    """
    cmhsps: list[str] = []
    line_of: dict[str, int] = {}  # CMHSP name -> its line
    index: dict[str, str] = {}  # match key of a name or alias -> CMHSP name
    for line_no, row in _csv_rows(text, source, CMHSP_COLUMNS, "CMHSP", optional=CMHSP_OPTIONAL):
        name = row["name"].strip()
        if not _match_key(name):
            what = f"'{name}' is not a name" if name else "the name column is empty"
            raise ValueError(f"{source} line {line_no}: {what}; give the CMHSP's full name")
        earlier = index.get(_match_key(name))
        if earlier is not None and _match_key(earlier) == _match_key(name):
            raise ValueError(
                f"{source} line {line_no}: '{name}' is already listed on line {line_of[earlier]}"
                f"{_as(earlier, name)}; list each CMHSP once"
            )
        for alias in [name, *row["aliases"].split(";")]:
            key = _match_key(alias)
            if not key:
                continue
            owner = index.setdefault(key, name)
            if owner != name:
                what = f"the name '{name}'" if alias is name else f"the alias '{alias.strip()}' of '{name}'"
                raise ValueError(
                    f"{source} line {line_no}: {what} already stands for '{owner}' (line {line_of[owner]}); "
                    "give each name and alias to one CMHSP only"
                )
        cmhsps.append(name)
        line_of[name] = line_no
    return cmhsps, index


def parse_cmhsp_domains(text: str, source: str = "cmhsps.csv") -> frozenset[str]:
    """The CMHSPs' email domains: the ``domains`` column of cmhsps.csv, several to a CMHSP
    separated by ``;`` (``cei.example.org; ceicmh.example.org``), case and a leading ``@`` ignored.
    Empty when the file has no such column. ValueError naming the line of one that is not a domain."""
    domains: set[str] = set()
    for line_no, row in _csv_rows(text, source, CMHSP_COLUMNS, "CMHSP", optional=CMHSP_OPTIONAL):
        for written in row.get("domains", "").split(";"):
            domain = written.strip().lstrip("@").rstrip(".").lower()
            if not domain:
                continue
            if not _EMAIL_DOMAIN.match(domain):
                raise ValueError(f"{source} line {line_no}: '{written.strip()}' is not an email domain; write the "
                                 "part after the @ (cei.example.org), several separated by ;")
            domains.add(domain)
    return frozenset(domains)


def _parse_counties(text: str, source: str = "michigan_counties.txt") -> tuple[str, ...]:
    """The counties, one a line (blank lines skipped); one listed twice, or none, is a ValueError."""
    counties: list[str] = []
    line_of: dict[str, int] = {}  # match key -> line
    named: dict[str, str] = {}  # match key -> county as listed first
    for line_no, line in enumerate(text.removeprefix("\ufeff").split("\n"), start=1):
        county = line.strip()
        if not county:
            continue
        key = _match_key(county)
        if not key:
            raise ValueError(f"{source} line {line_no}: '{county}' is not a county name; write one county per line")
        if key in line_of:
            raise ValueError(
                f"{source} line {line_no}: '{county}' is already listed on line {line_of[key]}"
                f"{_as(named[key], county)}; list each county once"
            )
        counties.append(county)
        line_of[key] = line_no
        named[key] = county
    if not counties:
        raise ValueError(f"{source} line 1: the file lists no county; list one Michigan county per line")
    return tuple(counties)


def load_reference(folder: Path | None = None) -> ReferenceData:
    """Read the three reference files from ``folder``, or the packaged defaults when None.

    Each is checked as it is read: the expected header, at least one entry, no empty id, none
    listed twice (a CMHSP, an alias of two CMHSPs, a county, a session id). Raises OSError when a
    file cannot be read, ValueError naming the file and line that is wrong and what to do.
    """
    cmhsps_text = _read_text(folder, "cmhsps.csv")
    cmhsps, cmhsp_index = _parse_cmhsps(cmhsps_text)
    counties = _parse_counties(_read_text(folder, "michigan_counties.txt"))
    county_index = {_match_key(c): c for c in counties}
    sessions = parse_sessions(_read_text(folder, "training_sessions.csv"))

    return ReferenceData(
        cmhsps=tuple(cmhsps),
        counties=counties,
        sessions=sessions,
        source=str(folder) if folder else "packaged defaults",
        cmhsp_domains=parse_cmhsp_domains(cmhsps_text),
        _cmhsp_index=cmhsp_index,
        _county_index=county_index,
    )
