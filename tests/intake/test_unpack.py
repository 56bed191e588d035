"""pipeline.intake.unpack: a saved email carrying forms becomes one received file per attachment,
named ``<mail>/<attachment>``, with the email's sender and Date; one carrying none is received
itself. In the worker, ``unpack`` sets the attachments aside by number, the manifest written last."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from pipeline.intake.mail import MailFormat
from pipeline.intake.unpack import (
    MANIFEST,
    Manifest,
    Unpacked,
    UnpackJob,
    read_manifest,
    staging_key,
    unpack,
)
from pipeline.paths import UnsafePathError
from samples.renditions import write_eml
from tests.intake.conftest import PACKET, PLAN

SENT = datetime(2026, 12, 1, 9, 30, tzinfo=timezone(timedelta(hours=-5)))


def test_each_attachment_is_received_with_the_emails_sender_and_date(tmp_path, collect):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    write_eml(inbox / "mail.eml", "Avery Sample <avery.sample@example.org>", SENT, [("plan.pdf", PLAN), ("plan.pdf", PACKET)])
    arrived = (SENT + timedelta(days=2)).timestamp()  # saved into the inbox two days after it was sent
    os.utime(inbox / "mail.eml", (arrived, arrived))  # the Date header counts, not the file's own time
    files = collect(inbox)
    assert [f.original_name for f in files] == ["mail.eml/plan (2).pdf", "mail.eml/plan.pdf"]
    assert {f.sender for f in files} == {"avery.sample@example.org"}
    assert {f.received_at for f in files} == {datetime(2026, 12, 1, 14, 30, tzinfo=UTC)}
    assert sorted(f.path.read_bytes() for f in files) == sorted([PLAN, PACKET])
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
    write_eml(inbox / "mail.eml", "Avery <avery.sample@example.org>", SENT, [("plan.pdf", PLAN), ("packet.docx", PACKET)])
    first = collect(inbox)
    first[0].path.unlink()  # filed by a run that then stopped before archiving the email
    again = collect(inbox)
    assert [f.original_name for f in again] == [first[1].original_name]


# -- in the worker: unpack, its staging folder and manifest ----------------------------------------


def job(email: Path, folder: Path, *, arrived_at: datetime = SENT + timedelta(hours=2)) -> UnpackJob:
    return UnpackJob(email, email.name, "0" * 64, folder, arrived_at, timedelta(days=14))


def test_an_email_with_forms_is_unpacked_by_number_with_a_manifest_written_last(tmp_path):
    write_eml(tmp_path / "mail.eml", "Avery Sample <avery.sample@example.org>", SENT,
              [("plan.pdf", PLAN), ("plan.pdf", PACKET)])
    folder = tmp_path / "staging" / "key"

    unpacked = unpack(job(tmp_path / "mail.eml", folder))

    assert (unpacked.mail_format, unpacked.problem) == (MailFormat.EML, None)
    assert unpacked.sender == "avery.sample@example.org"
    assert unpacked.received_at == SENT and unpacked.date_note is None
    assert unpacked.manifest.parts == [["01.pdf", "mail.eml/plan.pdf"], ["02.pdf", "mail.eml/plan (2).pdf"]]
    assert sorted(p.name for p in folder.iterdir()) == ["01.pdf", "02.pdf", MANIFEST]
    assert Manifest.read(folder, tmp_path) == unpacked.manifest
    assert read_manifest(folder, tmp_path).part_paths(folder) == [(folder / "01.pdf", "mail.eml/plan.pdf"),
                                                                  (folder / "02.pdf", "mail.eml/plan (2).pdf")]


def test_an_email_dated_outside_the_window_counts_from_its_arrival_and_says_why(tmp_path):
    write_eml(tmp_path / "mail.eml", "Avery <avery.sample@example.org>", SENT, [("plan.pdf", PLAN)])
    arrived = SENT + timedelta(days=30)

    unpacked = unpack(job(tmp_path / "mail.eml", tmp_path / "staging" / "key", arrived_at=arrived))

    assert unpacked.received_at == arrived
    assert unpacked.date_note == ("the email's Date is not within 14 days before the file arrived; "
                                  "the file's arrival is taken as when it was received")


def test_an_email_without_forms_sets_nothing_aside_and_says_why(tmp_path):
    write_eml(tmp_path / "mail.eml", "Avery <avery.sample@example.org>", SENT, [])
    folder = tmp_path / "staging" / "key"

    unpacked = unpack(job(tmp_path / "mail.eml", folder))

    assert unpacked.manifest is None and "attachment" in unpacked.problem
    assert unpacked.sender == "avery.sample@example.org" and not folder.exists()


def test_a_file_that_is_no_email_after_all_is_left_to_be_read_as_itself(tmp_path):
    path = tmp_path / "plan.eml"
    path.write_bytes(PLAN)
    assert unpack(job(path, tmp_path / "staging" / "key")) == Unpacked()


def test_attachments_that_cannot_be_set_aside_leave_nothing_and_say_why(tmp_path):
    write_eml(tmp_path / "mail.eml", "Avery <avery.sample@example.org>", SENT, [("plan.pdf", PLAN)])
    (tmp_path / "in-the-way").write_text("a file where the staging folder goes")

    unpacked = unpack(job(tmp_path / "mail.eml", tmp_path / "in-the-way" / "key"))

    assert unpacked.manifest is None and unpacked.problem.startswith("the email's attachments could not be set aside")
    assert (tmp_path / "in-the-way").read_text() == "a file where the staging folder goes"


def test_the_same_email_dropped_again_unpacks_into_the_same_folder():
    key = staging_key("mail.eml", "a" * 64)
    assert key == staging_key("mail.eml", "a" * 64) and len(key) == 16
    assert key != staging_key("mail.eml", "b" * 64) and key != staging_key("other.eml", "a" * 64)


def test_a_manifest_not_as_the_program_writes_one_is_not_trusted(tmp_path, caplog):
    folder = tmp_path / "staging" / "key"
    folder.mkdir(parents=True)
    assert read_manifest(folder, tmp_path) is None  # none yet: the email is unpacked
    (folder / MANIFEST).write_text('{"email": "mail.eml"}', "utf-8")
    with pytest.raises(ValueError, match="not one the program wrote"):
        Manifest.read(folder, tmp_path)
    assert read_manifest(folder, tmp_path) is None and "ignored a staging manifest" in caplog.text
    Manifest("mail.eml", SENT.isoformat(), None, [["../../outside.pdf", "mail.eml/plan.pdf"]]).write(folder)
    with pytest.raises(UnsafePathError):
        Manifest.read(folder, tmp_path)
