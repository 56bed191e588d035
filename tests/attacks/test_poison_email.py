"""Poison emails: a message nested a thousand deep, a Date in the year 9999, an email too large to
read, and one whose reading hangs must each become one document for a person while every other
file of the run goes on, and no later run or page may fail on what they left behind.

Before emails were read in the workers, the first two raised RecursionError and OverflowError in
the run's own process: the run exited 1, the email stayed in the inbox and no later file was ever
processed.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest

from pipeline.intake.unpack import Unpacked, UnpackJob
from pipeline.model import Outcome
from pipeline.run import process
from pipeline.workers import ExtractionPool

SUBMISSIONS = Path(__file__).resolve().parents[2] / "samples" / "submissions"
PLAN = (SUBMISSIONS / "orp_valid_cei.pdf").read_bytes()
PACKET = (SUBMISSIONS / "reg_valid_cei.docx").read_bytes()
SENT = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


def nested_email(depth: int) -> bytes:
    """Multipart parts each inside the one before, ``depth`` deep (111 KB at 1,000)."""
    head = "From: avery.sample@example.org\nTo: psp-coordinator@example.org\nSubject: forms\n"
    head += "Date: Tue, 01 Dec 2026 09:30:00 +0000\nMIME-Version: 1.0\n"
    opening = "".join(f'Content-Type: multipart/mixed; boundary="b{i}"\n\n--b{i}\n' for i in range(depth))
    closing = "".join(f"\n--b{i}--" for i in reversed(range(depth)))
    return (head + opening + "Content-Type: text/plain\n\nhello" + closing + "\n").encode()


def email_dated(date_header: str, attachments: list[tuple[str, bytes]]) -> bytes:
    message = EmailMessage()
    message["From"] = "Avery Sample <avery.sample@example.org>"
    message["To"] = "psp-coordinator@example.org"
    message["Subject"] = "forms"
    message["Date"] = date_header
    message.set_content("Our forms are attached.")
    for name, data in attachments:
        message.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    return bytes(message)


def drop(path: Path, data: bytes, arrived: datetime = SENT + timedelta(hours=1)) -> None:
    path.write_bytes(data)
    os.utime(path, (arrived.timestamp(), arrived.timestamp()))


@pytest.fixture
def inbox(settings) -> Path:
    settings.data_home.inbox.mkdir(parents=True)
    return settings.data_home.inbox


def test_poison_emails_go_to_a_person_and_every_other_file_goes_on(settings, inbox):
    drop(inbox / "a-deep.eml", nested_email(1000))
    drop(inbox / "b-year-9999.eml", email_dated("Fri, 31 Dec 9999 23:59:59 -1200", [("plan.pdf", PLAN)]))
    drop(inbox / "c-plan.pdf", PLAN.replace(b"%%EOF", b"%%EOF\n% another copy\n"))  # other bytes, same form
    drop(inbox / "d-not-a-date.eml", email_dated("yesterday-ish, 99 Foo 12345", [("packet.docx", PACKET)]))

    summary = process(settings)  # before: RecursionError out of the run

    outcomes = {d.file: d.outcome for d in summary.documents}
    reasons = {d.file: " ".join(f.message for f in d.findings) for d in summary.documents}
    assert outcomes["a-deep.eml"] == Outcome.NEEDS_REVIEW
    assert "nested" in reasons["a-deep.eml"]
    # The year 9999 is not a date the email was sent: the arrival counts, and a person is told.
    assert outcomes["b-year-9999.eml/plan.pdf"] == Outcome.NEEDS_REVIEW
    assert "Date is not within 14 days" in reasons["b-year-9999.eml/plan.pdf"]
    assert outcomes["c-plan.pdf"] == Outcome.ACCEPTED
    assert "d-not-a-date.eml/packet.docx" in outcomes
    assert list(inbox.iterdir()) == []
    # What they left behind breaks no later run, nor its pages.
    drop(inbox / "e-plan.pdf", PLAN.replace(b"%%EOF", b"%%EOF\n% a third copy\n"))
    assert {d.file for d in process(settings).documents} == {"e-plan.pdf"}
    assert (settings.data_home.reports / "overview.html").stat().st_size > 0


def test_an_email_larger_than_a_form_can_be_is_set_aside_unread(settings, inbox):
    settings = settings.model_copy(update={"max_file_mb": 0.05})
    drop(inbox / "huge.eml", email_dated("Tue, 01 Dec 2026 09:30:00 +0000", [("plan.pdf", PLAN + b"\0" * 60_000)]))
    summary = process(settings)
    (document,) = summary.documents
    assert document.file == "huge.eml" and document.outcome == Outcome.NEEDS_REVIEW
    assert "set aside unread" in summary.waiting[0]["reason"]
    assert list(settings.data_home.staging.iterdir()) == []  # nothing of it was unpacked


def hangs(job: UnpackJob) -> Unpacked:
    time.sleep(30)
    return Unpacked()


def test_an_email_whose_reading_hangs_is_stopped_at_the_time_limit(tmp_path):
    email = tmp_path / "slow.eml"
    drop(email, email_dated("Tue, 01 Dec 2026 09:30:00 +0000", [("plan.pdf", PLAN)]))
    job = UnpackJob(email, "slow.eml", "0" * 64, tmp_path / "staging" / "x", SENT, timedelta(days=14))
    pool = ExtractionPool(workers=1, timeout_seconds=1, memory_mb=1536, unpacker=hangs)
    try:
        (unpacked,) = pool.unpack_all([job])
    finally:
        pool.close()
    assert unpacked.manifest is None and "took longer than 1 s" in unpacked.problem


def test_a_backdated_date_header_does_not_make_old_signatures_fresh(settings, inbox):
    # Sent "six months ago" by its header, yet the file arrived today: the arrival counts.
    arrived = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)
    drop(inbox / "old.eml", email_dated("Mon, 01 Jun 2026 09:00:00 +0000", [("plan.pdf", PLAN)]), arrived)
    summary = process(settings)
    (document,) = summary.documents
    assert document.received_at.isoformat().startswith("2026-12-02")
    assert document.outcome == Outcome.NEEDS_REVIEW


def test_an_attachment_with_a_long_name_in_another_script_is_read(settings, inbox):
    name = "登録パケット" * 15 + ".pdf"  # 90 characters, 270 bytes: longer than a file name may be
    drop(inbox / "long.eml", email_dated("Tue, 01 Dec 2026 09:30:00 +0000", [(name, PLAN)]))
    (document,) = process(settings).documents
    assert document.file == f"long.eml/{name}" and document.outcome == Outcome.ACCEPTED


def writes_then_hangs(job: UnpackJob) -> Unpacked:
    job.folder.mkdir(parents=True)
    (job.folder / "01.pdf").write_bytes(PLAN)
    time.sleep(30)
    return Unpacked()


def test_an_email_stopped_at_its_limit_leaves_nothing_in_staging(tmp_path):
    from pipeline.intake import collect_inbox

    inbox, staging = tmp_path / "inbox", tmp_path / "staging"
    inbox.mkdir()
    drop(inbox / "slow.eml", email_dated("Tue, 01 Dec 2026 09:30:00 +0000", [("plan.pdf", PLAN)]))
    pool = ExtractionPool(workers=1, timeout_seconds=1, memory_mb=1536, unpacker=writes_then_hangs)
    try:
        (received,) = collect_inbox(inbox, staging, pool.unpack_all)
    finally:
        pool.close()
    assert received.original_name == "slow.eml" and "took longer" in received.unread_reason
    assert list(staging.iterdir()) == []  # no attachments left that no record would ever claim
