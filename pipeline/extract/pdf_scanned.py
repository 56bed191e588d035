"""Scanned or faxed PDFs: pages that are pictures, with no text layer. No text recognition (OCR)
is done here, so such a document is never accepted nor rejected: it goes to a person, who reads it.
"""

from __future__ import annotations

from pathlib import Path

from pypdf import PdfReader
from pypdf.errors import PdfReadError

from pipeline.extract.base import DocumentUnreadable, RawDocument
from pipeline.extract.pdf_flat import SCANNED_REASON
from pipeline.model import InputKind


class ScannedPdfExtractor:
    kind = InputKind.SCANNED_PDF

    def read(self, path: Path, opened: PdfReader | None = None) -> RawDocument:
        """Never a reading: always DocumentUnreadable, so that a person reads the pages."""
        try:
            pages = len((opened if opened is not None else PdfReader(path)).pages)
        except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
            raise DocumentUnreadable(f"the PDF could not be read ({type(exc).__name__})") from exc
        raise DocumentUnreadable(f"{SCANNED_REASON} ({pages} page{'s' if pages != 1 else ''})")
