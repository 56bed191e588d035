"""Saved emails told apart by content and read whole: sender, date, attachments (not inline pictures)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from pipeline.intake.mail import MailFormat, mail_format, no_form_reason, read_mail, safe_name
from samples.msgfile import write_msg
from samples.renditions import write_eml

SUBMISSIONS = Path(__file__).resolve().parents[1] / "samples" / "submissions"
EST = timezone(timedelta(hours=-5))
SENT = datetime(2026, 12, 1, 9, 30, tzinfo=EST)
PDF = (SUBMISSIONS / "orp_valid_cei.pdf").read_bytes()
DOCX = (SUBMISSIONS / "reg_valid_cei.docx").read_bytes()


def head(path: Path) -> bytes:
    return path.read_bytes()[:4096]


def test_an_eml_is_known_by_its_headers_not_its_name(tmp_path):
    path = tmp_path / "forwarded.bin"
    write_eml(path, "Avery Sample <avery.sample@example.org>", SENT, [("plan.pdf", PDF), ("packet.docx", DOCX)])
    assert mail_format(path, head(path)) is MailFormat.EML
    mail = read_mail(path, MailFormat.EML)
    assert mail.sender == "avery.sample@example.org"
    assert mail.sent_at == datetime(2026, 12, 1, 14, 30, tzinfo=UTC)
    assert [(a.name, a.data, a.is_form_file) for a in mail.attachments] == [("plan.pdf", PDF, True), ("packet.docx", DOCX, True)]
    assert mail.inline_pictures == 1  # the signature's logo is not an attachment


def test_an_outlook_message_is_known_by_its_streams(tmp_path):
    path = tmp_path / "dragged-from-outlook"
    write_msg(path, sender="Riley Testperson <riley.testperson@example.org>", sent_at=SENT, subject="Packet",
              body="Attached.", attachments=[("packet.docx", DOCX), ("notes.txt", b"see attached")])
    assert mail_format(path, head(path)) is MailFormat.MSG
    mail = read_mail(path, MailFormat.MSG)
    assert (mail.sender, mail.sent_at) == ("riley.testperson@example.org", datetime(2026, 12, 1, 14, 30, tzinfo=UTC))
    assert [(a.name, a.is_form_file) for a in mail.attachments] == [("packet.docx", True), ("notes.txt", False)]
    assert mail.attachments[0].data == DOCX


@pytest.mark.parametrize(
    "text",
    [b"Form PSP-ORP version 2025.1", b"From: someone\nnothing else here", b"%PDF-1.7", b"Dear coordinator,\n"],
)
def test_other_files_are_not_emails(tmp_path, text):
    path = tmp_path / "file"
    path.write_bytes(text)
    assert mail_format(path, text) is None


def test_a_reply_to_address_is_where_a_notice_goes(tmp_path):
    path = tmp_path / "mail.eml"
    path.write_bytes(
        b"From: Office <office@example.org>\r\nReply-To: Avery <avery.sample@example.org>\r\n"
        b"Date: Tue, 01 Dec 2026 09:30:00 -0500\r\nSubject: forms\r\n\r\nNo attachment.\r\n"
    )
    mail = read_mail(path, MailFormat.EML)
    assert (mail.sender, mail.attachments) == ("avery.sample@example.org", ())
    assert "no attachment" in no_form_reason(mail)


@pytest.mark.parametrize(
    ("name", "safe"),
    [("C:\\Users\\me\\plan.pdf", "plan.pdf"), ("../../etc/passwd", "passwd"), ("form*2?.pdf\x00", "form_2_.pdf"), ("", "attachment-3")],
)
def test_attachment_names_keep_no_folders_nor_odd_characters(name, safe):
    assert safe_name(name, 3) == safe


def test_an_attachment_is_a_form_file_by_its_content_pictures_of_a_page_and_other_editors_included():
    from io import BytesIO

    from PIL import Image

    from pipeline.intake.mail import is_form_file

    def picture(size: tuple[int, int], kind: str) -> bytes:
        out = BytesIO()
        Image.new("L", size, 255).save(out, kind)
        return out.getvalue()

    assert is_form_file(picture((1700, 2200), "PNG"))  # a scan, a phone's photo
    assert is_form_file(picture((1728, 2156), "TIFF"))  # a fax
    assert not is_form_file(picture((240, 80), "PNG"))  # a letterhead's logo
    assert is_form_file(b"{\\rtf1\\ansi plan}")  # Rich Text
    assert not is_form_file(b"plain notes")
