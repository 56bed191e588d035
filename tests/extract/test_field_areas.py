"""Where each value stands on its page (``FieldValue.area``): a fillable PDF's widget rectangle,
the box around a printed value's words, and the box around the words OCR read off a scan; all as
shares of the page as it is shown, so that the desk draws them over the page's picture."""

from __future__ import annotations

import random
import shutil

import pytest
from pypdf import PdfReader, PdfWriter

from pipeline.extract import extract
from pipeline.model import FieldArea, InputKind
from samples.fill import fill_pdf
from tests.conftest import VALID_PACKET, VALID_VALUES, require_tools
from tests.extract.conftest import blank

TEXT_KEYS = ("psp_first_name", "psp_last_name", "psp_email", "psp_city")


def _filled(tmp_path, name="filled.pdf"):
    path = tmp_path / name
    fill_pdf(blank("PSP-REG", ".pdf"), VALID_VALUES["PSP-REG"], path)
    return path


def _widget_rects(path):
    """Each field's first widget's /Rect and its page's media box, read with pypdf."""
    rects = {}
    for number, page in enumerate(PdfReader(path).pages, start=1):
        for ref in page.get("/Annots", []):
            annotation = ref.get_object()
            if annotation.get("/Subtype") == "/Widget" and "/T" in annotation:
                rects.setdefault(str(annotation["/T"]), (number, [float(v) for v in annotation["/Rect"]], page.mediabox))
    return rects


def _inside(inner: FieldArea, outer: FieldArea, slack: float) -> bool:
    return (inner.page == outer.page and inner.left >= outer.left - slack and inner.top >= outer.top - slack
            and inner.left + inner.width <= outer.left + outer.width + slack
            and inner.top + inner.height <= outer.top + outer.height + slack)


def test_a_fillable_fields_area_is_its_widget_rectangle(tmp_path, received):
    path = _filled(tmp_path)
    document = extract(received(path))
    assert document.kind is InputKind.FILLABLE_PDF
    rects = _widget_rects(path)
    for key in TEXT_KEYS:
        number, (x0, y0, x1, y1), box = rects[key]
        width, height = float(box.width), float(box.height)
        area = document.fields[key].area
        assert area is not None and area.page == number, key
        assert area.left == pytest.approx(x0 / width) and area.width == pytest.approx((x1 - x0) / width)
        assert area.top == pytest.approx((height - y1) / height) and area.height == pytest.approx((y1 - y0) / height)
    # every field of the form stands somewhere on a page
    assert all(value.area is not None for value in document.fields.values())


def test_a_turned_and_cropped_page_turns_the_area_with_it(tmp_path, received):
    upright = extract(received(_filled(tmp_path)))
    writer = PdfWriter(clone_from=PdfReader(tmp_path / "filled.pdf"))
    for page in writer.pages:
        page.rotate(90)
    turned_path = tmp_path / "turned.pdf"
    writer.write(turned_path)
    turned = extract(received(turned_path))
    for key in TEXT_KEYS:
        before, after = upright.fields[key].area, turned.fields[key].area
        assert turned.fields[key].value == upright.fields[key].value
        # a quarter turn clockwise: the page's left edge becomes its top, its bottom its left
        assert after.left == pytest.approx(1 - before.top - before.height)
        assert after.top == pytest.approx(before.left)
        assert (after.width, after.height) == pytest.approx((before.height, before.width))

    writer = PdfWriter(clone_from=PdfReader(tmp_path / "filled.pdf"))
    for page in writer.pages:
        page.cropbox.lower_left = (36, 36)  # the page shown starts half an inch in
    cropped_path = tmp_path / "cropped.pdf"
    writer.write(cropped_path)
    cropped = extract(received(cropped_path)).fields["psp_first_name"].area
    number, (x0, _, _, y1), box = _widget_rects(cropped_path)["psp_first_name"]
    assert cropped.left == pytest.approx((x0 - 36) / (float(box.width) - 36))
    assert cropped.top == pytest.approx((float(box.height) - y1) / (float(box.height) - 36))


def test_a_printed_values_area_is_its_words_inside_the_fields_box(tmp_path, received):
    require_tools([] if shutil.which("qpdf") else ["qpdf"])
    from samples.pdf_tools import qpdf_flatten

    fillable = _filled(tmp_path)
    flat = tmp_path / "printed.pdf"
    qpdf_flatten(fillable, flat)
    boxes = extract(received(fillable)).fields
    document = extract(received(flat))
    assert document.kind is InputKind.FLAT_PDF
    for key in TEXT_KEYS:
        area, box = document.fields[key].area, boxes[key].area
        assert document.fields[key].value == VALID_VALUES["PSP-REG"][key]
        assert area is not None and _inside(area, box, slack=0.005), (key, area, box)
        assert area.width < box.width  # the words, not the whole field: "Mason" is short


def test_an_ocr_values_area_is_where_its_words_are_on_the_scan(tmp_path, received, filled_packet):
    from samples.scans import scan_pdf

    first_page = tmp_path / "first-page.pdf"
    writer = PdfWriter()
    writer.add_page(PdfReader(filled_packet).pages[0])
    writer.write(first_page)
    scan = tmp_path / "scan.pdf"
    scan_pdf(first_page, scan, random.Random(5), dpi=150, bilevel=False)
    document = extract(received(scan))
    assert document.kind is InputKind.SCANNED_PDF
    fillable = tmp_path / "fillable.pdf"
    fill_pdf(blank("PSP-REG", ".pdf"), VALID_PACKET, fillable)
    boxes = extract(received(fillable)).fields
    found = 0
    for key in TEXT_KEYS:
        read = document.fields.get(key)
        if read is None or read.area is None:
            continue
        found += 1
        # the scan is skewed up to 2 degrees: its words are within a few hundredths of the field's box
        assert _inside(read.area, boxes[key].area, slack=0.02), (key, read.area, boxes[key].area)
    assert found >= 3
