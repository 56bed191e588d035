"""Which of the three PDF kinds a PDF is, decided once from its content:

* fillable: AcroForm fields holding values (the form filled in a PDF reader);
* flat: no field holds a value, but the pages carry text (printed or saved as PDF, flattened);
* scanned: no field values and no text on any page (pictures of pages: a person reads them).

Each PDF extractor's ``sniff`` asks ``pdf_kind``; the answer is cached per file so the PDF is
parsed once for the choice. A PDF that cannot be parsed is left to the fillable reader, which
says why it cannot be read.
"""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
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


# The reader the last kind was decided with, and its file (path, size, mtime): the extractor that
# reads the file next takes it (``take_reader``) instead of parsing the same PDF a second time.
_last_reader: tuple[tuple[str, int, int], PdfReader] | None = None


@lru_cache(maxsize=32)
def _kind(path: str, size: int, mtime_ns: int) -> PdfKind:
    global _last_reader
    _last_reader = None
    try:
        reader = PdfReader(path)
        if reader.is_encrypted and not reader.decrypt(""):
            return PdfKind.FILLABLE  # its reader says it is protected
        if not reader.is_encrypted:
            _last_reader = ((path, size, mtime_ns), reader)
        fields = reader.get_fields() or {}
        if any(_holds_value(f) for f in fields.values()) or _widget_checked(reader):
            return PdfKind.FILLABLE
        for page in reader.pages:
            resources = page.get("/Resources")
            if _has_fonts(resources.get_object() if resources is not None else None, XOBJECT_DEPTH):
                return PdfKind.FLAT
        return PdfKind.SCANNED
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, RecursionError, OSError):
        _last_reader = None  # its extractor parses it again, and says why it cannot be read
        return PdfKind.FILLABLE


def pdf_kind(path: Path) -> PdfKind:
    stat = path.stat()
    return _kind(str(path), stat.st_size, stat.st_mtime_ns)


def take_reader(path: Path) -> PdfReader | None:
    """The reader ``pdf_kind`` parsed this very file with, once; None when it was another file."""
    global _last_reader
    held, _last_reader = _last_reader, None
    if held is None:
        return None
    stat = path.stat()
    return held[1] if held[0] == (str(path), stat.st_size, stat.st_mtime_ns) else None
