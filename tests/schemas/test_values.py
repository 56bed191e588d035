"""Parsers for values as people write them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from schemas import values


@pytest.mark.parametrize(
    "text", ["03/08/2027", "3/8/27", "2027-03-08", "March 8, 2027", "Mar 8, 2027", "March 8th, 2027", " 3/8/2027 "]
)
def test_dates_in_the_formats_the_spec_lists(text):
    assert values.parse_date(text) == date(2027, 3, 8)


@pytest.mark.parametrize("text", ["13/08/2027", "soon", "2027-02-30", "8 March"])
def test_unreadable_dates_say_how_to_write_them(text):
    with pytest.raises(ValueError, match="MM/DD/YYYY"):
        values.parse_date(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("(517) 555-0142", "(517) 555-0142"),
        ("517.555.0142", "(517) 555-0142"),
        ("+1 517 555 0142", "(517) 555-0142"),
        ("1-517-555-0142", "(517) 555-0142"),
        ("5175550142", "(517) 555-0142"),
        ("517-555-0142 ext. 12", "(517) 555-0142 ext. 12"),
    ],
)
def test_phones_with_any_punctuation(text, expected):
    assert values.normalise_phone(text) == expected


@pytest.mark.parametrize("text", ["555-0142", "+44 20 7946 0958", "517-555-01423", "phone"])
def test_phones_that_are_not_10_digit_us_numbers(text):
    with pytest.raises(ValueError, match="10-digit"):
        values.normalise_phone(text)


def test_emails():
    assert values.normalise_email(" Avery.Sample@Example.ORG ") == "Avery.Sample@example.org"
    for bad in ("avery.at.example.org", "avery@", "a b@example.org"):
        with pytest.raises(ValueError, match="not an email"):
            values.normalise_email(bad)


def test_zip_codes():
    assert values.normalise_zip("48933", michigan_only=True) == "48933"
    assert values.normalise_zip("48933 - 1234", michigan_only=True) == "48933-1234"
    assert values.normalise_zip("43604", michigan_only=False) == "43604"
    with pytest.raises(ValueError, match="Michigan"):
        values.normalise_zip("43604", michigan_only=True)
    with pytest.raises(ValueError, match="5 digits"):
        values.normalise_zip("4893", michigan_only=False)


def test_states():
    assert values.normalise_state("mi") == "MI"
    assert values.normalise_state("Michigan") == "MI"
    assert values.normalise_state("O.H.") == "OH"
    # as people write them (issue 14): each of these is one state's only
    assert values.normalise_state("Mi") == "MI"
    assert values.normalise_state("Mich.") == "MI"
    assert values.normalise_state("mich") == "MI"
    assert values.normalise_state("W. Va.") == "WV"
    with pytest.raises(ValueError, match="two-letter"):
        values.normalise_state("Mch")
    with pytest.raises(ValueError, match="two-letter"):
        values.normalise_state("Lake")


def test_a_state_code_read_in_small_letters_is_the_code():
    assert values.state_code_as_read(" Mi ") == "MI"
    assert values.state_code_as_read("oh") == "OH"
    assert values.state_code_as_read("MI") is None  # as read already
    assert values.state_code_as_read("Xy") is None
    assert values.state_code_as_read("Michigan") is None  # a name is parsed, not read as a code


def test_numbers():
    assert values.parse_int(" 40 ") == 40
    assert values.parse_int("40.0") == 40
    assert values.parse_decimal(".5") == Decimal("0.5")
    with pytest.raises(ValueError):
        values.parse_int("forty")
    with pytest.raises(ValueError):
        values.parse_int("2.5")
    with pytest.raises(ValueError):
        values.parse_decimal("NaN")


@pytest.mark.parametrize("word", ["X", "yes", "☒", "☑", "✔", "[x]", True, "On"])
def test_checked_boxes(word):
    assert values.parse_checkbox(word) is True


@pytest.mark.parametrize("word", ["", "☐", "[ ]", "off", False, None])
def test_unchecked_boxes(word):
    assert values.parse_checkbox(word) is False


def test_choices_by_text_or_short_form():
    credentials = ("Licensed Master Social Worker (LMSW)", "Physician (MD/DO)", "Other")
    assert values.match_choice("lmsw", credentials) == "Licensed Master Social Worker (LMSW)"
    assert values.match_choice("Licensed  Master Social Worker", credentials) == "Licensed Master Social Worker (LMSW)"
    assert values.match_choice("md/do", credentials) == "Physician (MD/DO)"
    update = ("Initial plan", "Update: change in model implementation or hiring practices")
    assert values.match_choice("update", update) == update[1]
    with pytest.raises(ValueError, match="not one of the choices"):
        values.match_choice("LBSW", credentials)


def test_lists_split_on_commas_semicolons_and_and():
    assert values.split_list("Clinton, Eaton and Ingham") == ["Clinton", "Eaton", "Ingham"]
    assert values.split_list("Kent; Ottawa & Allegan") == ["Kent", "Ottawa", "Allegan"]


def test_word_count():
    assert values.word_count("Families are referred by case-managers at intake.") == 7
    assert values.word_count(None) == 0


def test_regression_infinity_is_not_a_whole_number():
    """Found by tests/fuzz/test_values_fuzz.py: 'INF' raised OverflowError."""
    for text in ("INF", "-Infinity", "NaN", "sNaN"):
        with pytest.raises(ValueError, match="whole number"):
            values.parse_int(text)
