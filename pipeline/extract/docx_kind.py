"""Which of the three Word kinds a .docx is, decided once from its content:

* form: it still has content controls tagged with the form's field keys (the official Word form);
* legacy form: it has Word's legacy form fields (FORMTEXT, FORMCHECKBOX, FORMDROPDOWN);
* document: neither (typed over, re-saved by LibreOffice, which drops the tags, or retyped).

Telling the kind takes the document opened with python-docx, as every Word extractor reads it:
``detect_docx`` returns it with the kind, and the extractor reads that document
(``pipeline.extract.detect``) instead of opening the file again.
"""

from __future__ import annotations

import zipfile
from enum import StrEnum
from functools import cache
from pathlib import Path

import docx
from docx.document import Document
from docx.opc.exceptions import PackageNotFoundError
from lxml import etree

from pipeline.extract.base import DocumentUnreadable
from schemas.spec import all_form_specs

ZIP_MAGIC = b"PK\x03\x04"
W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_TAG = f"{{{W_NS}}}tag"
_FFDATA = f"{{{W_NS}}}ffData"
_VAL = f"{{{W_NS}}}val"
# Word 2010's check box content control (w14:checkbox), as both Word readers find it.
W14_NS = "http://schemas.microsoft.com/office/word/2010/wordml"
W14_CHECKBOX = f"{{{W14_NS}}}checkbox"
W14_CHECKED = f"{{{W14_NS}}}checked"
W14_VAL = f"{{{W14_NS}}}val"


class DocxKind(StrEnum):
    FORM = "form"
    LEGACY_FORM = "legacy_form"
    DOCUMENT = "document"


@cache
def _form_keys() -> frozenset[str]:
    return frozenset(key for spec in all_form_specs() for key in spec.widget_keys)


def is_docx(path: Path, head: bytes) -> bool:
    """Whether the file is a zip holding a Word document (its first bytes ``head`` say zip)."""
    if not head.startswith(ZIP_MAGIC):
        return False
    try:
        with zipfile.ZipFile(path) as archive:
            return "word/document.xml" in archive.namelist()
    except (zipfile.BadZipFile, OSError):
        return False


def open_docx(path: Path) -> Document:
    """The Word file opened with python-docx; DocumentUnreadable when it cannot be."""
    try:
        return docx.Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, etree.XMLSyntaxError) as exc:
        raise DocumentUnreadable(f"the Word file could not be opened ({type(exc).__name__})") from exc


def detect_docx(path: Path) -> tuple[DocxKind, Document | None]:
    """The Word file's kind, and the document it was told from (None when it cannot be opened: the
    form reader opens it again and says why)."""
    try:
        document = open_docx(path)
    except DocumentUnreadable:
        return DocxKind.FORM, None
    root = document.element  # the whole of word/document.xml
    keys = _form_keys()
    if any(tag.get(_VAL) in keys for tag in root.iter(_TAG)):
        return DocxKind.FORM, document
    return (DocxKind.LEGACY_FORM if next(root.iter(_FFDATA), None) is not None else DocxKind.DOCUMENT), document
