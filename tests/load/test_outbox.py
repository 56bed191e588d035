"""pipeline.load.outbox: which notices a run owes, their rows, and the claims that let a sender
send each exactly once: a notice claimed twice, a step by a sender that does not hold it or for
a kind it did not claim, a release, a notice left in doubt and a person's resend."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from pipeline.errors import BadInputError
from pipeline.load import outbox, store
from pipeline.load.outbox import NoticeStatus
from pipeline.model import Outcome

ADDRESS = "riley.testperson@example.org"


@pytest.fixture
def owed(record, doc) -> dict[str, int]:
    """A rejected packet (its phone), a held packet (no plan for its agency) and an unreadable
    file waiting for a person: received file ids by outcome."""
    stored, _ = record(doc("PSP-REG", {"psp_phone": "12"}, minutes=1),
                       doc("PSP-REG", {"psp_first_name": "Sam", "psp_email": "sam@example.org"}, minutes=2),
                       doc("PSP-ORP", {"supervisor_credential": "Other", "supervisor_credential_other": "LBSW"},
                           minutes=3))
    assert [s.outcome for s in stored] == [Outcome.REJECTED, Outcome.HELD, Outcome.NEEDS_REVIEW]
    return {s.outcome.value: s.received_file_id for s in stored}


@pytest.fixture
def notice(engine, owed, tmp_path) -> outbox.OutboxItem:
    """The rejected packet's notice, written and due."""
    (notice_id,) = outbox.prepare_notices(engine, [(owed["rejected"], ADDRESS, tmp_path / "rejected.eml", "rejected")])
    outbox.mark_written(engine, [notice_id])
    return item(engine, notice_id)


def item(engine, notice_id: int) -> outbox.OutboxItem:
    return next(i for i in outbox.notices(engine) if i.id == notice_id)


def status(engine, notice_id: int, **later) -> NoticeStatus:
    return item(engine, notice_id).status(store.utcnow() + timedelta(**later))


def test_the_notices_owed_are_those_of_rejected_and_held_files_until_written(engine, owed, tmp_path):
    assert outbox.missing_notices(engine) == [owed["rejected"], owed["held"]]
    ids = outbox.prepare_notices(engine, [(owed["held"], ADDRESS, tmp_path / "held.eml", "held"),
                                          (owed["rejected"], None, tmp_path / "rejected.eml", "rejected")])
    assert len(set(ids)) == 2
    # Prepared, not written: still owed, and not to be sent.
    assert outbox.missing_notices(engine) == [owed["rejected"], owed["held"]]
    assert [status(engine, i) for i in ids] == [NoticeStatus.NOT_WRITTEN, NoticeStatus.NOT_WRITTEN]
    outbox.mark_written(engine, ids)
    assert outbox.missing_notices(engine) == []
    held, rejected = (item(engine, i) for i in ids)
    assert (held.file, held.outcome, held.kind, held.to_address, held.path) == (
        "PSP-REG-2.pdf", "held", "held", ADDRESS, tmp_path / "held.eml")
    assert held.status(store.utcnow()) is NoticeStatus.PENDING and held.due(store.utcnow())
    assert rejected.status(store.utcnow()) is NoticeStatus.NO_ADDRESS and not rejected.due(store.utcnow())
    # Prepared again (a run that stopped before writing): the same row, not a second one.
    assert outbox.prepare_notices(engine, [(owed["held"], ADDRESS, tmp_path / "held.eml", "held")]) == ids[:1]
    assert len(outbox.notices(engine)) == 2
    assert outbox.prepare_notices(engine, []) == []


def test_a_notice_is_claimed_once_and_counted_as_a_try(engine, notice):
    assert outbox.claim(engine, notice.id, "s1", kind="rejected")
    assert not outbox.claim(engine, notice.id, "s2", kind="rejected")
    assert not outbox.claim(engine, notice.id, "s1", kind="rejected")  # not even by its holder
    claimed = item(engine, notice.id)
    assert (claimed.claimed_by, claimed.attempts) == ("s1", 1)
    assert claimed.status(store.utcnow()) is NoticeStatus.SENDING and not claimed.due(store.utcnow())


