"""A notice settled wherever a document's outcome changes (issue 17, ``load.notice_settling``): a
notice of an outcome the document has left is withdrawn, never claimed nor handed over after that,
its file set aside (sent or not) so the next notice never writes over it; a rejection that went
out is followed by a correction notice that says what is true now. With what follows every change
(``after_change``), a real SMTP server and the desk's notice pages."""

from __future__ import annotations

import pytest

from pipeline.desk.notices import WITHDRAWN_AFTER_HANDING_OVER, to_do
from pipeline.load import outbox, program, reopen, review
from pipeline.load.outbox import NoticeStatus
from pipeline.load.program import Decided
from pipeline.load.review import _load
from pipeline.load.state import document_from_row
from pipeline.load.store import NOTICE_CORRECTION, program_lock, transaction, utcnow
from pipeline.model import DecisionAction, Outcome, ValidationResult
from pipeline.service import Changes, after_change
from tests.conftest import form_as_read
from tests.desk.test_undo import HTML, UNSURE_PLAN, _items, _send
from tests.report.smtp import SmtpTestServer


@pytest.fixture
def smtp_server():
    with SmtpTestServer() as server:
        yield server

def _bodies(server: SmtpTestServer) -> list[str]:
    return [received.message.get_body().get_content() for received in server.received]


def _held_packet(desk, stored) -> int:
    """A PSP's packet held: its agency has no accepted plan yet (REG-R10); its held notice written."""
    (packet,) = stored(form_as_read("PSP-REG", number=1))
    assert packet.outcome is Outcome.HELD
    return packet.received_file_id


def _plan_arrives(desk, stored) -> None:
    """The agency's plan comes and is accepted: the held packet is released into accepted."""
    (plan,) = stored(form_as_read("PSP-ORP", number=2, minutes=5))
    assert plan.outcome is Outcome.ACCEPTED


def _reopen_and_reject(desk, received_file_id: int, message: str) -> None:
    done = reopen.reopen(desk.engine, received_file_id, actor="avery", reason="looked at again",
                         context=desk.validation, destination=desk.router.destination)
    after_change(desk, Changes(releases=done.releases))
    assert outbox.owes_notice(desk.engine, received_file_id, Outcome.REJECTED.value)  # the desk's preview says so
    review.reject(desk.engine, received_file_id, actor="riley", reason="for real", destination=desk.router.destination,
                  message_to_agency=message)
    after_change(desk)


def test_a_held_notice_listed_by_a_sender_is_not_sent_once_the_packet_is_accepted(desk, stored, smtp_server):
    received_file_id = _held_packet(desk, stored)
    (listed,) = [item for item in outbox.notices(desk.engine, include_sent=False) if item.due(utcnow())]
    assert listed.kind == Outcome.HELD.value
    _plan_arrives(desk, stored)  # between the sender's listing and its claim

    assert not outbox.claim(desk.engine, listed.id, "a sender", kind=listed.kind)
    (withdrawn,) = _items(desk, received_file_id)
    assert withdrawn.status(utcnow()) is NoticeStatus.WITHDRAWN and withdrawn.withdrawn_by == "pipeline"
    assert not listed.path.exists() and withdrawn.path == reopen.aside_path(listed.path, listed.id)
    assert "it is waiting" in withdrawn.path.read_text()  # set aside, kept as it was written
    assert _send(desk, smtp_server).sent == [] and smtp_server.received == []


def test_a_claim_is_refused_and_not_handed_over_once_the_outcome_left_the_notice_kind(desk, stored):
    received_file_id = _held_packet(desk, stored)
    (notice,) = _items(desk, received_file_id)
    assert outbox.claim(desk.engine, notice.id, "a sender", kind=notice.kind)
    _plan_arrives(desk, stored)  # claimed, not handed over yet: withdrawn, and the sender must not hand it over
    assert not outbox.mark_possibly_sent(desk.engine, notice.id, "a sender", kind=notice.kind)
    (item,) = _items(desk, received_file_id)
    assert item.possibly_sent_at is None and item.status(utcnow()) is NoticeStatus.WITHDRAWN


def test_a_sent_held_notice_keeps_its_file_and_the_rejection_after_reopening_is_a_new_notice(
        desk, stored, smtp_server, reviewer):
    received_file_id = _held_packet(desk, stored)
    (held,) = _send(desk, smtp_server).sent
    _plan_arrives(desk, stored)  # what the held notice told the agency would happen: nothing more is sent
    assert [(i.id, i.status(utcnow())) for i in _items(desk, received_file_id)] == [(held.id, NoticeStatus.SENT)]

    _reopen_and_reject(desk, received_file_id, "Send the supervisor's licence copy.")
    first, rejection = _items(desk, received_file_id)
    assert first.id == held.id and first.kind == Outcome.HELD.value and first.withdrawn_at is not None
    assert rejection.kind == Outcome.REJECTED.value and rejection.due(utcnow())
    assert "it is waiting" in first.path.read_text() and "licence copy" not in first.path.read_text()
    assert "it is waiting" in reviewer.get(f"/notices/{held.id}", headers=HTML).text

    assert [item.id for item in _send(desk, smtp_server).sent] == [rejection.id]
    assert len(smtp_server.received) == 2 and "Send the supervisor's licence copy." in _bodies(smtp_server)[1]


