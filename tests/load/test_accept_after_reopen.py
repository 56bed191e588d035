"""A person's accept after a reopening (issue 17): the reopened document is judged again, and the
accept judges it again now; an error rule or a hold is never a person's to accept past (REG-R08,
REG-R09, REG-R10, REG-R11), whoever reopened it. Who gave an outcome counts only a person's
decision that changed it: not a correction that left it as it was, nor a release that followed a
schedule import."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pipeline.errors import BadInputError
from pipeline.load import review, schedule, store
from pipeline.load.program import PIPELINE_ACTOR
from pipeline.model import DecisionAction, Outcome
from schemas.reference import TrainingSession
from tests.load import test_reopen
from tests.load.conftest import another_psp

# The fixtures of the reopening's tests: ``undo`` reopens, ``accept`` is a reviewer's accept, one seat in Lansing.
undo, accept, one_seat = test_reopen.undo, test_reopen.accept, test_reopen.one_seat

# 10 hours a week for a full-time position: REG-R08, an error.
WRONG_HOURS = {"hours_per_week": "10"}


def registrations(engine) -> int:
    with Session(engine) as db:
        return db.scalar(select(func.count()).select_from(store.RegistrationRecord))


def rules_of(engine, received_file_id: int) -> list[tuple[str | None, str]]:
    return [(f["rule"], f["severity"]) for f in review.show(engine, received_file_id)["findings"]]


def test_a_reopened_rejection_is_judged_again_and_not_accepted_past_its_error(engine, record, doc, undo, accept,
                                                                               validation_context):
    stored, _ = record(doc("PSP-ORP"), doc("PSP-REG", WRONG_HOURS, minutes=1))
    packet = stored[1]
    assert packet.outcome is Outcome.REJECTED
    undo(packet.received_file_id, actor="coordinator", reason="look again")
    assert ("REG-R08", "error") in rules_of(engine, packet.received_file_id)  # the judge's, as it stands now
    with pytest.raises(BadInputError, match="cannot be accepted: judged again now, it breaks REG-R08") as refused:
        accept(packet.received_file_id)
    assert "review correct" in refused.value.hint and "review reject" in refused.value.hint
    assert review.show(engine, packet.received_file_id)["outcome"] == "needs_review" and registrations(engine) == 0
    # Corrected to what the form says, it is judged so, and then accepted.
    review.correct(engine, packet.received_file_id, "Hours per week", "35", actor="riley", reason="misread",
                   context=validation_context, destination=record.destination)
    assert review.show(engine, packet.received_file_id)["outcome"] == "accepted" and registrations(engine) == 1


def test_an_error_left_to_a_person_by_an_unsure_reading_is_not_accepted_past(engine, record, doc, accept):
    # A value not read surely leaves the outcome to a person; REG-R08 still breaks on the sure ones.
    stored, _ = record(doc("PSP-ORP"), doc("PSP-REG", WRONG_HOURS, minutes=1, unsure="psp_city"))
    packet = stored[1]
    assert packet.outcome is Outcome.NEEDS_REVIEW
    with pytest.raises(BadInputError, match="breaks REG-R08"):
        accept(packet.received_file_id)
    assert registrations(engine) == 0


def test_a_reopened_packet_is_not_accepted_over_its_sessions_capacity(engine, record, doc, undo, accept, one_seat):
    stored, _ = record(doc("PSP-ORP"), *(doc("PSP-REG", another_psp(n), minutes=n) for n in (1, 2)))
    seated, waiting = stored[1:]
    done = undo(seated.received_file_id, reason="look again")
    assert [(r.received_file_id, r.outcome) for r in done.releases] == [(waiting.received_file_id, Outcome.ACCEPTED)]
    with pytest.raises(BadInputError, match="breaks REG-R11: session 2027-01-LAN is full") as refused:
        accept(seated.received_file_id)
    assert "sessions import" in refused.value.hint and "sessions move" in refused.value.hint
    assert registrations(engine) == 1


def test_a_packet_is_not_accepted_once_its_agencys_plan_was_reopened(engine, record, doc, undo, accept):
    stored, _ = record(doc("PSP-ORP"), doc("PSP-REG", minutes=1, unsure="psp_city"))
    plan, packet = stored
    assert (plan.outcome, packet.outcome) == (Outcome.ACCEPTED, Outcome.NEEDS_REVIEW)
    undo(plan.received_file_id, reason="the wrong agency")
    with pytest.raises(BadInputError, match="breaks REG-R10: the agency has no accepted") as refused:
        accept(packet.received_file_id)
    assert "accept the agency's readiness plan" in refused.value.hint
    assert registrations(engine) == 0


def test_a_reopened_packet_whose_session_is_gone_is_not_accepted(engine, record, doc, undo, accept,
                                                                  validation_context):
    kalamazoo = TrainingSession("2027-02-KZO", date(2027, 2, 8), date(2027, 2, 12), 5, "Kalamazoo", 3)
    schedule.import_schedule(engine, {"2027-02-KZO": kalamazoo}, validation_context, "coordinator", record.destination)
    stored, _ = record(doc("PSP-ORP"), doc("PSP-REG", {"training_session": "2027-02-KZO"}, minutes=1))
    packet = stored[1]
    assert packet.outcome is Outcome.ACCEPTED
    undo(packet.received_file_id, reason="look again")
    with Session(engine) as db, db.begin():  # the session taken out of the store's schedule
        db.delete(db.get_one(store.TrainingSessionRow, "2027-02-KZO"))
    with pytest.raises(BadInputError, match="breaks REG-R09"):
        accept(packet.received_file_id)
    assert registrations(engine) == 0


def test_a_reviewer_cannot_reopen_what_a_schedule_import_released(engine, record, doc, undo, one_seat,
                                                                   validation_context):
    stored, _ = record(doc("PSP-ORP"), *(doc("PSP-REG", another_psp(n), minutes=n) for n in (1, 2)))
    waiting = stored[2]
    assert waiting.outcome is Outcome.HELD
    more = TrainingSession("2027-01-LAN", date(2027, 1, 11), date(2027, 1, 15), 5, "Lansing", 2)
    schedule.import_schedule(engine, {"2027-01-LAN": more}, validation_context, "coordinator", record.destination)
    assert review.show(engine, waiting.received_file_id)["outcome"] == "accepted"
    with pytest.raises(BadInputError, match="by the pipeline itself, not by a person"):
        undo(waiting.received_file_id, actor="riley", machine_outcomes=False)
    assert undo(waiting.received_file_id, actor="coordinator").decided_by == PIPELINE_ACTOR


def test_a_correction_that_left_a_rejection_as_it_was_is_not_a_persons_outcome(engine, record, doc, undo):
    stored, _ = record(doc("PSP-ORP"), doc("PSP-REG", WRONG_HOURS, minutes=1))
    packet = stored[1]
    # As a store written before corrections took only waiting forms holds it: rejected, corrected, still rejected.
    with Session(engine) as db, db.begin():
        document = db.get_one(store.ReceivedFileRow, packet.received_file_id).document_id
        db.add(store.DecisionRow(document_id=document, at=store.utcnow(), actor="riley",
                                 action=DecisionAction.CORRECTED, from_outcome="rejected", to_outcome="rejected",
                                 reason="typo", detail={"field": "hours_per_week"}))
    with pytest.raises(BadInputError, match="by the pipeline itself, not by a person"):
        undo(packet.received_file_id, actor="riley", machine_outcomes=False)
