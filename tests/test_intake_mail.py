"""Intake of saved emails: one carrying forms becomes one received file per attachment, named
``<mail>/<attachment>``, with the email's sender and Date; one carrying none is received itself."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from samples.renditions import write_eml

SUBMISSIONS = Path(__file__).resolve().parents[1] / "samples" / "submissions"
SENT = datetime(2026, 12, 1, 9, 30, tzinfo=timezone(timedelta(hours=-5)))
PDF = (SUBMISSIONS / "orp_valid_cei.pdf").read_bytes()
DOCX = (SUBMISSIONS / "reg_valid_cei.docx").read_bytes()


def test_each_attachment_is_received_with_the_emails_sender_and_date(tmp_path, collect):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    write_eml(inbox / "mail.eml", "Avery Sample <avery.sample@example.org>", SENT, [("plan.pdf", PDF), ("plan.pdf", DOCX)])
    arrived = (SENT + timedelta(days=2)).timestamp()  # saved into the inbox two days after it was sent
    os.utime(inbox / "mail.eml", (arrived, arrived))  # the Date header counts, not the file's own time
    files = collect(inbox)
    assert [f.original_name for f in files] == ["mail.eml/plan (2).pdf", "mail.eml/plan.pdf"]
    assert {f.sender for f in files} == {"avery.sample@example.org"}
    assert {f.received_at for f in files} == {datetime(2026, 12, 1, 14, 30, tzinfo=UTC)}
    assert sorted(f.path.read_bytes() for f in files) == sorted([PDF, DOCX])
    assert all(f.path.is_relative_to(tmp_path / "staging") for f in files)


def test_an_email_without_forms_is_received_itself(tmp_path, collect):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    write_eml(inbox / "photo.eml", "Avery <avery.sample@example.org>", SENT, [("scan.jpg", b"\xff\xd8\xff\xe0 not a form")])
    (file,) = collect(inbox)
    assert (file.original_name, file.sender) == ("photo.eml", "avery.sample@example.org")
    assert file.received_at == datetime(2026, 12, 1, 14, 30, tzinfo=UTC)
    assert not (tmp_path / "staging").exists() and not any(p.name.startswith(".") for p in inbox.iterdir())


def test_attachments_already_filed_are_not_received_again(tmp_path, collect):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    write_eml(inbox / "mail.eml", "Avery <avery.sample@example.org>", SENT, [("plan.pdf", PDF), ("packet.docx", DOCX)])
    first = collect(inbox)
    first[0].path.unlink()  # filed by a run that then stopped before archiving the email
    again = collect(inbox)
    assert [f.original_name for f in again] == [first[1].original_name]
