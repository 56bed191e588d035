"""pipeline.extract.detect: a file's kind, told once from its content (never its name), handed on
with what was opened to tell it, so that its extractor does not parse the file again."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from docx.document import Document
from pypdf import PdfReader

from pipeline.extract import extract
from pipeline.extract.detect import detect
from pipeline.model import InputKind
from samples.msgfile import write_msg
from samples.renditions import write_eml
from tests.extract.conftest import SUBMISSIONS, blank, image_only_pdf

SENT = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("source", "kind"),
    [
        (SUBMISSIONS / "orp_valid_cei.pdf", InputKind.FILLABLE_PDF),
        (blank("PSP-ORP", ".pdf"), InputKind.FLAT_PDF),  # fields that hold no value: read by the page text
        (blank("PSP-ORP", ".docx"), InputKind.WORD_FORM),
    ],
    ids=["fillable-pdf", "blank-pdf", "word-form"],
)
def test_the_kind_is_sniffed_from_the_content_not_the_name(source, kind, tmp_path, received):
    renamed = tmp_path / "attachment.bin"
    renamed.write_bytes(source.read_bytes())
    assert extract(received(renamed)).kind is kind


@pytest.mark.parametrize(("source", "kind", "opened"), [
    (SUBMISSIONS / "orp_valid_cei.pdf", InputKind.FILLABLE_PDF, PdfReader),
    (blank("PSP-REG", ".pdf"), InputKind.FLAT_PDF, PdfReader),
    (SUBMISSIONS / "reg_valid_cei.docx", InputKind.WORD_FORM, Document),
], ids=["fillable-pdf", "flat-pdf", "word-form"])
def test_what_was_opened_to_tell_the_kind_comes_with_it(source, kind, opened):
    detected = detect(source)
    assert detected.kind is kind and isinstance(detected.opened, opened)


def test_a_picture_of_a_page_is_a_scan(tmp_path):
    detected = detect(image_only_pdf(tmp_path / "fax.bin"))
    assert detected.kind is InputKind.SCANNED_PDF and isinstance(detected.opened, PdfReader)


def test_saved_emails_are_told_by_their_headers_and_streams_and_open_nothing(tmp_path):
    write_eml(tmp_path / "mail.bin", "Avery <avery.sample@example.org>", SENT, [])
    write_msg(tmp_path / "message.bin", sender="Avery <avery.sample@example.org>", sent_at=SENT, subject="s", body="b",
              attachments=[])
    assert (detect(tmp_path / "mail.bin").kind, detect(tmp_path / "mail.bin").opened) == (InputKind.EMAIL, None)
    assert detect(tmp_path / "message.bin").kind is InputKind.OUTLOOK_MSG


@pytest.mark.parametrize("content", [b"Form PSP-ORP version 2025.1", b"", b"PK\x03\x04 not a zip at all",
                                     b"\x89PNG\r\n"])
def test_anything_else_is_no_kind_read_here(tmp_path, content):
    path = tmp_path / "file.pdf"  # whatever its name says
    path.write_bytes(content)
    assert detect(path) is None


def test_a_zip_that_is_no_word_file_is_no_kind_read_here(tmp_path):
    import zipfile

    with zipfile.ZipFile(tmp_path / "photos.docx", "w") as archive:
        archive.writestr("photo.jpg", b"\xff\xd8\xff")
    assert detect(tmp_path / "photos.docx") is None