def test_a_sent_rejection_keeps_its_file_when_the_document_is_rejected_again(desk, stored, smtp_server, reviewer):
    (plan,) = stored(form_as_read("PSP-ORP", UNSURE_PLAN, number=1))
    received_file_id = plan.received_file_id
    review.reject(desk.engine, received_file_id, actor="riley", reason="x", destination=desk.router.destination,
                  message_to_agency="FIRST MESSAGE")
    after_change(desk)
    (first,) = _send(desk, smtp_server).sent
    _reopen_and_reject(desk, received_file_id, "SECOND MESSAGE")

    notice, correction, second = _items(desk, received_file_id)
    assert (notice.id, correction.kind, second.kind) == (first.id, NOTICE_CORRECTION, Outcome.REJECTED.value)
    assert "FIRST MESSAGE" in notice.path.read_text() and "SECOND MESSAGE" not in notice.path.read_text()
    assert "SECOND MESSAGE" in second.path.read_text()
    page = reviewer.get(f"/notices/{first.id}", headers=HTML).text
    assert "FIRST MESSAGE" in page and "SECOND MESSAGE" not in page
    _send(desk, smtp_server)
    assert len(smtp_server.received) == 3 and "SECOND MESSAGE" in _bodies(smtp_server)[2]


def _accepted_by_a_decision(desk, received_file_id: int) -> None:
    """A decision that makes the document accepted, through ``program.apply_decision`` as every
    person's decision is stored (whichever action: the rule is where judgements are stored)."""
    with transaction(desk.engine) as session:
        program_lock(session)
        receipt, document = _load(session, received_file_id)
        result = ValidationResult(document=document_from_row(document, receipt), outcome=Outcome.ACCEPTED,
                                  findings=(), values=document.values)
        program.apply_decision(session, document, result, Decided("riley", DecisionAction.CORRECTED, "typo"),
                               desk.router.destination)
    after_change(desk)


def test_a_sent_rejection_turned_into_an_acceptance_is_corrected_and_a_later_rejection_is_sent(
        desk, stored, smtp_server):
    (plan,) = stored(form_as_read("PSP-ORP", UNSURE_PLAN, number=1))
    received_file_id = plan.received_file_id
    review.reject(desk.engine, received_file_id, actor="riley", reason="x", destination=desk.router.destination)
    after_change(desk)
    (rejection,) = _send(desk, smtp_server).sent

    _accepted_by_a_decision(desk, received_file_id)
    withdrawn, correction = _items(desk, received_file_id)
    assert withdrawn.id == rejection.id and withdrawn.withdrawn_by == "riley" and correction.kind == NOTICE_CORRECTION
    assert [item.id for item in _send(desk, smtp_server).sent] == [correction.id]
    told = _bodies(smtp_server)[1]
    assert "it is withdrawn. We have accepted the form." in " ".join(told.split())
    assert "looking at the form again" not in told

    _reopen_and_reject(desk, received_file_id, "Send the licence copy.")
    sent = _send(desk, smtp_server).sent
    assert [item.kind for item in sent] == [Outcome.REJECTED.value]  # no standing notice to correct: the rejection tells
    assert "Send the licence copy." in _bodies(smtp_server)[-1]


def test_a_withdrawn_notice_that_may_have_gone_out_is_not_called_not_sent(desk, stored):
    (plan,) = stored(form_as_read("PSP-ORP", UNSURE_PLAN, number=1))
    received_file_id = plan.received_file_id
    review.reject(desk.engine, received_file_id, actor="riley", reason="x", destination=desk.router.destination)
    after_change(desk)
    (notice,) = _items(desk, received_file_id)
    assert outbox.claim(desk.engine, notice.id, "a sender", kind=notice.kind)
    assert outbox.mark_possibly_sent(desk.engine, notice.id, "a sender", kind=notice.kind)
    assert outbox.leave_in_doubt(desk.engine, notice.id, "a sender", "no answer", kind=notice.kind)
    reopen.reopen(desk.engine, received_file_id, actor="avery", reason="again", context=desk.validation,
                  destination=desk.router.destination)
    after_change(desk)
    (item, correction) = _items(desk, received_file_id)
    assert item.status(utcnow()) is NoticeStatus.WITHDRAWN and correction.kind == NOTICE_CORRECTION
    assert to_do(item, item.status(utcnow())) == WITHDRAWN_AFTER_HANDING_OVER
    assert "Not sent" not in WITHDRAWN_AFTER_HANDING_OVER