def test_a_claim_past_its_lease_is_taken_by_the_next_sender(engine, notice):
    assert outbox.claim(engine, notice.id, "dead")
    later = store.utcnow() + outbox.CLAIM_LEASE + timedelta(seconds=1)
    assert status(engine, notice.id, minutes=16) is NoticeStatus.PENDING
    assert outbox.claim(engine, notice.id, "s2", now=later)
    taken = item(engine, notice.id)
    assert (taken.claimed_by, taken.attempts) == ("s2", 2)
    # The dead sender's steps change nothing now.
    assert not outbox.mark_sent(engine, notice.id, "dead", kind="rejected")
    assert not outbox.release(engine, notice.id, "dead", "late", kind="rejected")
    assert item(engine, notice.id).claimed_by == "s2"


def test_a_claim_for_the_kind_listed_is_refused_once_the_notice_was_rewritten(engine, notice):
    assert not outbox.claim(engine, notice.id, "s1", kind="held")
    assert item(engine, notice.id).attempts == 0


def test_mark_sent_only_by_the_holder_and_for_the_kind_it_claimed(engine, notice):
    assert not outbox.mark_sent(engine, notice.id, "s1", kind="rejected")  # not claimed
    assert outbox.claim(engine, notice.id, "s1", kind="rejected")
    assert not outbox.mark_sent(engine, notice.id, "s1", kind="held")
    assert not outbox.mark_sent(engine, notice.id, "s2", kind="rejected")
    assert item(engine, notice.id).sent_at is None
    assert outbox.mark_sent(engine, notice.id, "s1", kind="rejected")
    sent = item(engine, notice.id)
    assert sent.sent_at is not None and sent.claimed_by is None and sent.status(store.utcnow()) is NoticeStatus.SENT
    assert not outbox.mark_sent(engine, notice.id, "s1", kind="rejected")  # once
    assert not outbox.claim(engine, notice.id, "s2", now=store.utcnow() + timedelta(days=1))
    assert [i.id for i in outbox.notices(engine, include_sent=False)] == []
    assert [i.id for i in outbox.notices(engine)] == [notice.id]


def test_release_gives_the_notice_back_with_its_error_for_the_next_try(engine, notice):
    assert outbox.claim(engine, notice.id, "s1")
    assert not outbox.release(engine, notice.id, "s2", "not mine", kind="rejected")
    assert not outbox.release(engine, notice.id, "s1", "wrong kind", kind="held")
    assert outbox.release(engine, notice.id, "s1", "550 no such user " + "x" * 600, kind="rejected")
    failed = item(engine, notice.id)
    assert failed.claimed_by is None and failed.last_error.startswith("550 no such user") and len(failed.last_error) == 500
    assert failed.status(store.utcnow()) is NoticeStatus.FAILED and failed.due(store.utcnow())
    assert not outbox.release(engine, notice.id, "s1", "again", kind="rejected")  # it holds it no more
    assert outbox.claim(engine, notice.id, "s2")
    assert outbox.mark_sent(engine, notice.id, "s2", kind="rejected")
    assert item(engine, notice.id).last_error is None


def test_a_notice_handed_to_the_server_is_possibly_sent_and_never_claimed_again(engine, notice):
    assert not outbox.mark_possibly_sent(engine, notice.id, "s1", kind="rejected")  # not claimed
    assert outbox.claim(engine, notice.id, "s1")
    assert not outbox.mark_possibly_sent(engine, notice.id, "s2", kind="rejected")
    assert not outbox.mark_possibly_sent(engine, notice.id, "s1", kind="held")
    assert outbox.mark_possibly_sent(engine, notice.id, "s1", kind="rejected")
    assert not outbox.mark_possibly_sent(engine, notice.id, "s1", kind="rejected")  # once
    assert outbox.leave_in_doubt(engine, notice.id, "s1", "no reply to DATA in time", kind="rejected")
    doubtful = item(engine, notice.id)
    assert (doubtful.claimed_by, doubtful.last_error) == (None, "no reply to DATA in time")
    assert doubtful.status(store.utcnow()) is NoticeStatus.POSSIBLY_SENT
    assert not outbox.claim(engine, notice.id, "s2", now=store.utcnow() + timedelta(days=1))
    assert not outbox.leave_in_doubt(engine, notice.id, "s1", "again", kind="rejected")


