"""Which inbox files are taken: settled ones, not temporary or hidden ones, not links."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pipeline.intake import inbox_entries, is_ignored, receive, settled
from tests.intake.conftest import PLAN


def write(path: Path, data: bytes = b"%PDF-1.7\n", age: float = 3600) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    stamp = time.time() - age
    os.utime(path, (stamp, stamp))
    return path


def test_temporary_hidden_and_lock_files_are_not_submissions(tmp_path):
    for name in ("~$plan.docx", ".~lock.plan.docx#", "plan.pdf.part", ".DS_Store", "Thumbs.db", ".hidden.pdf", "x.tmp"):
        write(tmp_path / name)
    kept = write(tmp_path / "plan.pdf")
    assert list(inbox_entries(tmp_path)) == [kept]


def test_a_symbolic_link_is_not_followed(tmp_path):
    outside = write(tmp_path.parent / f"{tmp_path.name}-outside.pdf")
    (tmp_path / "link.pdf").symlink_to(outside)
    assert list(inbox_entries(tmp_path)) == []


def test_old_files_are_taken_at_once(tmp_path):
    old = write(tmp_path / "old.pdf", age=60)
    slept: list[float] = []
    ready, busy = settled([old], 5, sleep=slept.append)
    assert (ready, busy, slept) == ([old], [], [])


def test_a_file_still_growing_waits_for_the_next_run(tmp_path):
    growing = write(tmp_path / "growing.pdf", age=1)
    steady = write(tmp_path / "steady.pdf", age=2)

    def sleep(seconds: float) -> None:
        assert 0 < seconds <= 5
        with growing.open("ab") as handle:  # the copy goes on while we wait
            handle.write(b"more")

    ready, busy = settled([growing, steady], 5, sleep=sleep)
    assert ready == [steady] and busy == [growing]
    ready, busy = settled([growing], 5, clock=lambda: time.time() + 10, sleep=lambda s: None)
    assert ready == [growing]  # the next run, once it has settled


def test_odd_names_are_read_and_kept_as_they_are(tmp_path, collect):
    names = ["plan with spaces.pdf", "plän_ünïcødé.pdf", "report..final..pdf", "x" * 200 + ".pdf"]
    for name in names:
        write(tmp_path / name)
    received = collect(tmp_path)
    assert sorted(r.original_name for r in received) == sorted(names)


def test_a_file_dated_in_the_future_counts_as_received_when_the_run_saw_it(tmp_path, collect):
    # A copy tool or a wrong clock wrote next June into the mtime: the packet would be judged late
    # by REG-R07/R09 and its notice would say it arrived next year.
    write(tmp_path / "future.pdf", age=-180 * 86400)
    before = datetime.now(UTC)
    (received,) = collect(tmp_path)
    assert before - timedelta(seconds=1) <= received.received_at <= datetime.now(UTC)


def test_a_file_from_the_past_keeps_its_time(tmp_path, collect):
    # Replaying old files (the samples, the tests) keeps their times: only the future is capped.
    path = write(tmp_path / "old.pdf", age=30 * 86400)
    (received,) = collect(tmp_path)
    assert received.received_at == datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)


def test_an_email_file_dated_in_the_future_cannot_carry_a_future_date(tmp_path, collect):
    # The email's Date is taken only within the window before the file arrived; a future mtime
    # must not move that window into the future with it.
    from samples.renditions import write_eml

    sent = datetime.now(UTC) + timedelta(days=170)
    write_eml(tmp_path / "mail.eml", "Avery <avery.sample@example.org>", sent,
              [("plan.pdf", PLAN)])
    stamp = (sent + timedelta(days=1)).timestamp()
    os.utime(tmp_path / "mail.eml", (stamp, stamp))
    (received,) = collect(tmp_path)
    assert received.received_at <= datetime.now(UTC)
    assert received.received_note and "Date" in received.received_note  # a person checks when it was sent


def test_a_file_inside_an_ignored_folder_is_not_a_submission(tmp_path):
    write(tmp_path / ".sync" / "plan.pdf")
    write(tmp_path / "agency" / "~$draft.docx")
    kept = write(tmp_path / "agency" / "plan.pdf")
    assert list(inbox_entries(tmp_path)) == [kept]
    assert is_ignored(Path("Download.PDF.crdownload")) and is_ignored(Path("Desktop.ini"))
    assert not is_ignored(Path("plan.pdf")) and not is_ignored(Path("plan~1.pdf"))


def test_a_received_file_has_its_name_in_the_inbox_its_size_and_its_digest(tmp_path):
    import hashlib

    path = write(tmp_path / "agency" / "plan.pdf", b"%PDF-1.7 a plan", age=60)
    received = receive(path, tmp_path)
    assert (received.original_name, received.size) == ("agency/plan.pdf", len(b"%PDF-1.7 a plan"))
    assert received.sha256 == hashlib.sha256(b"%PDF-1.7 a plan").hexdigest()
    assert received.received_at == datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)


def test_a_received_file_is_never_received_after_the_program_saw_it(tmp_path):
    path = write(tmp_path / "plan.pdf", age=60)
    seen = datetime.now(UTC) - timedelta(hours=1)  # listed an hour ago, copied in since
    assert receive(path, tmp_path, seen_at=seen).received_at == seen
