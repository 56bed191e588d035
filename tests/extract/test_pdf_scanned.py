"""pipeline.extract.pdf_scanned: a PDF of pictures is never read (no OCR here): it goes to a person,
who is told how many pages it has."""

from __future__ import annotations

import pytest
from pypdf import PdfReader, PdfWriter

from pipeline.extract import extract
from pipeline.extract.base import DocumentUnreadable
from pipeline.extract.pdf_scanned import ScannedPdfExtractor
from pipeline.model import ExtractionProblem, InputKind
from tests.extract.conftest import image_only_pdf


def test_an_image_only_pdf_is_a_scan_that_goes_to_a_person(tmp_path, received):
    path = image_only_pdf(tmp_path / "fax.pdf")
    document = extract(received(path))
    assert (document.kind, document.problem) == (InputKind.SCANNED_PDF, ExtractionProblem.UNREADABLE)
    assert document.problem_detail.startswith("scanned page, no text layer")


def test_the_reason_counts_the_pages_from_the_reader_detection_opened(tmp_path):
    one = image_only_pdf(tmp_path / "one.pdf")
    writer = PdfWriter()
    for _ in range(3):
        writer.add_page(PdfReader(one).pages[0])
    writer.write(tmp_path / "three.pdf")
    with pytest.raises(DocumentUnreadable, match=r"\(1 page\)$"):
        ScannedPdfExtractor().read(one)
    with pytest.raises(DocumentUnreadable, match=r"\(3 pages\)$"):
        ScannedPdfExtractor().read(tmp_path / "elsewhere.pdf", PdfReader(tmp_path / "three.pdf"))  # not opened again


def test_a_scan_that_cannot_be_parsed_says_so(tmp_path):
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.4\n%%EOF\n")
    with pytest.raises(DocumentUnreadable, match="the PDF could not be read"):
        ScannedPdfExtractor().read(path)
