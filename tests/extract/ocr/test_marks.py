"""pipeline.extract.ocr.marks: check boxes found in the pixels and read as ticked or not by the ink
inside them; rules found and wiped; specks dropped; ink no word accounts for found (a signature)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw

from pipeline.extract.ocr.clean import ink
from pipeline.extract.ocr.marks import (
    SURE_BOX_CONFIDENCE,
    UNSURE_BOX_CONFIDENCE,
    arrows,
    components,
    drawn_ink,
    faint_ink,
    find_boxes,
    page_marks,
    read_as_box,
    unboxed_ticks,
    without_specks,
)
from tests.conftest import VALID_PACKET
from tests.extract.conftest import blank
from tests.extract.ocr.conftest import as_pixels, drawn

DPI = 200


def _checkbox_widgets(page_number: int) -> list[tuple[str, tuple[float, float, float, float]]]:
    import pymupdf

    with pymupdf.open(blank("PSP-REG", ".pdf")) as document:
        return [(w.field_name, tuple(w.rect)) for w in document[page_number].widgets()
                if w.field_type == pymupdf.PDF_WIDGET_TYPE_CHECKBOX]


@pytest.mark.parametrize("page_number", [0, 1])
def test_every_box_of_the_form_is_found_where_it_is_printed_and_read_as_filled(filled_packet, page_number):
    pixels = as_pixels(drawn(filled_packet, DPI, page_number))
    boxes = find_boxes(ink(pixels), faint_ink(pixels), DPI)
    widgets = _checkbox_widgets(page_number)
    assert widgets, "the form has boxes on this page"
    scale = DPI / 72
    for name, (x0, top, x1, bottom) in widgets:
        middle = ((x0 + x1) / 2 * scale, (top + bottom) / 2 * scale)
        found = [b for b in boxes if b.x0 <= middle[0] <= b.x1 and b.top <= middle[1] <= b.bottom]
        assert len(found) == 1, name
        assert found[0].checked is bool(VALID_PACKET.get(name)), name
        assert found[0].confidence == SURE_BOX_CONFIDENCE
    assert len(boxes) == len(widgets)  # no letter (O, D, the title's bold capitals) taken for a box


def _box_with(draw_inside) -> np.ndarray:  # noqa: ANN001 - a function drawing on the picture
    picture = Image.new("L", (200, 200), 255)
    pen = ImageDraw.Draw(picture)
    pen.rectangle((80, 80, 108, 108), outline=0, width=2)  # a 10-point box at 200 dpi
    draw_inside(pen)
    return np.asarray(picture)


@pytest.mark.parametrize(("mark", "checked"), [
    (lambda pen: pen.line((84, 84, 104, 104), fill=0, width=3) or pen.line((84, 104, 104, 84), fill=0, width=3), True),  # a cross
    (lambda pen: pen.line((84, 96, 92, 104), fill=0, width=3) or pen.line((92, 104, 106, 82), fill=0, width=3), True),  # a tick
    (lambda pen: pen.rectangle((86, 86, 102, 102), fill=0), True),  # filled in
    (lambda pen: pen.line((70, 70, 118, 118), fill=0, width=3) or pen.line((70, 118, 118, 70), fill=0, width=3), True),  # a cross over the edges
    (lambda pen: None, False),
])
def test_a_box_is_ticked_by_any_mark_inside_it(mark, checked):
    pixels = _box_with(mark)
    (box,) = find_boxes(ink(pixels), faint_ink(pixels), 200)
    assert (box.checked, box.confidence) == (checked, SURE_BOX_CONFIDENCE)


def test_a_dot_the_pen_left_in_a_box_is_unsure_not_a_tick():
    pixels = _box_with(lambda pen: pen.ellipse((90, 90, 98, 98), fill=0))  # a blot a millimetre across
    (box,) = find_boxes(ink(pixels), faint_ink(pixels), 200)
    assert box.confidence == UNSURE_BOX_CONFIDENCE


def test_a_faint_stroke_in_a_box_is_unsure():
    pixels = _box_with(lambda pen: pen.line((86, 94, 100, 94), fill=0, width=2))  # a short dash: a slip of the pen?
    (box,) = find_boxes(ink(pixels), faint_ink(pixels), 200)
    assert box.confidence == UNSURE_BOX_CONFIDENCE


def test_rules_are_found_and_wiped_but_the_words_beside_them_are_not(filled_packet):
    pixels = as_pixels(drawn(filled_packet, DPI))
    marks = page_marks(ink(pixels), faint_ink(pixels), DPI)
    assert len(marks.horizontal) >= 10 and len(marks.vertical) >= 10  # the field boxes' sides
    words = ink(pixels) > 0
    wiped = marks.wiped > 0
    # most ink is words, and stays
    assert (words & ~wiped).sum() > 0.5 * words.sum()


def test_specks_are_dropped_and_strokes_kept():
    picture = Image.new("L", (300, 300), 255)
    pen = ImageDraw.Draw(picture)
    for x in range(20, 280, 20):
        pen.point((x, 40), fill=0)  # dust
    pen.line((20, 150, 280, 150), fill=0, width=2)
    kept = without_specks(ink(np.asarray(picture)), 200)
    assert kept[40].sum() == 0 and kept[150].sum() > 0


def test_ink_no_word_accounts_for_is_found_and_words_are_not():
    picture = Image.new("L", (800, 300), 255)
    pen = ImageDraw.Draw(picture)
    pen.line([(100, 200), (140, 140), (170, 210), (220, 150), (260, 205), (300, 160)], fill=0, width=3)  # a scrawl
    pen.rectangle((500, 180, 700, 200), fill=0)  # stands for a typed word
    mask = ink(np.asarray(picture))
    covered = np.zeros_like(mask)
    covered[175:205, 495:705] = 255  # where a word was read
    (found,) = drawn_ink(mask, covered, 200)
    x0, top, x1, bottom = found
    assert x0 <= 100 and x1 >= 300 and top <= 140 and bottom >= 210


# Drop-down arrows as a 200 dpi scan leaves them at 150 dpi (measured): the flat side's first row
# ragged, the point widened by the blur.
_RAGGED_TOP = """
.111......1.1
1111111111111
.111111111111
..1111111111.
..111111111..
...1111111...
....11111....
.....1111....
......11.....
"""
_BLUNT_POINT = """
111111111....
1111111111111
1111111111111
.11111111111.
..111111111..
...1111111...
...111111....
....11111....
.....111.....
"""
# a letter "v" of the same size: two strokes, notched between them
_LETTER_V = """
11.........11
11.........11
.11.......11.
.11.......11.
..11.....11..
..11.....11..
...11...11...
....11.11....
.....111.....
"""


def _mask_with(shape: str) -> np.ndarray:
    rows = [[255 if c == "1" else 0 for c in line] for line in shape.strip().splitlines()]
    mask = np.zeros((60, 60), np.uint8)
    mask[20 : 20 + len(rows), 20 : 20 + len(rows[0])] = np.array(rows, np.uint8)
    return mask


@pytest.mark.parametrize("shape", [_RAGGED_TOP, _BLUNT_POINT])
def test_a_scanned_drop_down_arrow_is_found_however_blurred(shape):
    assert arrows(_mask_with(shape), 150) == [(20, 20, 33, 29)]


def test_a_letter_v_is_no_arrow():
    assert arrows(_mask_with(_LETTER_V), 150) == []


def _faxed_field(dpi: int = 150) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """A field's box as a fax leaves it (its outline dots a pixel or two wide, a few to ten pixels
    apart, a fifth of its length inked) with a value typed in it and a label beside it: the ink
    mask, and the box (x0, top, x1, bottom)."""
    rng = np.random.default_rng(7)
    image = Image.new("L", (900, 200), 255)
    draw = ImageDraw.Draw(image)
    x0, top, x1, bottom = 400, 60, 850, 100

    def dots(start: int, end: int, fixed: int, horizontal: bool) -> None:
        at = start
        while at < end:
            size = int(rng.integers(1, 3))
            box = (at, fixed, at + size, fixed + 1) if horizontal else (fixed, at, fixed + 1, at + size)
            draw.rectangle(box, fill=0)
            at += size + int(rng.integers(3, 11))

    dots(x0, x1, top, True)
    dots(x0, x1, bottom, True)
    dots(top, bottom, x0, False)
    dots(top, bottom, x1, False)
    for text, x in (("Community Mental Health", 40), ("Lakeshore Family Wellness", x0 + 8)):
        draw.text((x, 72), text, fill=0, font_size=18)
    return ink(np.asarray(image)), (x0, top, x1, bottom)


def test_a_faxed_box_s_dotted_rules_are_found_and_wiped_and_its_words_are_not():
    mask, (x0, top, x1, bottom) = _faxed_field()
    marks = page_marks(mask, mask, 150)
    found = {y for y, start, end in marks.horizontal if start <= x0 + 12 and end >= x1 - 12}
    assert any(abs(y - top) <= 2 for y in found) and any(abs(y - bottom) <= 2 for y in found)
    assert all(top - 2 <= y <= top + 2 or bottom - 2 <= y <= bottom + 2 for y, _, _ in marks.horizontal)
    left = cv2.bitwise_and(mask, cv2.bitwise_not(marks.wiped))
    assert not left[top - 1 : top + 2, x0:x1].any() and not left[bottom - 1 : bottom + 2, x0:x1].any()
    # the sides too, where the top and bottom rules end level (a faxed side is too sparse to find)
    assert not left[top + 3 : bottom - 3, x0 - 1 : x0 + 2].any()
    # the letters stay, the label's and the value's
    assert left[65:100, 40:300].sum() > 0.9 * mask[65:100, 40:300].sum()
    assert left[65:98, x0 + 8 : x1 - 20].sum() > 0.9 * mask[65:98, x0 + 8 : x1 - 20].sum()


def test_a_tick_whose_box_the_fax_dropped_is_found_and_a_signature_or_a_speck_is_not():
    image = Image.new("L", (600, 200), 255)
    draw = ImageDraw.Draw(image)
    draw.line([(50, 100), (56, 110), (66, 88)], fill=0, width=3)  # a tick, 16 by 22 pixels at 150 dpi
    draw.line([(200, 90), (240, 110), (280, 85), (330, 108), (380, 92)], fill=0, width=2)  # a signature's stroke
    draw.rectangle([(450, 100), (451, 101)], fill=0)  # a speck
    mask = ink(np.asarray(image))
    ticks = unboxed_ticks(mask, np.zeros_like(mask), 150)
    assert len(ticks) == 1
    x0, top, x1, bottom = ticks[0]
    assert 45 <= x0 <= 52 and 62 <= x1 <= 70 and 84 <= top <= 90 and 108 <= bottom <= 114


def test_a_tick_read_as_a_word_is_accounted_for_by_it():
    image = Image.new("L", (200, 200), 255)
    ImageDraw.Draw(image).line([(50, 100), (56, 110), (66, 88)], fill=0, width=3)
    mask = ink(np.asarray(image))
    covered = np.zeros_like(mask)
    covered[80:120, 40:80] = 255
    assert unboxed_ticks(mask, covered, 150) == []


def test_a_box_read_as_a_word_is_ticked_by_the_ink_inside_it():
    image = Image.new("L", (200, 200), 255)
    draw = ImageDraw.Draw(image)
    draw.line([(55, 100), (60, 108), (70, 90)], fill=0, width=3)  # a tick inside a box whose outline is gone
    mask = ink(np.asarray(image))
    assert read_as_box(mask, (48, 84, 78, 114))
    assert not read_as_box(mask, (120, 84, 150, 114))  # nothing inside


def test_a_field_box_running_off_the_page_s_edge_is_wiped_inside_the_page():
    # a page cut at the scanner's edge: the box's rules run to the last column, its right side is off the page
    mask = np.zeros((200, 400), np.uint8)
    mask[60:62, 100:] = 255
    mask[100:102, 100:] = 255
    marks = page_marks(mask, mask, 72)  # (a coarse page: the side's band inwards is one pixel, all of it off the page)
    assert marks.wiped.shape == mask.shape and marks.wiped[60:62, 100:].all()


def test_a_faxed_box_s_side_is_wiped_where_its_rules_ran_on_past_it():
    # the top and bottom rules' dots run on past the box's right corner (a fax's smear): the side is
    # a few pixels inside where the rules end, and its dots are wiped there, not left beside the value
    image = Image.new("L", (700, 160), 255)
    draw = ImageDraw.Draw(image)
    x0, top, x1, bottom = 100, 60, 400, 97
    for x in range(x0, x1 + 10, 5):
        draw.rectangle((x, top, x + 1, top), fill=0)
        draw.rectangle((x, bottom, x + 1, bottom), fill=0)
    for y in range(top, bottom, 4):
        draw.rectangle((x0, y, x0, y + 1), fill=0)
        draw.rectangle((x1, y, x1, y + 1), fill=0)
    draw.text((x0 + 8, 70), "11/20/2026", fill=0, font_size=18)
    mask = ink(np.asarray(image))
    left = cv2.bitwise_and(mask, cv2.bitwise_not(page_marks(mask, mask, 150).wiped))
    assert not left[top + 2 : bottom - 1, x1 - 2 : x1 + 3].any() and not left[top + 2 : bottom - 1, x0 - 2 : x0 + 3].any()
    assert left[65:97, x0 + 8 : x0 + 120].sum() > 0.95 * mask[65:97, x0 + 8 : x0 + 120].sum()  # the value stays whole


def test_a_bracket_beginning_a_value_between_two_rules_is_no_box_s_side():
    # two rules a field's height apart and no side drawn (a table's row): the value's "(" right at
    # their start is in the box's middle and curved, not a side running from rule to rule
    image = Image.new("L", (700, 160), 255)
    draw = ImageDraw.Draw(image)
    draw.rectangle((100, 60, 400, 60), fill=0)
    draw.rectangle((100, 90, 400, 90), fill=0)
    draw.text((106, 60), "(616) 555-0110", fill=0, font_size=22)
    mask = ink(np.asarray(image))
    left = cv2.bitwise_and(mask, cv2.bitwise_not(page_marks(mask, mask, 150).wiped))
    assert left[62:89, 100:120].sum() > 0.9 * mask[62:89, 100:120].sum()


@pytest.mark.parametrize("spacing", [7, 3])  # a page's ink; a noise of more pieces than 16 bits number
def test_the_pieces_of_ink_are_found_however_many_they_are(spacing):
    mask = np.zeros((1000, 1000), dtype=np.uint8)
    mask[::spacing, ::spacing] = 255
    mask[500:503, 100:900] = 255  # a rule
    count, labels, stats, _ = components(mask)
    expected = cv2.connectedComponentsWithStats(mask, connectivity=8, ltype=cv2.CV_32S)
    assert count == expected[0] and (stats == expected[2]).all()
    assert (labels.astype(np.int64) == expected[1]).all()
