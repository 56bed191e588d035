"""Attacks the coordinator's reference files: an empty, header-only or contradictory cmhsps.csv,
michigan_counties.txt or training_sessions.csv must stop the run before any document is judged.

Issue 16, item 12: an empty ``cmhsps.csv`` in the data home's ``reference/`` folder was accepted,
so every valid plan failed (its CMHSP "unknown") and a notice went to each sender. Each file is
now checked as it is read: its header has the expected columns, it lists at least one entry, no
id is empty and none is listed twice (CMHSP names, an alias given to two CMHSPs, counties,
session ids). A broken file raises ValueError naming the file, the line and what to do; the
command line turns it into one line on stderr and exit status 4, and touches nothing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from pipeline.errors import ConfigurationError
from schemas.reference import REFERENCE_FILES, load_reference

PACKAGED = Path(__file__).resolve().parents[2] / "schemas" / "reference"
SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "submissions" / "orp_valid_cei.pdf"
CLI = Path(sys.executable).with_name("psp-pipeline")

PACKAGED_CMHSP_LINES = len((PACKAGED / "cmhsps.csv").read_text("utf-8").splitlines())  # header + 46
PACKAGED_COUNTY_LINES = len((PACKAGED / "michigan_counties.txt").read_text("utf-8").splitlines())  # 83
PACKAGED_SESSION_LINES = len((PACKAGED / "training_sessions.csv").read_text("utf-8").splitlines())  # header + 6


def _replace(text: str) -> Callable[[str], str]:
    return lambda _packaged: text


def _append(line: str) -> Callable[[str], str]:
    return lambda packaged: packaged + line + "\n"


def _first_line_becomes(header: str) -> Callable[[str], str]:
    return lambda packaged: "\n".join([header, *packaged.splitlines()[1:]]) + "\n"


# (file, how it is broken, what the error must say): one case per kind of breakage.
BREAKAGES = {
    "empty cmhsps.csv": ("cmhsps.csv", _replace(""), ["cmhsps.csv line 1", "empty"]),
    "empty county list": ("michigan_counties.txt", _replace("\n\n"), ["michigan_counties.txt line 1", "county"]),
    "empty schedule": ("training_sessions.csv", _replace(""), ["training_sessions.csv line 1", "empty"]),
    "cmhsps.csv header only": ("cmhsps.csv", _replace("name,aliases\n"), ["cmhsps.csv line 2", "no CMHSP"]),
    "schedule header only": (
        "training_sessions.csv",
        _replace("session_id,start_date,end_date,days,location,capacity\n"),
        ["training_sessions.csv line 2", "no training session"],
    ),
    "cmhsps.csv missing a column": (
        "cmhsps.csv",
        _first_line_becomes("agency,aliases"),
        ["cmhsps.csv line 1", "'name'", "name,aliases"],
    ),
    "schedule missing a column": (
        "training_sessions.csv",
        _first_line_becomes("session_id,start_date,end_date,days,location"),
        ["training_sessions.csv line 1", "'capacity'"],
    ),
    "duplicate CMHSP": (
        "cmhsps.csv",
        _append("barry county community mental health authority,Barry CMHA"),
        [f"cmhsps.csv line {PACKAGED_CMHSP_LINES + 1}", "line 4", "once"],
    ),
    "alias given to two CMHSPs": (
        "cmhsps.csv",
        _append("Lakeshore Family Wellness Center,Lakeshore CMH;CEI CMH"),
        [f"cmhsps.csv line {PACKAGED_CMHSP_LINES + 1}", "'CEI CMH'", "Clinton-Eaton-Ingham", "one CMHSP"],
    ),
    "name of one CMHSP is the alias of another": (
        "cmhsps.csv",
        _append("OnPoint,"),
        [f"cmhsps.csv line {PACKAGED_CMHSP_LINES + 1}", "'OnPoint'", "Allegan", "one CMHSP"],
    ),
    "duplicate county": (
        "michigan_counties.txt",
        _append("st clair"),
        [f"michigan_counties.txt line {PACKAGED_COUNTY_LINES + 1}", "St. Clair", "once"],
    ),
    "duplicate session id": (
        "training_sessions.csv",
        _append("2027-01-lan,2028-01-10,2028-01-14,5,Lansing,12"),
        [f"training_sessions.csv line {PACKAGED_SESSION_LINES + 1}", "2027-01-LAN", "line 2", "once"],
    ),
    "empty CMHSP name": (
        "cmhsps.csv",
        _append(" ,Nameless CMH"),
        [f"cmhsps.csv line {PACKAGED_CMHSP_LINES + 1}", "name", "empty"],
    ),
    "empty session id": (
        "training_sessions.csv",
        _append(" ,2028-01-10,2028-01-14,5,Flint,12"),
        [f"training_sessions.csv line {PACKAGED_SESSION_LINES + 1}", "session_id", "empty"],
    ),
    "session line with an unquoted comma": (
        "training_sessions.csv",
        _append("2028-01-GR,2028-01-10,2028-01-14,5,Grand Rapids, MI,12"),
        [f"training_sessions.csv line {PACKAGED_SESSION_LINES + 1}", "7 values", "6"],
    ),
    "session in the year 9999": (
        "training_sessions.csv",
        _append("2028-01-FAR,2028-01-10,9999-12-31,5,Flint,12"),
        [f"training_sessions.csv line {PACKAGED_SESSION_LINES + 1}", "9999"],
    ),
}


def reference_folder(folder: Path, broken: str | None = None, breaker: Callable[[str], str] | None = None) -> Path:
    """The packaged reference files copied into ``folder``, one of them broken by ``breaker``."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in REFERENCE_FILES:
        shutil.copy(PACKAGED / name, folder / name)
    if broken is not None and breaker is not None:
        path = folder / broken
        path.write_text(breaker(path.read_text("utf-8")), encoding="utf-8", newline="")
    return folder


