"""Extraction: from a received file to an ExtractedDocument (form, version, every widget's value
with where it was read and how sure we are). Knows nothing of validation, stores or routing.
"""

from __future__ import annotations

import zipfile

from pipeline.extract.base import DocumentUnreadable, Extractor, RawDocument
from pipeline.extract.combine import combine
from pipeline.extract.converted import (
    OpenDocumentExtractor,
    RichTextExtractor,
    Word97Extractor,
)
from pipeline.extract.detect import Detected, detect
from pipeline.extract.docx_form import WordFormExtractor
from pipeline.extract.docx_legacy import WordLegacyFormExtractor
from pipeline.extract.docx_text import WordDocumentExtractor
from pipeline.extract.email_file import EmailExtractor
from pipeline.extract.image_file import ImageExtractor
from pipeline.extract.msg_file import OutlookMessageExtractor
from pipeline.extract.pdf_flat import FlatPdfExtractor
from pipeline.extract.pdf_form import FillablePdfExtractor
from pipeline.extract.pdf_scanned import ScannedPdfExtractor
from pipeline.extract.recognise import recognise
from pipeline.extract.zip_guard import check_archive
from pipeline.model import ExtractedDocument, ExtractionProblem, InputKind, ReceivedFile

# The extractor of each kind ``pipeline.extract.detect`` tells.
EXTRACTORS: dict[InputKind, Extractor] = {
    InputKind.FILLABLE_PDF: FillablePdfExtractor(),
    InputKind.FLAT_PDF: FlatPdfExtractor(),
    InputKind.SCANNED_PDF: ScannedPdfExtractor(),
    InputKind.IMAGE: ImageExtractor(),
    InputKind.WORD_FORM: WordFormExtractor(),
    InputKind.WORD_LEGACY_FORM: WordLegacyFormExtractor(),
    InputKind.WORD_DOCUMENT: WordDocumentExtractor(),
    InputKind.WORD_97: Word97Extractor(),
    InputKind.RICH_TEXT: RichTextExtractor(),
    InputKind.OPEN_DOCUMENT: OpenDocumentExtractor(),
    InputKind.EMAIL: EmailExtractor(),
    InputKind.OUTLOOK_MSG: OutlookMessageExtractor(),
}

def extract(received: ReceivedFile) -> ExtractedDocument:
    """Read one received file. Never raises for a bad document: the problem is in the result."""
    try:
        return _extract(received)
    except (MemoryError, RecursionError) as exc:
        detail = f"the file could not be read: it is too large or too deeply nested ({type(exc).__name__})"
    except Exception as exc:  # noqa: BLE001 - a broken file can trip any parser in any way (zlib, struct, ...)
        detail = f"the file could not be read ({type(exc).__module__}.{type(exc).__name__}); a person should open it"
    return ExtractedDocument(received=received, problem=ExtractionProblem.UNREADABLE, problem_detail=detail)


def _extract(received: ReceivedFile) -> ExtractedDocument:
    # Before the kind is told (``detect``): telling a Word file's kind already unpacks it.
    if zipfile.is_zipfile(received.path):
        try:
            check_archive(received.path)
        except DocumentUnreadable as exc:
            return ExtractedDocument(received=received, problem=ExtractionProblem.UNREADABLE, problem_detail=str(exc))
    detected = detect(received.path)
    if detected is None:
        return ExtractedDocument(
            received=received,
            problem=ExtractionProblem.UNSUPPORTED_KIND,
            problem_detail="not a PDF, Word (.docx, .doc), Rich Text (.rtf), OpenDocument (.odt), picture "
                           "(TIFF, JPEG, PNG) or email file; ask the sender for the form as PDF or Word",
        )
    extractor = EXTRACTORS[detected.kind]
    try:
        raw = extractor.read(received.path, detected.opened)
    except DocumentUnreadable as exc:
        return ExtractedDocument(
            received=received, kind=extractor.kind, problem=ExtractionProblem.UNREADABLE, problem_detail=str(exc)
        )

    recognition = recognise(raw)
    if recognition.spec is None or recognition.problem is not None:
        return ExtractedDocument(
            received=received,
            kind=extractor.kind,
            form_id=recognition.spec.form_id.value if recognition.spec else None,
            form_version=recognition.version,
            problem=recognition.problem,
            problem_detail=recognition.detail,
            pages=raw.pages,
        )
    return ExtractedDocument(
        received=received,
        kind=extractor.kind,
        form_id=recognition.spec.form_id.value,
        form_version=recognition.version,
        fields=combine(recognition.spec, raw),
        pages=raw.pages,
    )


__all__ = ["EXTRACTORS", "Detected", "DocumentUnreadable", "Extractor", "RawDocument", "detect", "extract"]
