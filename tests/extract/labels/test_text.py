"""pipeline.extract.labels.text: the words of printed text as labels are compared (case, punctuation
and spacing aside), what is no value (headings, titles, the form's own instructions, placeholders
and rules), and how alike a printed phrase and a label are."""

from __future__ import annotations

import pytest

from pipeline.extract.labels.text import (
    clean_value,
    colon_within,
    is_printed_instruction,
    is_stop_line,
    similarity,
    words_of,
)
from pipeline.extract.layout import Line, Segment, Token
from schemas import load_form_spec

ORP = load_form_spec("PSP-ORP")
REG = load_form_spec("PSP-REG")


def line(text: str) -> Line:
    return Line([Segment([Token(word, 10.0 * i, 10.0 * i + 9) for i, word in enumerate(text.split())])], 0.0, 10.0, 1,
                "page 1")


def test_words_are_compared_case_punctuation_and_spacing_aside():
    assert words_of("Child's E-mail & Phone:") == ["childs", "email", "and", "phone"]
    assert words_of("PSP  EMAIL") == words_of("psp e-mail") == ["psp", "email"]
    assert words_of("Parent\u2019s name") == words_of("Parent's name")  # a typographic apostrophe
    assert words_of("___ ... :") == []


def test_a_value_loses_the_form_s_placeholders_date_hints_and_rules():
    assert clean_value(": Click or tap here to enter text.  (MM/DD/YYYY) ____ \n\n 11/16/2026  ") == "11/16/2026"
    assert clean_value("Choose an item.") == ""
    assert clean_value("Vegetarian meals\n\n  A ground-floor   room ") == "Vegetarian meals\nA ground-floor room"


@pytest.mark.parametrize("read", [
    "11/20/2026 MM/DD/YY YY",  # a space recognition put inside the hint
    "11/20/2026 MM/DD/VYYY",  # Y read as V
    "11/20/2026 MM/DDIYYYY",  # the slash read as I
    "11/20/2026 MM/DD/VYYYY",
    "11/20/2026 (mm/dd/yy)",
])
def test_a_date_hint_misread_by_text_recognition_is_still_the_hint(read):
    assert clean_value(read) == "11/20/2026"


def test_text_only_like_a_date_hint_is_kept():
    # a hint is M, D and Y in their places: a value that merely holds those letters is a value
    assert clean_value("MMDD Holdings") == "MMDD Holdings"
    assert clean_value("11/20/2026 MM/DD/YYYYYY") == "11/20/2026 MM/DD/YYYYYY"


def test_a_label_cut_short_is_nearly_the_label_and_a_reworded_one_alike():
    assert similarity(["zip"], ("zip", "code")) == pytest.approx(0.9)  # cut short: "ZIP" for "ZIP code"
    assert similarity(["home", "zip"], tuple(words_of("Home ZIP code"))) > 0.9
    assert similarity(["supervisor", "email"], ("supervisor", "email")) == 1.0
    assert similarity(["date", "of", "hire"], ("hours", "per", "week")) < 0.5


def test_headings_and_form_titles_end_any_value():
    assert is_stop_line(line("Section 2. Lived Experience"))
    assert is_stop_line(line("PART IV"))
    assert is_stop_line(line(REG.sections[0].title))
    assert is_stop_line(line(f"Lakeview Family Services {REG.title} 2025"))  # a line that holds a form's title
    assert not is_stop_line(line("Lansing"))
    assert not is_stop_line(line("Sectional sofa"))


@pytest.mark.parametrize(("text", "instruction"), [
    ("Required when the employer is a contract provider agency", True),  # the form's own, by its words
    ("Please leave this blank if it does not apply to you", True),  # an agency's, speaking to the reader
    ("Complete Care Partners of Michigan", False),  # a name that starts like an instruction
    ("Gluten free only, please", False),  # an answer
    ("Required", False),  # too short to tell
])
def test_an_instruction_printed_where_a_value_goes_is_no_value(text, instruction):
    assert is_printed_instruction(text, ORP) is instruction


def test_a_label_ends_at_the_first_colon_within_reach():
    tokens = [Token(text, 0, 1) for text in ("Home", "city:", "Lansing", "State:")]
    assert colon_within(tokens, 0, 4) == 1
    assert colon_within(tokens, 2, 4) == 3 and colon_within(tokens, 2, 1) is None
