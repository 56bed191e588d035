"""The original of a document as the reviewer sees it beside its values: its pages drawn as
pictures (pypdfium2, with the values filled in its form fields), and the file itself to download.

Only PDFs are drawn for now; a Word file is offered for download (converting it once with
LibreOffice and keeping the PDF is still to come).
"""

from __future__ import annotations

import io
import threading
from pathlib import Path

from pipeline.load.store import StoredReceipt

MOST_PAGES = 50  # pages drawn of one original; the forms have two to six
SCALE = 1.5  # 108 dots per inch: the form's small print stays readable at 1280 px
PDF_MAGIC = b"%PDF-"

# pdfium is not thread-safe, and the desk answers requests from a pool of threads.
_PDFIUM = threading.Lock()


def original_of(receipt: StoredReceipt) -> Path | None:
    """Where the original is now: where the store keeps it, or still in the inbox while its move is
    pending (``after_change`` finishes it); None when it is in neither place."""
    for path in (receipt.stored_path, receipt.inbox_path):
        if path.is_file():
            return path
    return None


def is_pdf(path: Path) -> bool:
    """Whether the file is a PDF by its first bytes (its name may say anything)."""
    with path.open("rb") as file:
        return file.read(1024).lstrip()[: len(PDF_MAGIC)] == PDF_MAGIC


def page_count(path: Path) -> int:
    """How many pages of the PDF are drawn (at most ``MOST_PAGES``); 0 when pdfium cannot open it."""
    import pypdfium2 as pdfium

    with _PDFIUM:
        try:
            document = pdfium.PdfDocument(path)
        except pdfium.PdfiumError:
            return 0
        try:
            return min(len(document), MOST_PAGES)
        finally:
            document.close()


def page_png(path: Path, number: int) -> bytes | None:
    """Page ``number`` (from 1) of the PDF as a PNG, its form fields' values drawn; None when there
    is no such page or pdfium cannot draw it."""
    import pypdfium2 as pdfium

    if not 1 <= number <= MOST_PAGES:
        return None
    with _PDFIUM:
        try:
            document = pdfium.PdfDocument(path)
        except pdfium.PdfiumError:
            return None
        try:
            if number > len(document):
                return None
            document.init_forms()
            picture = document[number - 1].render(scale=SCALE, may_draw_forms=True).to_pil()
        except pdfium.PdfiumError:
            return None
        finally:
            document.close()
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()
