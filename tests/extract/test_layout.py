"""pipeline.extract.layout: the one shape both label readers read (lines of segments of tokens), with
check boxes however typed or drawn normalised to a checked or an unchecked box."""

from __future__ import annotations

import pytest

from pipeline.extract.layout import (
    CHECKED,
    UNCHECKED,
    Line,
    Segment,
    Token,
    box_mark,
    is_page_number,
    join_bracket_marks,
    split_marks,
    tokens_between,
)


@pytest.mark.parametrize(("text", "mark"), [
    ("☒", True), ("☑", True), ("✔", True), ("[x]", True), ("[X]", True), ("(x)", True), (" ■ ", True), ("\uf0fe", True),
    ("☐", False), ("□", False), ("[ ]", False), ("[]", False), ("( )", False), ("\uf0a8", False),
    ("x", None), ("X", None), ("Yes", None), ("", None), ("[", None),
])
def test_a_box_is_checked_unchecked_or_no_box(text, mark):
    assert box_mark(text) is mark


def test_boxes_glued_to_words_are_split_off_and_brackets_joined():
    assert split_marks("☒Full-time ☐Part-time") == ("☒", "Full-time", "☐", "Part-time")
    assert split_marks("Yes☒") == ("Yes", "☒")
    assert split_marks("[ X ] CMHSP [ ] other") == ("[X]", "CMHSP", "[ ]", "other")
    assert split_marks("( ) no") == ("( )", "no")
    assert split_marks("þ is a letter too") == ("þ", "is", "a", "letter", "too")  # only a box when it stands alone
    assert split_marks("   ") == ()


def test_brackets_that_are_no_box_stay_as_they_are():
    assert join_bracket_marks(["[", "see", "note", "]"]) == ["[", "see", "note", "]"]
    assert join_bracket_marks(["(", "x"]) == ["(", "x"]  # unclosed, at the end of the line


def test_tokens_of_text_without_positions_are_spread_evenly():
    tokens = tokens_between("☒ Full-time", 100.0, 300.0, legacy=True)
    spread = [(t.text, t.x0, t.x1, t.legacy) for t in tokens]
    assert spread == [("☒", 100.0, 200.0, True), ("Full-time", 200.0, 300.0, True)]
    assert tokens[0].mark is True and tokens[1].mark is None
    assert tokens_between("", 0.0, 10.0) == []


def test_a_line_is_its_segments_and_its_height_never_zero():
    first = Segment([Token("Home", 10, 40), Token("city:", 42, 70)])
    second = Segment([Token("Lansing", 200, 260)])
    line = Line([first, second], top=100.0, bottom=100.0, page=1, where="page 1")
    assert (first.x0, first.x1, first.text) == (10, 70, "Home city:")
    assert (line.text, line.height) == ("Home city: Lansing", 1.0)


@pytest.mark.parametrize(("text", "page_number"), [
    ("Page 1 of 3", True), ("  page 12 OF 12 ", True), ("Page 1", False), ("See page 2 of 3", False),
])
def test_a_page_number_line_is_known(text, page_number):
    assert is_page_number(text) is page_number


def test_the_normalised_boxes_are_themselves_boxes():
    assert box_mark(CHECKED) is True and box_mark(UNCHECKED) is False
