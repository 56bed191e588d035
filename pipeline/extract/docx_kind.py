"""Which of the three Word kinds a .docx is, decided once from its content:

* form: it still has content controls tagged with the form's field keys (the official Word form);
* legacy form: it has Word's legacy form fields (FORMTEXT, FORMCHECKBOX, FORMDROPDOWN);
* document: neither (typed over, re-saved by LibreOffice, which drops the tags, or retyped).

Each Word extractor's ``sniff`` asks ``docx_kind``; the answer is cached per file.
"""

from __future__ import annotations

import zipfile
from enum import StrEnum
from functools import cache, lru_cache
from pathlib import Path

from lxml import etree

from schemas.spec import all_form_specs

ZIP_MAGIC = b"PK\x03\x04"
W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_TAG = f"{{{W_NS}}}tag"
_FFDATA = f"{{{W_NS}}}ffData"
_VAL = f"{{{W_NS}}}val"


class DocxKind(StrEnum):
    FORM = "form"
    LEGACY_FORM = "legacy_form"
    DOCUMENT = "document"


@cache
def _form_keys() -> frozenset[str]:
    return frozenset(key for spec in all_form_specs() for key in spec.widget_keys)


def is_docx(path: Path, head: bytes) -> bool:
    if not head.startswith(ZIP_MAGIC):
        return False
    try:
        with zipfile.ZipFile(path) as archive:
            return "word/document.xml" in archive.namelist()
    except (zipfile.BadZipFile, OSError):
        return False


@lru_cache(maxsize=32)
def _kind(path: str, size: int, mtime_ns: int) -> DocxKind:
    keys = _form_keys()
    legacy = False
    try:
        with zipfile.ZipFile(path) as archive, archive.open("word/document.xml") as xml:
            for _, element in etree.iterparse(xml, events=("end",), tag=(_TAG, _FFDATA), huge_tree=True):
                if element.tag == _TAG and element.get(_VAL) in keys:
                    return DocxKind.FORM
                if element.tag == _FFDATA:
                    legacy = True
    except (zipfile.BadZipFile, KeyError, OSError, etree.XMLSyntaxError):
        return DocxKind.FORM  # the form reader says why it cannot be opened
    return DocxKind.LEGACY_FORM if legacy else DocxKind.DOCUMENT


def docx_kind(path: Path) -> DocxKind:
    stat = path.stat()
    return _kind(str(path), stat.st_size, stat.st_mtime_ns)
