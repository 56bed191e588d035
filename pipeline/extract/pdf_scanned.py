"""Scanned or faxed PDFs: pages that are pictures, with no text layer. No text recognition (OCR)
is done here, so such a document is never accepted nor rejected: it goes to a person, who reads it.
"""

from __future__ import annotations

from pathlib import Path

from pypdf import PdfReader
from pypdf.errors import PdfReadError

from pipeline.extract.base import DocumentUnreadable, RawDocument
from pipeline.extract.pdf_flat import SCANNED_REASON
from pipeline.extract.pdf_kind import PdfKind, is_pdf, pdf_kind
from pipeline.model import InputKind


class ScannedPdfExtractor:
    kind = InputKind.SCANNED_PDF

    def sniff(self, path: Path, head: bytes) -> bool:
        return is_pdf(head) and pdf_kind(path) is PdfKind.SCANNED

    def read(self, path: Path) -> RawDocument:
        try:
            pages = len(PdfReader(path).pages)
        except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
            raise DocumentUnreadable(f"the PDF could not be read ({type(exc).__name__})") from exc
        raise DocumentUnreadable(f"{SCANNED_REASON} ({pages} page{'s' if pages != 1 else ''})")