def test_the_packaged_files_and_an_unbroken_copy_load(tmp_path):
    for reference in (load_reference(None), load_reference(reference_folder(tmp_path / "reference"))):
        assert len(reference.cmhsps) == PACKAGED_CMHSP_LINES - 1
        assert len(reference.counties) == PACKAGED_COUNTY_LINES
        assert len(reference.sessions) == PACKAGED_SESSION_LINES - 1


@pytest.mark.parametrize(("name", "breaker", "said"), BREAKAGES.values(), ids=BREAKAGES.keys())
def test_a_broken_reference_file_is_refused_naming_the_file_and_line(tmp_path, name, breaker, said):
    folder = reference_folder(tmp_path / "reference", name, breaker)
    with pytest.raises(ValueError) as raised:
        load_reference(folder)
    message = str(raised.value)
    for part in said:
        assert part in message, message
    assert "\n" not in message and len(message) < 400, message


def test_a_spreadsheet_saved_file_with_a_byte_order_mark_and_spaced_header_loads(tmp_path):
    folder = reference_folder(tmp_path / "reference")
    packaged = (PACKAGED / "cmhsps.csv").read_text("utf-8").splitlines()
    (folder / "cmhsps.csv").write_text("\ufeff Name , Aliases \r\n" + "\r\n".join(packaged[1:]) + "\r\n", encoding="utf-8")
    assert len(load_reference(folder).cmhsps) == PACKAGED_CMHSP_LINES - 1


def test_an_alias_repeated_for_its_own_cmhsp_is_no_conflict(tmp_path):
    folder = reference_folder(
        tmp_path / "reference", "cmhsps.csv", _append("Lakeshore Family Wellness Center,Lakeshore CMH;lakeshore cmh;;")
    )
    assert load_reference(folder).canonical_cmhsp("LAKESHORE-CMH") == "Lakeshore Family Wellness Center"


# The command line: exit status 4, one line on stderr, the inbox untouched, no notice written.


def _cli(*args: str, database_url: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if not key.startswith("PSP_")}
    env["PSP_DATABASE_URL"] = database_url
    return subprocess.run([str(CLI), *args], env=env, capture_output=True, text=True, timeout=300, check=False)


CLI_CASES = ["empty cmhsps.csv", "alias given to two CMHSPs", "duplicate session id"]


@pytest.mark.parametrize("case", CLI_CASES)
def test_a_run_with_broken_reference_data_stops_before_judging_anything(tmp_path, database_url, case):
    home = tmp_path / "home"
    initialised = _cli("init", "--home", str(home), database_url=database_url)
    assert initialised.returncode == 0, initialised.stderr
    name, breaker, said = BREAKAGES[case]
    reference_folder(home / "reference", name, breaker)
    dropped = home / "inbox" / SAMPLE.name
    shutil.copy(SAMPLE, dropped)
    before = (dropped.read_bytes(), dropped.stat().st_mtime_ns)

    ran = _cli("run", "--without-prefect", "--home", str(home), database_url=database_url)

    assert ran.returncode == ConfigurationError.exit_code == 4, (ran.stdout, ran.stderr)
    lines = ran.stderr.splitlines()
    assert len(lines) == 1, ran.stderr
    assert "Traceback" not in ran.stderr
    assert said[0] in lines[0] and str(home / "reference") in lines[0]
    assert [p.name for p in (home / "inbox").iterdir()] == [SAMPLE.name]
    assert (dropped.read_bytes(), dropped.stat().st_mtime_ns) == before
    assert not (home / "notices").exists() or not any((home / "notices").rglob("*"))