def test_a_message_refused_after_data_was_not_delivered_and_is_due_again(engine, notice):
    assert outbox.claim(engine, notice.id, "s1") and outbox.mark_possibly_sent(engine, notice.id, "s1", kind="rejected")
    assert outbox.release(engine, notice.id, "s1", "554 message refused", kind="rejected")
    assert status(engine, notice.id) is NoticeStatus.FAILED
    assert item(engine, notice.id).possibly_sent_at is None


def test_resend_puts_a_possibly_sent_notice_back_with_who_said_so(engine, notice):
    with pytest.raises(BadInputError, match="not possibly sent"):
        outbox.resend(engine, notice.id, "avery")
    with pytest.raises(BadInputError, match="no notice #999"):
        outbox.resend(engine, 999, "avery")
    assert outbox.claim(engine, notice.id, "s1") and outbox.mark_possibly_sent(engine, notice.id, "s1", kind="rejected")
    with pytest.raises(BadInputError, match="being sent by s1"):
        outbox.resend(engine, notice.id, "avery")
    assert status(engine, notice.id) is NoticeStatus.POSSIBLY_SENT  # refused: nothing changed

    put_back = outbox.resend(engine, notice.id, "avery" * 50, holder_gone=True)
    assert put_back.status(store.utcnow()) is NoticeStatus.PENDING
    assert put_back.resend_by == ("avery" * 50)[:200] and put_back.resend_at is not None
    assert (put_back.possibly_sent_at, put_back.claimed_by, put_back.last_error) == (None, None, None)
    with pytest.raises(BadInputError, match="not possibly sent"):
        outbox.resend(engine, notice.id, "avery")  # a second say


def test_resend_waits_for_the_lease_and_never_resends_what_was_sent(engine, notice):
    assert outbox.claim(engine, notice.id, "s1") and outbox.mark_possibly_sent(engine, notice.id, "s1", kind="rejected")
    later = store.utcnow() + outbox.CLAIM_LEASE + timedelta(seconds=1)
    assert outbox.resend(engine, notice.id, "avery", now=later).due(later)
    assert outbox.claim(engine, notice.id, "s2") and outbox.mark_sent(engine, notice.id, "s2", kind="rejected")
    with pytest.raises(BadInputError, match="was sent"):
        outbox.resend(engine, notice.id, "avery")


def test_a_notice_of_another_kind_than_the_outcome_is_withdrawn_and_owed_anew(engine, owed, tmp_path):
    (notice_id,) = outbox.prepare_notices(engine, [(owed["rejected"], ADDRESS, tmp_path / "n.eml", "held")])
    outbox.mark_written(engine, [notice_id])
    assert status(engine, notice_id) is NoticeStatus.WITHDRAWN
    assert owed["rejected"] in outbox.missing_notices(engine)


def test_set_kind_makes_a_new_notice_that_is_sent_again(engine, notice):
    assert outbox.claim(engine, notice.id, "s1") and outbox.mark_sent(engine, notice.id, "s1", kind="rejected")
    assert outbox.set_kind(engine, notice.id, "rejected")  # the same kind: nothing is forgotten
    assert item(engine, notice.id).sent_at is not None
    assert outbox.set_kind(engine, notice.id, "held")
    rewritten = item(engine, notice.id)
    assert (rewritten.kind, rewritten.sent_at, rewritten.attempts, rewritten.written) == ("held", None, 0, True)


