"""Which of the three PDF kinds a PDF is, decided once from its content:

* fillable: AcroForm fields holding values (the form filled in a PDF reader);
* flat: no field holds a value, but the pages carry text (printed or saved as PDF, flattened);
* scanned: no field values and no text on any page (pictures of pages: a person reads them).

``detect_pdf`` parses the PDF once and returns the reader with the kind: the extractor reads that
reader (``pipeline.extract.detect``). A PDF that cannot be parsed is left to the fillable reader,
which says why it cannot be read.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pypdf import PdfReader
from pypdf.errors import PdfReadError
from pypdf.generic import DictionaryObject

PDF_MAGIC = b"%PDF-"
# How deep form XObjects are searched for fonts (flattened fields draw their text in XObjects).
XOBJECT_DEPTH = 3


class PdfKind(StrEnum):
    FILLABLE = "fillable"
    FLAT = "flat"
    SCANNED = "scanned"


def is_pdf(head: bytes) -> bool:
    """Whether the file's first bytes hold the PDF header (some producers put bytes before it)."""
    return PDF_MAGIC in head[:1024]


def _holds_value(pdf_field: dict) -> bool:
    value = pdf_field.get("/V")
    if value is None:
        return False
    text = str(value)
    return text not in ("", "/Off", "Off")


def _widget_checked(reader: PdfReader) -> bool:
    """Some fillers set only a checkbox widget's appearance state, not the field's value."""
    for page in reader.pages:
        for ref in page.get("/Annots") or []:
            annotation = ref.get_object()
            if isinstance(annotation, DictionaryObject) and annotation.get("/Subtype") == "/Widget":
                state = annotation.get("/AS")
                if state is not None and str(state) not in ("/Off", ""):
                    return True
    return False


def _has_fonts(resources: object, depth: int) -> bool:
    if not isinstance(resources, DictionaryObject):
        return False
    fonts = resources.get("/Font")
    if fonts is not None and len(fonts.get_object()) > 0:
        return True
    if depth <= 0:
        return False
    xobjects = resources.get("/XObject")
    if xobjects is None:
        return False
    for ref in xobjects.get_object().values():
        xobject = ref.get_object()
        if xobject.get("/Subtype") == "/Form" and _has_fonts(xobject.get("/Resources"), depth - 1):
            return True
    return False


def detect_pdf(path: Path) -> tuple[PdfKind, PdfReader | None]:
    """The PDF's kind, and the reader it was told with (None when it could not be parsed: its
    extractor parses it again and says why it cannot be read)."""
    try:
        reader = PdfReader(path)
        if reader.is_encrypted and not reader.decrypt(""):
            return PdfKind.FILLABLE, reader  # its reader says it is protected
        fields = reader.get_fields() or {}
        if any(_holds_value(f) for f in fields.values()) or _widget_checked(reader):
            return PdfKind.FILLABLE, reader
        for page in reader.pages:
            resources = page.get("/Resources")
            if _has_fonts(resources.get_object() if resources is not None else None, XOBJECT_DEPTH):
                return PdfKind.FLAT, reader
        return PdfKind.SCANNED, reader
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, RecursionError, OSError):
        return PdfKind.FILLABLE, None
