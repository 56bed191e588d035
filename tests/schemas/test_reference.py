"""Reference data: CMHSP names and aliases, counties, sessions; replaceable by the coordinator."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from schemas.reference import REFERENCE_FILES, load_reference

PACKAGED = Path(__file__).resolve().parents[2] / "schemas" / "reference"


def test_packaged_reference_data():
    reference = load_reference(None)
    assert len(reference.cmhsps) == 46
    assert len(reference.counties) == 83
    assert reference.session("2027-01-lan").start_date == date(2027, 1, 11)


@pytest.mark.parametrize("alias", ["CMHA-CEI", "cmha cei", "CEI CMH", "Clinton Eaton Ingham CMH"])
def test_cmhsp_by_alias_in_any_case_and_punctuation(alias):
    assert load_reference(None).canonical_cmhsp(alias) == "Community Mental Health Authority of Clinton-Eaton-Ingham Counties"


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
