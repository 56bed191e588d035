"""pipeline.extract.zip_guard: an archive that unpacks to far more than a form could, or compresses
far better than text does, is refused unread, from its directory and from what its parts really
inflate to, before its kind is told. The directory that lies about a part's size is attacked in
tests/attacks/test_understated_zip.py."""

from __future__ import annotations

import zipfile

import pytest

from pipeline.extract import extract
from pipeline.extract.base import DocumentUnreadable
from pipeline.extract.zip_guard import MAX_MEMBERS, check_archive
from tests.extract.conftest import FORMS, SUBMISSIONS, rebuild


def test_a_zip_bomb_is_refused_unread(tmp_path, received):
    bomb = rebuild(FORMS / "PSP-REG_2025.1.docx", tmp_path / "bomb.docx", {"word/media/padding.bin": bytes(150 * 1024 * 1024)})
    assert bomb.stat().st_size < 1024 * 1024
    document = extract(received(bomb))
    assert document.problem == "unreadable"
    assert "refused unread" in document.problem_detail


def test_a_zip_bomb_in_the_documents_own_text_is_refused_before_its_kind_is_told(tmp_path, received, monkeypatch):
    """Telling a Word file's kind opens it: the archive is checked before any extractor is asked."""
    import pipeline.extract

    padding = b"<w:p/>" * (25 * 1024 * 1024)  # 150 MB of XML, a few hundred KB packed
    bomb = rebuild(FORMS / "PSP-REG_2025.1.docx", tmp_path / "bomb.docx", {"word/document.xml": padding})
    assert bomb.stat().st_size < 1024 * 1024

    def sniffed(_path):
        raise AssertionError("the file was sniffed")

    monkeypatch.setattr(pipeline.extract, "detect", sniffed)
    document = extract(received(bomb))
    assert document.problem == "unreadable"
    assert "refused unread" in document.problem_detail


def test_real_word_files_and_other_files_pass(tmp_path):
    check_archive(SUBMISSIONS / "reg_valid_cei.docx")
    check_archive(FORMS / "PSP-ORP_2025.1.docx")
    check_archive(SUBMISSIONS / "orp_valid_cei.pdf")  # not an archive: the reader says what it is
    (tmp_path / "broken.zip").write_bytes(b"PK\x03\x04 and nothing more")
    check_archive(tmp_path / "broken.zip")


def test_a_part_compressing_far_better_than_text_is_a_bomb(tmp_path):
    with zipfile.ZipFile(tmp_path / "ratio.docx", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", bytes(20 * 1024 * 1024))  # 20 MB of zeros: a few KB packed
    with pytest.raises(DocumentUnreadable, match=r"compresses like a zip bomb \(\d+ to 1\); it was refused unread"):
        check_archive(tmp_path / "ratio.docx")


def test_parts_that_add_up_to_far_more_than_a_form_are_refused(tmp_path):
    import os

    with zipfile.ZipFile(tmp_path / "large.docx", "w", zipfile.ZIP_STORED) as archive:  # stored: no ratio to see
        for number in range(11):
            archive.writestr(f"word/media/image{number}.bin", os.urandom(10 * 1024 * 1024))
    with pytest.raises(DocumentUnreadable, match=r"would unpack to 110 MB, far more than a form"):
        check_archive(tmp_path / "large.docx")


def test_an_archive_of_too_many_parts_is_refused(tmp_path):
    with zipfile.ZipFile(tmp_path / "many.docx", "w") as archive:
        for number in range(MAX_MEMBERS + 1):
            archive.writestr(f"part{number}.xml", b"<p/>")
    with pytest.raises(DocumentUnreadable, match=f"holds {MAX_MEMBERS + 1} parts"):
        check_archive(tmp_path / "many.docx")
