"""Extraction: from a received file to an ExtractedDocument (form, version, every widget's value
with where it was read and how sure we are). Knows nothing of validation, stores or routing.
"""

from __future__ import annotations

from pipeline.extract.base import DocumentUnreadable, Extractor, RawDocument
from pipeline.extract.docx_form import WordFormExtractor
from pipeline.extract.pdf_form import FillablePdfExtractor
from pipeline.extract.recognise import recognise
from pipeline.model import ExtractedDocument, ExtractionProblem, InputKind, ReceivedFile

# Tried in this order; the first whose sniff accepts the file reads it.
EXTRACTORS: dict[InputKind, Extractor] = {
    InputKind.FILLABLE_PDF: FillablePdfExtractor(),
    InputKind.WORD_FORM: WordFormExtractor(),
}

SNIFF_BYTES = 2048


def choose_extractor(received: ReceivedFile) -> Extractor | None:
    with received.path.open("rb") as handle:
        head = handle.read(SNIFF_BYTES)
    return next((e for e in EXTRACTORS.values() if e.sniff(received.path, head)), None)


def extract(received: ReceivedFile) -> ExtractedDocument:
    """Read one received file. Never raises for a bad document: the problem is in the result."""
    extractor = choose_extractor(received)
    if extractor is None:
        return ExtractedDocument(
            received=received,
            problem=ExtractionProblem.UNSUPPORTED_KIND,
            problem_detail="not a PDF or Word (.docx) file; ask the sender for the form as PDF or Word",
        )
    try:
        raw = extractor.read(received.path)
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
    known = set(recognition.spec.widget_keys)
    return ExtractedDocument(
        received=received,
        kind=extractor.kind,
        form_id=recognition.spec.form_id.value,
        form_version=recognition.version,
        fields={key: value for key, value in raw.widgets.items() if key in known},
        pages=raw.pages,
    )


__all__ = ["EXTRACTORS", "DocumentUnreadable", "Extractor", "RawDocument", "choose_extractor", "extract"]
