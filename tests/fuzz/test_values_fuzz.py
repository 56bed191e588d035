"""Fuzzing the value parsers with hypothesis: whatever people type, a parser returns a normal
value or raises ValueError with a message, never anything else; normal values parse to themselves."""

from __future__ import annotations

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from schemas import values
from schemas.reference import load_reference

REFERENCE = load_reference(None)
typed = st.text(max_size=60)
fast = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def clean_text_in_full(value):
    """``values.clean_text`` without its shortcut for values with nothing to collapse."""
    import re

    lines = [re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in str(value).replace("\r\n", "\n").split("\n")]
    return "\n".join(lines).strip() or None


@fast
@given(st.text(alphabet=st.sampled_from(" \t\u00a0\r\n\u2028\x0b\x0c\x1c\x85ab"), max_size=12) | typed)
@example("a  b")
@example(" a\u2028b ")
@example("a\rb")
def test_cleaning_text_takes_its_shortcut_only_when_nothing_changes(text):
    assert values.clean_text(text) == clean_text_in_full(text)


def parses_or_says_why(parser, text):
    try:
        return parser(text)
    except ValueError as exc:
        assert str(exc), "a parser must say what is wrong"
        return None


@fast
@given(typed)
@example("2/30/2027")
@example("March 32, 2027")
@example("0/0/00")
def test_dates(text):
    parsed = parses_or_says_why(values.parse_date, text)
    if parsed is not None:
        assert values.parse_date(parsed.strftime("%m/%d/%Y")) == parsed


@fast
@given(typed)
@example("+1 (517) 555-0142 ext 99999999999999999999")
@example("１２３４５６７８９０")
def test_phones(text):
    parsed = parses_or_says_why(values.normalise_phone, text)
    if parsed is not None:
        assert values.normalise_phone(parsed) == parsed


@fast
@given(typed)
@example("a@b.c" * 100)
def test_emails(text):
    parsed = parses_or_says_why(values.normalise_email, text)
    if parsed is not None:
        assert values.normalise_email(parsed) == parsed


@fast
@given(typed, st.booleans())
def test_zip_codes(text, michigan):
    parsed = parses_or_says_why(lambda t: values.normalise_zip(t, michigan_only=michigan), text)
    if parsed is not None:
        assert values.normalise_zip(parsed, michigan_only=michigan) == parsed


@fast
@given(typed)
@example("1e999999")
@example("NaN")
@example("-0")
def test_numbers(text):
    parses_or_says_why(values.parse_int, text)
    parses_or_says_why(values.parse_decimal, text)


@fast
@given(st.one_of(typed, st.booleans(), st.none()))
def test_checkboxes(value):
    parses_or_says_why(values.parse_checkbox, value)


@fast
@given(typed)
def test_states_and_choices(text):
    parses_or_says_why(values.normalise_state, text)
    parses_or_says_why(lambda t: values.match_choice(t, ("Initial plan", "Update: change (x)")), text)


@fast
@given(typed)
def test_reference_lookups_never_fail(text):
    assert REFERENCE.canonical_cmhsp(text) in (None, *REFERENCE.cmhsps)
    assert REFERENCE.canonical_county(text) in (None, *REFERENCE.counties)
    for part in values.split_list(text):
        assert part.strip() == part and part
