"""pipeline.load.routing: where each original is kept (``originals/<outcome>/<day received>/``, a
safe name of its own, never one taken) and moving it there once its row is committed, a run that
stopped in between finished by the next."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from pipeline.fileops import sha256_of
from pipeline.load import store
from pipeline.load.routing import (
    Router,
    finish_pending_moves,
    move_original,
    move_originals,
)
from pipeline.model import ExtractedDocument, Outcome, ReceivedFile
from pipeline.settings import DataHome

DETROIT = ZoneInfo("America/Detroit")


def received_file(tmp_path, original_name: str, at: datetime = datetime(2026, 12, 1, tzinfo=UTC)) -> ReceivedFile:
    return ReceivedFile(path=tmp_path / "x", original_name=original_name, sha256="a" * 64, size=1, received_at=at)


def test_odd_names_are_filed_safely(tmp_path):
    router = Router(DataHome(tmp_path), DETROIT)
    for original in ("mail.eml/../../etc/passwd", "é" * 300 + ".pdf", "tab\there.pdf", "..hidden"):
        received = received_file(tmp_path, original)
        target = router.destination(received, Outcome.ACCEPTED)
        assert target.parent == tmp_path / "originals" / "accepted" / "2026-11-30"
        assert len(target.name.encode()) <= 200 and "/" not in target.name and "\t" not in target.name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(b"x")  # the file system takes the name


def test_an_email_s_attachment_keeps_its_email_s_name_in_one_component(tmp_path):
    target = Router(DataHome(tmp_path), DETROIT).destination(received_file(tmp_path, "mail.eml/plan.pdf"), Outcome.HELD)
    assert target == tmp_path / "originals" / "held" / "2026-11-30" / "mail.eml__plan.pdf"


def test_a_name_taken_on_disk_or_promised_in_this_run_is_numbered(tmp_path):
    router = Router(DataHome(tmp_path), DETROIT)
    first = router.destination(received_file(tmp_path, "plan.pdf"), Outcome.REJECTED)
    second = router.destination(received_file(tmp_path, "plan.pdf"), Outcome.REJECTED)  # promised, not yet there
    assert (first.name, second.name) == ("plan.pdf", "plan (2).pdf")
    first.parent.mkdir(parents=True)
    (first.parent / "plan (3).pdf").write_bytes(b"kept by an earlier run")
    another_run = Router(DataHome(tmp_path), DETROIT)
    assert another_run.destination(received_file(tmp_path, "plan.pdf"), Outcome.REJECTED) == first
    assert router.destination(received_file(tmp_path, "plan.pdf"), Outcome.REJECTED).name == "plan (4).pdf"


def test_the_day_received_is_the_office_s(tmp_path):
    late_evening = datetime(2026, 12, 2, 3, 30, tzinfo=UTC)  # 22:30 on December 1 in Michigan
    router = Router(DataHome(tmp_path), DETROIT)
    target = router.destination(received_file(tmp_path, "a.pdf", late_evening), Outcome.ACCEPTED)
    assert target.parent.name == "2026-12-01"


def test_an_original_no_longer_in_the_inbox_counts_as_moved_only_when_it_arrived(tmp_path):
    source, target = tmp_path / "inbox" / "plan.pdf", tmp_path / "originals" / "plan.pdf"
    assert move_original(source, target) is False
    source.parent.mkdir()
    source.write_bytes(b"%PDF-1.7 a plan")
    assert move_original(source, target) is True
    assert not source.exists() and target.read_bytes() == b"%PDF-1.7 a plan"
    assert move_original(source, target) is True  # moved already, by a run that stopped after it


def with_bytes_of_its_own(document: ExtractedDocument, text: str) -> ExtractedDocument:
    """The document's stand-in file holding ``text``, and its digest that of those bytes (a move checks it)."""
    document.received.path.write_bytes(text.encode())
    received = document.received.model_copy(update={"sha256": sha256_of(document.received.path)})
    return document.model_copy(update={"received": received})


def test_committed_originals_move_and_a_move_that_fails_waits_for_the_next_run(engine, record, doc, caplog):
    stored, _ = record(with_bytes_of_its_own(doc("PSP-ORP"), "%PDF-1.7 a plan"),
                       with_bytes_of_its_own(doc("PSP-REG", minutes=1), "%PDF-1.7 a packet"))
    moves = store.pending_moves(engine)
    assert len(moves) == 2
    (blocked_id, _, blocked_target, _), _ = moves
    blocked_target.parent.mkdir(parents=True, exist_ok=True)
    blocked_target.write_bytes(b"another file of that name")  # never overwritten

    with caplog.at_level(logging.ERROR):
        assert move_originals(engine, moves) == 1
    assert [move[0] for move in store.pending_moves(engine)] == [blocked_id]
    assert f"could not move received file #{blocked_id}" in caplog.text

    blocked_target.unlink()
    assert finish_pending_moves(engine, at_start=True) == 1
    assert store.pending_moves(engine) == []
    assert sorted(s.stored_path.is_file() for s in stored) == [True, True]