def test_set_kind_leaves_a_notice_a_sender_holds_as_it_is(engine, notice):
    assert outbox.claim(engine, notice.id, "s1")
    assert not outbox.set_kind(engine, notice.id, "held")
    assert item(engine, notice.id).kind == "rejected"
    assert outbox.mark_sent(engine, notice.id, "s1", kind="rejected")  # the sender settles what it claimed


def test_prepare_notices_rewrites_a_notice_of_another_kind_as_not_written(engine, notice, owed):
    assert outbox.claim(engine, notice.id, "s1") and outbox.mark_sent(engine, notice.id, "s1", kind="rejected")
    assert outbox.prepare_notices(engine, [(owed["rejected"], ADDRESS, notice.path, "held")]) == [notice.id]
    rewritten = item(engine, notice.id)
    assert (rewritten.kind, rewritten.written, rewritten.sent_at) == ("held", False, None)
    assert rewritten.status(store.utcnow()) is NoticeStatus.NOT_WRITTEN


def test_a_notice_from_before_kinds_were_kept_is_a_rejection(engine, notice):
    with store.transaction(engine) as session:
        session.execute(update(store.NoticeRow).where(store.NoticeRow.id == notice.id).values(kind=None))
    assert item(engine, notice.id).kind == "rejected"
    assert outbox.claim(engine, notice.id, "s1", kind="rejected")
    assert outbox.mark_sent(engine, notice.id, "s1", kind="rejected")


def test_held_by_sender_is_a_claim_within_its_lease(engine, notice):
    now = store.utcnow()
    assert outbox.claim(engine, notice.id, "s1", now=now)
    with Session(engine) as session:
        row = session.get_one(store.NoticeRow, notice.id)
        assert outbox.held_by_sender(row, now + timedelta(minutes=14))
        assert not outbox.held_by_sender(row, now + outbox.CLAIM_LEASE)
        row.claimed_by = None
        assert not outbox.held_by_sender(row, now)


# missing_notices compared a NULL kind without the coalesce to a rejection that notices() applies.
def test_a_held_document_whose_notice_is_from_before_kinds_were_kept_is_owed_its_held_notice(engine, owed, tmp_path):
    (notice_id,) = outbox.prepare_notices(engine, [(owed["held"], ADDRESS, tmp_path / "n.eml", "held")])
    outbox.mark_written(engine, [notice_id])
    with store.transaction(engine) as session:
        session.execute(update(store.NoticeRow).where(store.NoticeRow.id == notice_id).values(kind=None))
    # Listed as a rejection's notice for a document that is held: withdrawn, so the held notice is owed.
    assert status(engine, notice_id) is NoticeStatus.WITHDRAWN
    assert owed["held"] in outbox.missing_notices(engine)


def test_a_sent_notice_from_before_kinds_were_kept_is_replaced_when_the_outcome_changes(engine, owed, tmp_path):
    # The rejection's notice (kind unknown, sent) of a document now held: the held notice is a new
    # message, owed, written and due; it must not keep the old one's sent time (never sent).
    (notice_id,) = outbox.prepare_notices(engine, [(owed["held"], ADDRESS, tmp_path / "n.eml", "held")])
    outbox.mark_written(engine, [notice_id])
    with store.transaction(engine) as session:
        session.execute(update(store.NoticeRow).where(store.NoticeRow.id == notice_id)
                        .values(kind=None, sent_at=store.utcnow()))
    assert outbox.prepare_notices(engine, [(owed["held"], "new@agency.example.org", tmp_path / "n.eml", "held")]) == [notice_id]
    outbox.mark_written(engine, [notice_id])
    again = item(engine, notice_id)
    assert (again.kind, again.sent_at, again.to_address) == ("held", None, "new@agency.example.org")
    assert status(engine, notice_id) is NoticeStatus.PENDING and owed["held"] not in outbox.missing_notices(engine)
