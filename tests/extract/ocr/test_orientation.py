"""A page fed upside down or on its side (a sheet the wrong way round in the scanner, a photo taken
sideways with no EXIF tag) is read turned upright, when Tesseract's orientation detection says so
and the page turned reads clearly better; a page that reads well is never asked about."""

from __future__ import annotations

import numpy as np

import pipeline.extract.ocr as ocr
import pipeline.extract.ocr.orientation as orientation
from pipeline.extract import extract
from pipeline.extract.ocr.pages import pdf_pages
from pipeline.extract.ocr.tesseract import page_turn
from tests.extract.ocr.conftest import as_pixels, drawn, scan_pdf


def _values(document) -> dict[str, object]:
    return {key: value.value for key, value in document.fields.items()}


def test_a_page_upside_down_reads_as_the_upright_scan(tmp_path, received, filled_packet):
    first = drawn(filled_packet, 200, 0)
    upright = extract(received(scan_pdf([first], tmp_path / "upright.pdf", 200)))
    turned = extract(received(scan_pdf([first.rotate(180)], tmp_path / "turned.pdf", 200)))
    assert (upright.problem, turned.problem) == (None, None)
    assert turned.form_id == upright.form_id == "PSP-REG"
    assert _values(turned) == _values(upright)
    # (the original is drawn as it came in the desk: no highlight is placed on a page read turned)
    assert upright.fields["psp_first_name"].area and not turned.fields["psp_first_name"].area


def test_orientation_is_told_by_tesseract_and_a_page_without_text_has_none(tmp_path, filled_packet):
    page = drawn(filled_packet, 200, 0)
    assert page_turn(as_pixels(page), 200)[0] == 0
    turn, sure = page_turn(as_pixels(page.rotate(180)), 200)
    assert turn == 180 and sure >= orientation.TURN_CONFIDENCE
    assert page_turn(as_pixels(page.rotate(90, expand=True)), 200)[0] == 90
    assert page_turn(np.full((2200, 1700), 255, np.uint8), 200) == (0, 0.0)


def test_a_page_that_reads_well_is_not_asked_its_orientation(tmp_path, filled_packet, monkeypatch):
    def never(*args, **kwargs):
        raise AssertionError("an upright page's orientation was asked for")

    monkeypatch.setattr(orientation, "page_turn", never)
    (page,) = pdf_pages(scan_pdf([drawn(filled_packet, 200, 0)], tmp_path / "scan.pdf", 200))
    assert orientation.read_upright(page, ocr.read_page).confidence >= orientation.TURN_TRIED_BELOW


def test_a_turn_that_does_not_read_better_is_not_taken(tmp_path, filled_packet, monkeypatch):
    (page,) = pdf_pages(scan_pdf([drawn(filled_packet, 200, 0)], tmp_path / "scan.pdf", 200))
    as_it_stands = ocr.read_page(page)
    monkeypatch.setattr(orientation, "TURN_TRIED_BELOW", 1.01)  # every page asked
    monkeypatch.setattr(orientation, "page_turn", lambda pixels, dpi: (180, 20.0))  # and told, wrongly, to turn it
    kept = orientation.read_upright(page, ocr.read_page)
    assert [line.text for line in kept.lines] == [line.text for line in as_it_stands.lines]
    assert kept.size == as_it_stands.size


def test_a_page_on_its_side_read_surely_down_the_page_is_told_by_its_words_boxes_and_turned(tmp_path, filled_packet):
    page = drawn(filled_packet, 200, 0)
    (upright,) = pdf_pages(scan_pdf([page], tmp_path / "upright.pdf", 200))
    (sideways,) = pdf_pages(scan_pdf([page.rotate(270, expand=True)], tmp_path / "sideways.pdf", 200))
    assert not orientation.read_sideways(ocr.read_page(upright))
    assert orientation.read_sideways(ocr.read_page(sideways))
    turned = orientation.read_upright(sideways, ocr.read_page)
    assert not orientation.read_sideways(turned) and turned.confidence >= orientation.TURN_TRIED_BELOW
