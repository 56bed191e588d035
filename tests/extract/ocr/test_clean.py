"""pipeline.extract.ocr.clean: a page made fit to read: the slant of its lines measured and
undone, a photo's sheet cut out of its background and set square, its light made even."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from pipeline.extract.ocr import clean
from pipeline.extract.ocr.clean import (
    PHOTO_DPI,
    cleaned,
    cut_out_page,
    even_light,
    ink,
    level,
    page_corners,
    skew_degrees,
)
from pipeline.extract.ocr.pages import PageImage
from tests.extract.ocr.conftest import as_pixels, drawn


@pytest.fixture(scope="module")
def page(filled_packet) -> Image.Image:
    return drawn(filled_packet, 150)


@pytest.mark.parametrize("degrees", [-1.6, -0.5, 0.8, 2.5])
def test_the_slant_of_a_page_is_measured_and_undone(page, degrees):
    turned = page.rotate(degrees, resample=Image.Resampling.BICUBIC, fillcolor=255)
    measured = skew_degrees(ink(as_pixels(turned)))
    assert measured == pytest.approx(-degrees, abs=0.2)
    levelled = level(as_pixels(turned), measured)
    assert abs(skew_degrees(ink(levelled))) <= 0.2


def test_a_level_page_is_left_as_it_is(page):
    pixels = as_pixels(page)
    assert skew_degrees(ink(pixels)) == pytest.approx(0.0, abs=0.11)
    assert level(pixels, 0.1) is pixels  # not worth turning


def _photo(page: Image.Image) -> Image.Image:
    """The page lying on a dark table, seen a little from the side."""
    table = Image.new("L", (page.width + 400, page.height + 400), 60)
    table.paste(page, (200, 200))
    corners = [(200 - 60, 200 + 30), (200 + page.width + 40, 200 - 20),
               (200 + page.width + 10, 200 + page.height + 50), (200 - 30, 200 + page.height - 10)]
    # PIL maps each output pixel from the input: coefficients from the output square to the corners
    source = np.array([(0, 0), (table.width, 0), (table.width, table.height), (0, table.height)], dtype=float)
    matrix = []
    for (x, y), (u, v) in zip(source, corners, strict=True):
        matrix.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        matrix.append([0, 0, 0, x, y, 1, -v * x, -v * y])
    coefficients = np.linalg.solve(np.array(matrix), np.array(corners, dtype=float).ravel())
    return table.transform(table.size, Image.Transform.PERSPECTIVE, tuple(1 / 1.0 * coefficients), Image.Resampling.BICUBIC)


def test_a_photos_sheet_is_cut_out_and_set_square_as_a_letter_page(page):
    photo = as_pixels(_photo(page))
    assert page_corners(photo) is not None
    cut = cut_out_page(PageImage(photo, 100.0, 1, photo=True))
    assert cut.dpi == PHOTO_DPI
    assert cut.pixels.shape == (round(11 * PHOTO_DPI), round(8.5 * PHOTO_DPI))
    # no table left at the edges: the sheet fills the picture
    edges = np.concatenate([cut.pixels[5, 50:-50], cut.pixels[-5, 50:-50], cut.pixels[50:-50, 5], cut.pixels[50:-50, -5]])
    assert np.median(edges) > 200


def test_a_scan_with_no_background_around_it_is_not_cut(page):
    pixels = as_pixels(page)
    assert page_corners(pixels) is None
    original = PageImage(pixels, 150.0, 1)
    assert cut_out_page(original) is original


def test_a_shadow_over_the_page_is_evened_out(page):
    pixels = as_pixels(page).astype(float)
    shadow = np.linspace(0.45, 1.0, pixels.shape[1])[None, :]  # dark on the left, as under a hand
    shaded = (pixels * shadow).astype(np.uint8)
    evened = even_light(shaded)
    paper = as_pixels(page) > 250
    left, right = evened[:, : pixels.shape[1] // 4][paper[:, : pixels.shape[1] // 4]], evened[:, -pixels.shape[1] // 4 :][paper[:, -pixels.shape[1] // 4 :]]
    assert np.median(left) > 235 and np.median(right) > 235


def test_cleaning_a_page_keeps_its_number_and_resolution(page):
    result = cleaned(PageImage(as_pixels(page.rotate(1.0, fillcolor=255)), 150.0, 2))
    assert (result.number, result.dpi) == (2, 150.0)
    assert abs(skew_degrees(ink(result.pixels))) <= 0.2


def test_a_scan_is_made_small_once_to_find_its_sheet_and_its_light(page, monkeypatch):
    made = []
    small = clean._small

    def counted(pixels, side=clean.WORK_SIDE):
        made.append(side)
        return small(pixels, side)

    monkeypatch.setattr(clean, "_small", counted)
    pixels = as_pixels(page.resize((page.width * 2, page.height * 2)))  # 300 dpi: larger than the small picture
    cleaned(PageImage(pixels, 300.0, 1))
    assert made.count(clean.WORK_SIDE) == 1

