"""Scanned or faxed PDFs: pages that are pictures, with no text layer. Each page is read with text
recognition (``pipeline.extract.ocr``), and the form's fields are found by their printed labels as
in a flat PDF; every value carries how sure the recognition was of it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipeline.extract.base import RawDocument
from pipeline.extract.ocr import read_pages
from pipeline.extract.ocr.pages import pdf_pages
from pipeline.model import InputKind


class ScannedPdfExtractor:
    kind = InputKind.SCANNED_PDF

    def read(self, path: Path, opened: Any = None) -> RawDocument:
        """The scan's pages read by OCR; DocumentUnreadable when they cannot be drawn or are too poor to read."""
        # pdfium draws the pages: the pypdf reader detection opened has no pictures to give
        return read_pages(pdf_pages(path))
