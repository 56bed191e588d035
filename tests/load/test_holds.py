"""pipeline.load.holds: a hold released by hand (decided as the rules say when its cause is gone;
never while its cause is there: no person releases a form past REG-R10 or REG-R11), and a
wait-listed PSP moved to another session, the seats counted once."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.errors import BadInputError
from pipeline.load import holds, review, schedule, store
from pipeline.model import Outcome
from schemas.reference import TrainingSession
from tests.load.conftest import another_psp


def session(session_id: str, capacity: int, start: date) -> TrainingSession:
    return TrainingSession(session_id, start, date(start.year, start.month, start.day + 4), 5, "Lansing", capacity)


@pytest.fixture
def small_sessions(engine, validation_context, record):
    """Lansing in January and Grand Rapids in March, one seat each; a November session that has started."""
    sessions = {"2027-01-LAN": session("2027-01-LAN", 1, date(2027, 1, 11)),
                "2027-03-GR": session("2027-03-GR", 1, date(2027, 3, 8)),
                "2026-11-LAN": session("2026-11-LAN", 5, date(2026, 11, 9))}
    schedule.import_schedule(engine, sessions, validation_context, "coordinator", record.destination)


@pytest.fixture
def release(engine, record, validation_context):
    def run(received_file_id, reason="the plan is on paper in the office"):
        return holds.release_hold(engine, received_file_id, actor="avery", reason=reason, context=validation_context,
                                  destination=record.destination)
    return run


@pytest.fixture
def move(engine, record, validation_context):
    def run(received_file_id, session_id, reason="the PSP can go to Grand Rapids"):
        return holds.move_to_session(engine, received_file_id, session_id, actor="avery", reason=reason,
                                     context=validation_context, destination=record.destination)
    return run


def seats(engine) -> dict[str, tuple[int, int, int]]:
    return {row["session_id"]: (row["taken"], row["free"], row["wait_list"]) for row in schedule.session_seats(engine)}


def registrations(engine) -> list[tuple[str, str]]:
    with Session(engine) as db:
        return list(db.execute(select(store.RegistrationRecord.psp_first_name,
                                      store.RegistrationRecord.training_session)).tuples())


# A release "despite" REG-R10 registered a PSP whose agency had no accepted plan (issue 17).
def test_a_hold_whose_cause_is_there_is_not_released_by_hand(engine, record, doc, release, validation_context):
    (held,), _ = record(doc("PSP-REG"))
    assert held.outcome is Outcome.HELD
    with pytest.raises(holds.HoldRemains, match="is still held: REG-R10: the agency has no accepted") as remains:
        release(held.received_file_id)
    assert [f.rule for f in remains.value.holds] == ["REG-R10"]
    assert "accept the agency's readiness plan" in remains.value.hint
    with pytest.raises(holds.HoldRemains):
        holds.preview_release(engine, held.received_file_id, context=validation_context)
    assert [f.rule for f in holds.holds_now(engine, held.received_file_id, context=validation_context)] == ["REG-R10"]
    assert review.show(engine, held.received_file_id)["outcome"] == "held" and registrations(engine) == []
    assert review.show(engine, held.received_file_id)["decisions"] == []


def test_a_wait_listed_psp_is_not_released_past_the_sessions_capacity(engine, record, doc, release, small_sessions):
    stored, _ = record(doc("PSP-ORP"), *(doc("PSP-REG", another_psp(n), minutes=n) for n in (1, 2)))
    waiting = stored[2]
    assert waiting.outcome is Outcome.HELD
    with pytest.raises(holds.HoldRemains, match="is still held: REG-R11") as remains:
        release(waiting.received_file_id)
    assert "sessions import" in remains.value.hint and "sessions move" in remains.value.hint
    assert seats(engine)["2027-01-LAN"] == (1, 0, 1) and len(registrations(engine)) == 1


def test_a_hold_whose_cause_is_gone_is_released_as_the_rules_say(engine, record, doc, release, small_sessions,
                                                                 validation_context):
    stored, _ = record(doc("PSP-ORP"), *(doc("PSP-REG", another_psp(n), minutes=n) for n in (1, 2)))
    waiting = stored[2]
    # The seat came free where no change of the program judged the holds again (the store's
    # schedule edited by hand): the hold's cause is gone, and a person releases it.
    with Session(engine) as db, db.begin():
        db.get_one(store.TrainingSessionRow, "2027-01-LAN").capacity = 2
    assert holds.holds_now(engine, waiting.received_file_id, context=validation_context) == []
    assert holds.preview_release(engine, waiting.received_file_id, context=validation_context).outcome is Outcome.ACCEPTED
    decision = release(waiting.received_file_id)
    assert decision.outcome is Outcome.ACCEPTED and len(registrations(engine)) == 2
    last = review.show(engine, waiting.received_file_id)["decisions"][-1]
    assert (last["actor"], last["action"], last["from"], last["to"]) == ("avery", "released", "held", "accepted")
    with Session(engine) as db:
        row = db.scalars(select(store.DecisionRow).order_by(store.DecisionRow.id.desc())).first()
        assert row.detail == {"by_hand": True}
    with pytest.raises(BadInputError, match="is accepted; only a document that is held can be released"):
        release(waiting.received_file_id)


def test_a_wait_listed_psp_moves_to_a_free_seat_or_another_wait_list(engine, record, doc, move, small_sessions):
    stored, _ = record(doc("PSP-ORP"), *(doc("PSP-REG", another_psp(n), minutes=n) for n in (1, 2, 3)))
    first, second, third = stored[1:]
    assert [r.outcome for r in stored[1:]] == [Outcome.ACCEPTED, Outcome.HELD, Outcome.HELD]
    assert seats(engine)["2027-01-LAN"] == (1, 0, 2)

    moved = move(second.received_file_id, "2027-03-gr")
    assert moved.outcome is Outcome.ACCEPTED
    assert seats(engine)["2027-01-LAN"] == (1, 0, 1) and seats(engine)["2027-03-GR"] == (1, 0, 0)
    assert sorted(registrations(engine)) == [("Pat1", "2027-01-LAN"), ("Pat2", "2027-03-GR")]
    last = review.show(engine, second.received_file_id)["decisions"][-1]
    assert (last["action"], last["from"], last["to"]) == ("moved", "held", "accepted")
    with Session(engine) as db:
        row = db.scalars(select(store.DecisionRow).where(store.DecisionRow.action == "moved")).one()
        assert row.detail == {"from_session": "2027-01-LAN", "to_session": "2027-03-GR"}

    # Grand Rapids is full now: the third PSP goes to its wait list.
    waits = move(third.received_file_id, "2027-03-GR")
    assert waits.outcome is Outcome.HELD and [f.rule for f in waits.result.findings] == ["REG-R11"]
    assert "2027-03-GR is full" in waits.result.findings[0].message
    assert seats(engine)["2027-01-LAN"] == (1, 0, 0) and seats(engine)["2027-03-GR"] == (1, 0, 1)


def test_a_move_is_refused_when_it_is_no_move_of_a_wait_listed_psp(engine, record, doc, move, small_sessions):
    stored, _ = record(doc("PSP-ORP"), *(doc("PSP-REG", another_psp(n), minutes=n) for n in (1, 2)))
    registered, waiting = stored[1:]
    with pytest.raises(BadInputError, match="is accepted; only a document that is held can be moved"):
        move(registered.received_file_id, "2027-03-GR")
    with pytest.raises(BadInputError, match="no training session '2099-01-XX'"):
        move(waiting.received_file_id, "2099-01-XX")
    with pytest.raises(BadInputError, match="already waits for 2027-01-LAN"):
        move(waiting.received_file_id, "2027-01-LAN")
    with pytest.raises(BadInputError, match="cannot move to 2026-11-LAN: REG-R09"):
        move(waiting.received_file_id, "2026-11-LAN")
    (for_plan,), _ = record(doc("PSP-REG", {**another_psp(9), "cmhsp_name": "DWIHN",
                                                   "training_session": "2027-03-GR"}, minutes=9))
    assert [f.rule for f in for_plan.result.findings] == ["REG-R10"]  # a seat is free: it waits for its plan only
    with pytest.raises(BadInputError, match="is not on a session's wait list"):
        move(for_plan.received_file_id, "2027-01-LAN")
    assert seats(engine)["2027-01-LAN"] == (1, 0, 1) and review.show(engine, waiting.received_file_id)["outcome"] == "held"
