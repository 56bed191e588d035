"""Which inbox files are taken: settled ones, not temporary or hidden ones, not links."""

from __future__ import annotations

import os
import time
from pathlib import Path

from pipeline.intake import collect_inbox, inbox_entries, settled


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


def test_odd_names_are_filed_safely(tmp_path):
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from pipeline.load.routing import Router
    from pipeline.model import Outcome, ReceivedFile
    from pipeline.settings import DataHome

    router = Router(DataHome(tmp_path), ZoneInfo("America/Detroit"))
    for original in ("mail.eml/../../etc/passwd", "é" * 300 + ".pdf", "tab\there.pdf", "..hidden"):
        received = ReceivedFile(path=tmp_path / "x", original_name=original, sha256="a" * 64, size=1,
                                received_at=datetime(2026, 12, 1, tzinfo=UTC))
        target = router.destination(received, Outcome.ACCEPTED)
        assert target.parent == tmp_path / "originals" / "accepted" / "2026-11-30"
        assert len(target.name.encode()) <= 200 and "/" not in target.name and "\t" not in target.name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(b"x")  # the file system takes the name
