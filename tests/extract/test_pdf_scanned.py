"""pipeline.extract.pdf_scanned: a PDF of pictures is read by OCR, its fields found by their printed
labels, each value with how sure recognition was of it; a blank picture or a broken file says why
it cannot be read, in one line."""

from __future__ import annotations

import pytest

from pipeline.extract import extract
from pipeline.extract.base import DocumentUnreadable
from pipeline.extract.pdf_scanned import ScannedPdfExtractor
from pipeline.model import ExtractionProblem, InputKind, ReadMethod
from tests.conftest import VALID_PACKET
from tests.extract.conftest import image_only_pdf
from tests.extract.ocr.conftest import drawn, scan_pdf


def test_a_scanned_packet_is_read_by_ocr_with_its_values_and_boxes(tmp_path, received, filled_packet):
    path = scan_pdf([drawn(filled_packet, 200, n) for n in (0, 1)], tmp_path / "scan.pdf", 200)
    document = extract(received(path))
    assert (document.kind, document.form_id, document.problem) == (InputKind.SCANNED_PDF, "PSP-REG", None)
    assert document.pages == 2
    read = {key: value.value for key, value in document.fields.items()}
    # (spaces aside: recognition's word gaps are uneven, "+1 517" reads "+1517"; the values' own
    # parsing reads them the same)
    wrong = {k: (v, read.get(k)) for k, v in VALID_PACKET.items() if str(read.get(k)).replace(" ", "") != str(v).replace(" ", "")}
    assert len(wrong) <= 1, wrong  # a clean 200 dpi scan: all but one right (here "I/DD", misread as "| DD")
    assert all(value.method is ReadMethod.OCR for value in document.fields.values())
    assert read["lived_experience_parent"] is True and read["commit_classroom"] is True


def test_a_blank_picture_is_too_poor_to_read_and_says_so(tmp_path, received, tesseract):
    document = extract(received(image_only_pdf(tmp_path / "fax.pdf")))
    assert (document.kind, document.problem) == (InputKind.SCANNED_PDF, ExtractionProblem.UNREADABLE)
    assert document.problem_detail.startswith("the scan is too poor to read: text recognition made out 0 words")


def test_a_scan_that_cannot_be_parsed_says_so(tmp_path):
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.4\n%%EOF\n")
    with pytest.raises(DocumentUnreadable, match="the PDF could not be read"):
        ScannedPdfExtractor().read(path)
