"""Reference data the coordinator owns: Michigan's CMHSPs with aliases, the counties, the training
schedule. Read from CSV/text files so they can be replaced without touching code; the copies in
``schemas/reference`` are the defaults.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path

REFERENCE_FILES = ("cmhsps.csv", "michigan_counties.txt", "training_sessions.csv")


def _match_key(text: str) -> str:
    """Case, punctuation and spacing do not tell names apart: 'CMHA-CEI' == 'cmha cei'."""
    return re.sub(r"[^a-z0-9]+", "", text.casefold())


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
    _cmhsp_index: dict[str, str] = field(repr=False, compare=False, default_factory=dict)
    _county_index: dict[str, str] = field(repr=False, compare=False, default_factory=dict)

    def canonical_cmhsp(self, text: str) -> str | None:
        """The CMHSP's official name for a name or alias as people write it, or None."""
        return self._cmhsp_index.get(_match_key(text))

    def canonical_county(self, text: str) -> str | None:
        """'st clair county' -> 'St. Clair'; None when it is not a Michigan county."""
        name = re.sub(r"\s+(county|co\.?)\s*$", "", text.strip(), flags=re.IGNORECASE)
        return self._county_index.get(_match_key(name))

    def session(self, session_id: str) -> TrainingSession | None:
        return self.sessions.get(session_id.strip().upper())


def parse_sessions(text: str, source: str = "training_sessions.csv") -> dict[str, TrainingSession]:
    """The training schedule from CSV text (session_id,start_date,end_date,days,location,capacity)."""
    sessions: dict[str, TrainingSession] = {}
    for line_no, row in enumerate(csv.DictReader(text.splitlines()), start=2):
        try:
            session = TrainingSession(
                session_id=row["session_id"].strip().upper(),
                start_date=date.fromisoformat(row["start_date"].strip()),
                end_date=date.fromisoformat(row["end_date"].strip()),
                days=int(row["days"]),
                location=row["location"].strip(),
                capacity=int(row["capacity"]),
            )
        except (KeyError, ValueError, AttributeError, TypeError) as exc:
            raise ValueError(f"{source} line {line_no}: {exc}") from exc
        if session.capacity < 0 or session.end_date < session.start_date:
            raise ValueError(f"{source} line {line_no}: capacity below 0 or end before start")
        sessions[session.session_id] = session
    return sessions


def _read_text(folder: Path | None, name: str) -> str:
    if folder is None:
        return resources.files("schemas").joinpath("reference", name).read_text("utf-8")
    return (folder / name).read_text("utf-8")


def load_reference(folder: Path | None = None) -> ReferenceData:
    """Read the three reference files from ``folder``, or the packaged defaults when None.

    Raises FileNotFoundError or ValueError naming the file and line that is wrong.
    """
    cmhsp_index: dict[str, str] = {}
    cmhsps: list[str] = []
    for line_no, row in enumerate(csv.DictReader(_read_text(folder, "cmhsps.csv").splitlines()), start=2):
        name = (row.get("name") or "").strip()
        if not name:
            raise ValueError(f"cmhsps.csv line {line_no}: the name column is empty")
        cmhsps.append(name)
        for alias in [name, *(row.get("aliases") or "").split(";")]:
            if alias.strip():
                cmhsp_index[_match_key(alias)] = name

    counties = tuple(c.strip() for c in _read_text(folder, "michigan_counties.txt").splitlines() if c.strip())
    county_index = {_match_key(c): c for c in counties}

    sessions = parse_sessions(_read_text(folder, "training_sessions.csv"))

    return ReferenceData(
        cmhsps=tuple(cmhsps),
        counties=counties,
        sessions=sessions,
        source=str(folder) if folder else "packaged defaults",
        _cmhsp_index=cmhsp_index,
        _county_index=county_index,
    )
