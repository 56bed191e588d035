"""pipeline.load.certification: a registered PSP's progress to certification, recorded with who and
why (only what changed, certification only after the classroom and every coaching month), what is
due next in a line the coordinator can act on, and a withdrawal that frees the seat."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.errors import BadInputError
from pipeline.load import certification
from pipeline.load.certification import Progress, due, list_psps, update, withdraw
from pipeline.load.stages import COACHING_MONTHS, Stage
from pipeline.load.store import CertificationRow, DecisionRow, TrainingSessionRow
from pipeline.model import DecisionAction

ATTENDED = date(2027, 1, 15)
LANSING = TrainingSessionRow(session_id="2027-01-LAN", start_date=date(2027, 1, 11), end_date=date(2027, 1, 15), days=5,
                             location="Lansing", capacity=20, updated_at=datetime(2026, 11, 1, tzinfo=UTC))


def progress(months: int = 0, pd: int = 0) -> CertificationRow:
    return CertificationRow(classroom_attended_on=ATTENDED, coaching_months=months, pd_meetings=pd)


@pytest.mark.parametrize(("stage", "row", "session", "today", "said"), [
    (Stage.WITHDRAWN, None, LANSING, date(2027, 1, 1), ""),
    (Stage.CERTIFIED, progress(10, 4), LANSING, date(2027, 12, 1), "nothing: certified"),
    (Stage.REGISTERED, None, None, date(2027, 1, 1), "classroom training (session not in the schedule)"),
    (Stage.REGISTERED, None, LANSING, date(2027, 1, 1),
     "classroom training 2027-01-LAN, 01/11/2027 to 01/15/2027 (Lansing)"),
    (Stage.REGISTERED, None, LANSING, date(2027, 1, 16),
     "record classroom attendance: session 2027-01-LAN ended 01/15/2027"),
    (Stage.TRAINED, progress(), LANSING, date(2027, 2, 1), "coaching month 1 of 10"),
    (Stage.COACHING, progress(3), LANSING, date(2027, 7, 20),
     "coaching month 4 of 10; 2 quarterly PD meeting(s) behind"),
    (Stage.COACHING, progress(5, 2), LANSING, date(2027, 7, 20), "coaching month 6 of 10"),
    (Stage.COACHING_DONE, progress(10, 3), LANSING, date(2027, 11, 1), "certification"),
    (Stage.COACHING_DONE, progress(10, 1), LANSING, date(2027, 11, 1),
     "2 quarterly PD meeting(s) behind; certification"),
])
def test_what_is_due_next_is_one_line_to_act_on(stage, row, session, today, said):
    assert due(stage, row, session, today) == said


def test_every_psp_is_listed_in_the_order_registered_with_stage_and_due(engine, registered):
    first, second = registered(2)
    update(engine, second, Progress(classroom_attended_on=ATTENDED, coaching_months=2), actor="coordinator",
           reason=None)
    rows = list_psps(engine, date(2027, 3, 1))
    assert [(r["id"], r["name"], r["stage"], r["coaching_months"]) for r in rows] == [
        (first, "Pat1 Example", "registered", 0), (second, "Pat2 Example", "in coaching", 2),
    ]
    assert rows[0]["due"] == "classroom training (session not in the schedule)"
    assert rows[1]["classroom_attended_on"] == ATTENDED and rows[1]["due"] == "coaching month 3 of 10"


def test_progress_records_only_what_changed_with_who_and_why(engine, registered):
    (psp,) = registered(1)
    done = update(engine, psp, Progress(classroom_attended_on=ATTENDED), actor="coordinator", reason="sign-in sheet")
    assert done == {"id": psp, "changes": {"classroom_attended_on": {"from": None, "to": "2027-01-15"}},
                    "stage": "classroom training attended"}
    assert update(engine, psp, Progress(classroom_attended_on=ATTENDED), actor="coordinator", reason=None) == {
        "id": psp, "changes": {}}
    with Session(engine) as session:
        (decision,) = session.scalars(select(DecisionRow).where(DecisionRow.action == DecisionAction.PROGRESS))
    assert (decision.registration_id, decision.actor, decision.reason) == (psp, "coordinator", "sign-in sheet")


@pytest.mark.parametrize(("change", "said"), [
    (Progress(coaching_months=COACHING_MONTHS + 1), "coaching months must be 0 to 10, not 11"),
    (Progress(coaching_months=-1), "coaching months must be 0 to 10"),
    (Progress(pd_meetings=-1), "cannot be negative"),
    (Progress(certified_on=date(2027, 11, 20)), "cannot be certified yet"),
    (Progress(classroom_attended_on=ATTENDED, coaching_months=9, certified_on=date(2027, 11, 20)),
     "cannot be certified yet"),
])
def test_progress_that_cannot_be_is_refused_and_nothing_recorded(engine, registered, change, said):
    (psp,) = registered(1)
    with pytest.raises(BadInputError, match=said):
        update(engine, psp, change, actor="coordinator", reason=None)
    with Session(engine) as session:
        (row,) = session.scalars(select(CertificationRow))
        assert (row.classroom_attended_on, row.coaching_months, row.pd_meetings, row.certified_on) == (None, 0, 0, None)
        assert session.scalars(select(DecisionRow).where(DecisionRow.action == DecisionAction.PROGRESS)).all() == []


def test_a_withdrawn_or_unknown_psp_has_no_progress(engine, registered, validation_context, record):
    (psp,) = registered(1)
    with pytest.raises(BadInputError, match="there is no registered PSP #999"):
        update(engine, 999, Progress(coaching_months=1), actor="coordinator", reason=None)
    assert withdraw(engine, psp, actor="coordinator", reason="left the agency", context=validation_context,
                    destination=record.destination) == []  # nobody waits for the seat
    with pytest.raises(BadInputError, match=f"PSP #{psp} has withdrawn"):
        update(engine, psp, Progress(coaching_months=1), actor="coordinator", reason=None)
    with pytest.raises(BadInputError, match="has withdrawn already"):
        withdraw(engine, psp, actor="coordinator", reason="again", context=validation_context,
                 destination=record.destination)
    with pytest.raises(BadInputError, match="there is no registered PSP #999"):
        withdraw(engine, 999, actor="coordinator", reason="x", context=validation_context,
                 destination=record.destination)


def test_a_withdrawal_is_recorded_with_the_session_it_frees(engine, registered, validation_context, record):
    (psp,) = registered(1)
    withdraw(engine, psp, actor="coordinator", reason="left the agency", context=validation_context,
             destination=record.destination)
    with Session(engine) as session:
        (decision,) = session.scalars(select(DecisionRow).where(DecisionRow.action == DecisionAction.WITHDRAWN))
    assert (decision.registration_id, decision.reason, decision.detail) == (psp, "left the agency",
                                                                          {"session": "2027-01-LAN"})
    assert [row["stage"] for row in certification.list_psps(engine, date(2027, 1, 1))] == ["withdrawn"]
