"""Reference data: CMHSP names and aliases, counties, sessions; replaceable by the coordinator."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from schemas.reference import REFERENCE_FILES, load_reference, parse_sessions

PACKAGED = Path(__file__).resolve().parents[2] / "schemas" / "reference"


def test_packaged_reference_data():
    reference = load_reference(None)
    assert len(reference.cmhsps) == 46
    assert len(reference.counties) == 83
    assert reference.session("2027-01-lan").start_date == date(2027, 1, 11)


@pytest.mark.parametrize("alias", ["CMHA-CEI", "cmha cei", "CEI CMH", "Clinton Eaton Ingham CMH"])
def test_cmhsp_by_alias_in_any_case_and_punctuation(alias):
    assert load_reference(None).canonical_cmhsp(alias) == "Community Mental Health Authority of Clinton-Eaton-Ingham Counties"


CEI = "Community Mental Health Authority of Clinton-Eaton-Ingham Counties"


@pytest.mark.parametrize(
    ("misread", "likeliest"),
    [
        ("CE! CMH", CEI),  # text recognition's misreadings, as read off scans and faxes
        ("GMHA-CE!", CEI),
        ("Community Mental Health of Ottawa Count", "Community Mental Health of Ottawa County"),
        ("jgx", None),  # for 'ISK': too short to be like one name only
        ("Bay County CMH", None),  # like Barry County's name, but Bay County is another CMHSP's
        ("Ingham CMH", None),  # names a county of CEI's, but is like no name enough
        ("County Community Mental Health", None),  # like many names alike
        ("Lakeshore Family Wellness Center", None),  # not a CMHSP: like none enough
    ],
)
def test_the_cmhsp_a_misread_name_most_likely_is(misread, likeliest):
    assert load_reference(None).likeliest_cmhsp(misread) == likeliest


def test_a_misread_cmhsp_name_is_never_taken_for_another_cmhsp():
    # one or two letters of the CMHSPs' names misread as recognition does: a CMHSP is named for
    # most, and never the wrong one
    import random

    reference, rng = load_reference(None), random.Random(5)
    named = 0
    for _ in range(300):
        name = rng.choice(reference.cmhsps)
        letters = list(name)
        for _ in range(rng.choice((1, 2))):
            letters[rng.randrange(len(letters))] = rng.choice("abcdefghijklmnopqrstuvwxyzl1I!|-")
        likeliest = reference.likeliest_cmhsp("".join(letters))
        assert likeliest in (None, name), ("".join(letters), likeliest)
        named += likeliest == name
    assert named > 240


@pytest.mark.parametrize(("text", "county"), [("st clair county", "St. Clair"), ("Grand Traverse Co.", "Grand Traverse"), ("WAYNE", "Wayne")])
def test_counties_with_or_without_county(text, county):
    assert load_reference(None).canonical_county(text) == county


def test_the_coordinator_replaces_the_lists_without_code(tmp_path):
    for name in REFERENCE_FILES:
        shutil.copy(PACKAGED / name, tmp_path / name)
    with (tmp_path / "cmhsps.csv").open("a", encoding="utf-8") as handle:
        handle.write("Lakeshore Family Wellness Center,Lakeshore CMH\n")
    with (tmp_path / "training_sessions.csv").open("a", encoding="utf-8") as handle:
        handle.write("2028-01-FLINT,2028-01-10,2028-01-14,5,Flint,12\n")
    reference = load_reference(tmp_path)
    assert reference.canonical_cmhsp("lakeshore cmh") == "Lakeshore Family Wellness Center"
    assert reference.session("2028-01-FLINT").capacity == 12


def test_a_broken_schedule_names_the_line(tmp_path):
    for name in REFERENCE_FILES:
        shutil.copy(PACKAGED / name, tmp_path / name)
    with (tmp_path / "training_sessions.csv").open("a", encoding="utf-8") as handle:
        handle.write("2028-01-FLINT,next year,2028-01-14,5,Flint,12\n")
    with pytest.raises(ValueError, match="line 8"):
        load_reference(tmp_path)


SCHEDULE_HEADER = "session_id,start_date,end_date,days,location,capacity\r\n"


def test_a_schedule_as_excel_saves_it_reads(tmp_path):
    # "CSV UTF-8": a byte order mark, CR LF, dates as `sessions list` prints them or as Excel writes them.
    text = ("\ufeff" + SCHEDULE_HEADER + "2027-01-LAN,01/11/2027,1/15/2027,5,Lansing,30\r\n"
            "2027-12-fli,2027-12-06,2027-12-10,5,Flint,12\r\n,,,,,\r\n")
    sessions = parse_sessions(text, "schedule.csv")
    assert sessions["2027-01-LAN"].start_date == date(2027, 1, 11) and sessions["2027-01-LAN"].end_date == date(2027, 1, 15)
    assert sessions["2027-12-FLI"].capacity == 12


@pytest.mark.parametrize(("row", "said"), [
    ("X,soon,2027-01-15,5,Here,3", "schedule.csv line 3, column B (start_date): 'soon' is not a date"),
    ("X,2027-01-11,13/45/2027,5,Here,3", "schedule.csv line 3, column C (end_date): '13/45/2027' is not a date"),
    ("X,2027-01-11,2027-01-15,five,Here,3", "schedule.csv line 3, column D (days): 'five' is not a whole number"),
    ("X,2027-01-11,2027-01-15,5,Here,-3", "schedule.csv line 3, column F (capacity): -3 seats"),
    ("X,2027-01-15,2027-01-11,5,Here,3", "schedule.csv line 3, column C (end_date): the session ends (01/11/2027) before"),
    ("2027-01-LAN,2027-01-11,2027-01-15,5,Here,3", "schedule.csv line 3, column A (session_id): session 2027-01-LAN is already on line 2"),
    (",2027-01-11,2027-01-15,5,Here,3", "schedule.csv line 3, column A (session_id): it is empty"),
])
def test_a_wrong_value_names_its_line_and_column(row, said):
    text = "\ufeff" + SCHEDULE_HEADER + "2027-01-LAN,01/11/2027,01/15/2027,5,Lansing,30\r\n" + row + "\r\n"
    with pytest.raises(ValueError) as raised:
        parse_sessions(text, "schedule.csv")
    assert str(raised.value).startswith(said), str(raised.value)


def test_the_column_is_named_where_the_file_puts_it():
    text = "capacity,location,days,end_date,start_date,session_id\n3,Here,5,2027-01-15,soon,X\n"
    with pytest.raises(ValueError, match=r"line 2, column E \(start_date\)"):
        parse_sessions(text, "schedule.csv")
