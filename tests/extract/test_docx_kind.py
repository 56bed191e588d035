"""pipeline.extract.docx_kind: which of the three Word kinds a .docx is, from its content: the form
(content controls tagged with the form's keys), a legacy form (Word's legacy form fields) or a
document (neither), told from the document python-docx opened, which comes with the kind."""

from __future__ import annotations

import zipfile

import pytest
from docx import Document

from pipeline.extract.base import DocumentUnreadable
from pipeline.extract.docx_kind import (
    ZIP_MAGIC,
    DocxKind,
    detect_docx,
    is_docx,
    open_docx,
)
from tests.extract.conftest import SUBMISSIONS, blank, legacy_form


def head(path) -> bytes:
    return path.read_bytes()[:2048]


def test_a_word_file_is_a_zip_holding_word_document_xml(tmp_path):
    assert is_docx(blank("PSP-ORP", ".docx"), head(blank("PSP-ORP", ".docx")))
    with zipfile.ZipFile(tmp_path / "book.xlsx", "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
    assert not is_docx(tmp_path / "book.xlsx", head(tmp_path / "book.xlsx"))
    (tmp_path / "broken.docx").write_bytes(ZIP_MAGIC + b"the rest is gone")
    assert not is_docx(tmp_path / "broken.docx", head(tmp_path / "broken.docx"))
    assert not is_docx(SUBMISSIONS / "orp_valid_cei.pdf", head(SUBMISSIONS / "orp_valid_cei.pdf"))


def test_the_official_form_filled_or_blank_is_the_form():
    for path in (SUBMISSIONS / "reg_valid_cei.docx", blank("PSP-REG", ".docx")):
        kind, document = detect_docx(path)
        assert kind is DocxKind.FORM and document is not None


def test_an_older_template_of_legacy_fields_is_a_legacy_form(tmp_path):
    for named_like_keys in (True, False):
        path = legacy_form(tmp_path / f"legacy-{named_like_keys}.docx", named_like_keys=named_like_keys)
        kind, document = detect_docx(path)
        assert kind is DocxKind.LEGACY_FORM and document is not None


def test_a_document_typed_without_controls_or_fields_is_a_document(tmp_path):
    document = Document()
    document.add_paragraph("Home city: Lansing")
    document.save(str(tmp_path / "typed.docx"))
    kind, opened = detect_docx(tmp_path / "typed.docx")
    assert kind is DocxKind.DOCUMENT and opened.paragraphs[0].text == "Home city: Lansing"


def test_a_word_file_that_cannot_be_opened_is_left_to_the_form_reader_which_says_why(tmp_path):
    with zipfile.ZipFile(tmp_path / "broken.docx", "w") as archive:
        archive.writestr("word/document.xml", "<not-closed")
    assert detect_docx(tmp_path / "broken.docx") == (DocxKind.FORM, None)
    with pytest.raises(DocumentUnreadable, match=r"the Word file could not be opened \("):
        open_docx(tmp_path / "broken.docx")
