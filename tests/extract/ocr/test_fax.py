"""pipeline.extract.ocr on a fax: the sending machine's line is no part of the form, a one-bit
page is smoothed before it is read, a date in figures read as no date is read again, and a date's
printed hint or its box's side read beside it is no part of it."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from pipeline.extract import ocr
from pipeline.extract.labels.text import date_alone
from pipeline.extract.ocr import (
    _as_printed,
    _dates_read_again,
    _for_reading,
    broken_strokes,
    is_transmission_line,
)
from pipeline.extract.ocr.pages import PageImage
from pipeline.extract.ocr.tesseract import OcrWord


@pytest.mark.parametrize("line", [
    "DEC-01-2026 11:38 FROM-COMMUNITY MENTAL HEALT 6165550111 P.3/3",
    "DEC-@1-2026 13:25 FROM-WASHTENAW COUNTY COMMU 7345550110",  # a zero read as "@", the page count lost
    "12/01/2026 08:44 Lakeshore Family Wellness Page 2 of 3",
])
def test_the_sending_machine_s_line_is_told(line):
    assert is_transmission_line(line)


@pytest.mark.parametrize("line", [
    "Michigan Parent Support Partner (PSP) Program",
    "Portal PSP Registration Packet Version 2025.1",
    "Meetings at 10:30 every week",  # a time, but neither a date nor a page count
    "Date signed 11/20/2026",
])
def test_a_form_s_own_first_line_is_not_the_machine_s(line):
    assert not is_transmission_line(line)


def test_a_curly_quote_is_read_as_typed():
    word = OcrWord("Children’s", 10, 100, 130, 124, 0.9, (1, 1, 1))
    assert [w.text for w in _as_printed([word])] == ["Children's"]


def _page(pixels: np.ndarray, bilevel: bool) -> PageImage:
    return PageImage(pixels, 204.0, 1, source_dpi=196.0, bilevel=bilevel)


def _strokes(lost_share: float) -> np.ndarray:
    """A one-bit page of vertical strokes 4 pixels wide, ``lost_share`` of their pixels lost (a fax's dropouts)."""
    pixels = np.full((200, 200), 255, np.uint8)
    for x in range(20, 180, 20):
        pixels[50:150, x : x + 4] = 0
    lost = np.random.default_rng(3).random(pixels.shape) < lost_share
    pixels[lost & (pixels == 0)] = 255
    return pixels


def test_a_fax_s_broken_strokes_are_smoothed_before_they_are_read():
    nothing_wiped = np.zeros((200, 200), np.uint8)
    faxed = _strokes(0.05)
    assert broken_strokes(faxed) >= ocr.BROKEN_STROKES_SHARE
    smoothed, _ = _for_reading(_page(faxed, True), nothing_wiped)
    inside = smoothed[50:150, 21:23]
    assert inside.max() < 128  # each pixel lost inside a stroke is ink again
    assert 0 < smoothed[100, 19] < 255  # the strokes' edges are grey


def test_a_scanner_s_one_bit_page_and_a_grey_one_are_read_as_they_are():
    nothing_wiped = np.zeros((200, 200), np.uint8)
    whole = _strokes(0.0)
    assert broken_strokes(whole) < ocr.BROKEN_STROKES_SHARE
    assert np.array_equal(_for_reading(_page(whole, True), nothing_wiped)[0], whole)
    faxed = _strokes(0.05)
    assert np.array_equal(_for_reading(_page(faxed, False), nothing_wiped)[0], faxed)
    # finer than a fax: a scanner's one-bit page, only made smaller to be read
    fine, factor = _for_reading(PageImage(faxed, 300.0, 1, source_dpi=300.0, bilevel=True), nothing_wiped)
    assert np.array_equal(fine, cv2.resize(faxed, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA))


def _date(text: str, confidence: float = 0.9) -> OcrWord:
    return OcrWord(text, 100, 50, 240, 72, confidence, (1, 1, 1))


def test_a_date_read_as_no_date_is_read_again_and_taken_less_surely(monkeypatch):
    asked = []

    def read_again(pixels, dpi, *, segmentation):
        asked.append((pixels.shape, dpi, segmentation))
        return [_date("11/20/2026", 0.95)]

    monkeypatch.setattr(ocr, "read_words", read_again)
    picture = np.full((200, 400), 255, np.uint8)
    again = _dates_read_again([_date("41/20/2026"), _date("12/01/2026"), OcrWord("Lane", 300, 50, 360, 72, 0.9, (1, 1, 2))],
                              picture, 204.0)
    assert [w.text for w in again] == ["11/20/2026", "12/01/2026", "Lane"]
    assert again[0].confidence == ocr.REREAD_CONFIDENCE and again[1].confidence == 0.9
    assert len(asked) == 1 and asked[0][1] == 204.0 * ocr.REREAD_SCALE  # only the date that is no date


@pytest.mark.parametrize("second", ["41/20/2026", "4/20/2026", "1120/2026", ""])
def test_a_date_read_again_as_no_date_or_another_shape_is_left_as_read(monkeypatch, second):
    monkeypatch.setattr(ocr, "read_words", lambda pixels, dpi, *, segmentation: [_date(second)] if second else [])
    again = _dates_read_again([_date("41/20/2026")], np.full((200, 400), 255, np.uint8), 204.0)
    assert [w.text for w in again] == ["41/20/2026"] and again[0].confidence == 0.9


@pytest.mark.parametrize(("read", "alone"), [
    ("11/20/2026 MADD", "11/20/2026"),  # the printed hint MM/DD/YYYY misread
    ("12/01/2026 LIM DD YYYY", "12/01/2026"),
    ("11/20/2026 [picture] vy", "11/20/2026"),
    ("(03/01/2027", "03/01/2027"),  # the box's side
    ("i 12/01/2026", "12/01/2026"),
    ("11/20/2026", None),  # nothing to take away
    ("11/20/2026 12/02/2026", None),  # figures: part of what was written
    ("11/20/2026\nsigned late", None),  # a line written under it
    ("11/20/2026 and the week after that", None),
    ("March 1, 2027 YY", None),  # only a date in figures is told from its hint
    ("ab12/01/2026", None),
])
def test_a_date_in_figures_is_read_without_its_hint_or_its_box_s_side(read, alone):
    assert date_alone(read) == alone
