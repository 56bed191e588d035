"""pipeline.load.reopen: a decided document reopened waits for a person again, what its acceptance
made taken back (a registration and its seat, which the first wait-listed PSP then takes; a plan,
the one before it standing again), with a ``reopened`` decision saying who, when and why; and
what cannot be undone refused in one line, nothing changed."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.errors import BadInputError
from pipeline.load import certification, reopen, review, schedule, store
from pipeline.model import Outcome, PlanStatus
from schemas.reference import TrainingSession
from tests.load.conftest import another_psp


@pytest.fixture
def one_seat(engine, validation_context, record):
    """The January session in Lansing has one seat."""
    lansing = TrainingSession("2027-01-LAN", date(2027, 1, 11), date(2027, 1, 15), 5, "Lansing", 1)
    schedule.import_schedule(engine, {"2027-01-LAN": lansing}, validation_context, "coordinator", record.destination)


@pytest.fixture
def undo(engine, record, validation_context):
    def run(received_file_id, actor="avery", reason="accepted the wrong form", **options):
        return reopen.reopen(engine, received_file_id, actor=actor, reason=reason, context=validation_context,
                             destination=record.destination, **options)
    return run


@pytest.fixture
def accept(engine, record, validation_context):
    def run(received_file_id, actor="riley"):
        return review.accept(engine, received_file_id, actor=actor, reason="checked", context=validation_context,
                             destination=record.destination)
    return run


def registered_names(engine) -> list[str]:
    with Session(engine) as db:
        return sorted(db.scalars(select(store.RegistrationRecord.psp_first_name)))


def snapshot(engine) -> tuple:
    names = registered_names(engine)
    with Session(engine) as db:
        return (db.execute(select(store.Document.id, store.Document.outcome, store.Document.findings)
                           .order_by(store.Document.id)).all(),
                db.execute(select(store.DecisionRow.id)).all(), names,
                db.execute(select(store.ReadinessPlanRecord.id, store.ReadinessPlanRecord.status)).all())


def test_reopening_an_accepted_registration_frees_its_seat_for_the_first_waiting(engine, record, doc, undo, one_seat):
    stored, _ = record(doc("PSP-ORP"), *(doc("PSP-REG", another_psp(n), minutes=n) for n in (1, 2)))
    seated, waiting = stored[1:]
    assert (seated.outcome, waiting.outcome) == (Outcome.ACCEPTED, Outcome.HELD)

    done = undo(seated.received_file_id, reason="the PSP's supervisor phoned: wrong session")
    assert done.undone is Outcome.ACCEPTED and done.decided_by == "pipeline" and done.registration is not None
    assert [(r.received_file_id, r.outcome) for r in done.releases] == [(waiting.received_file_id, Outcome.ACCEPTED)]
    assert registered_names(engine) == ["Pat2"]
    shown = review.show(engine, seated.received_file_id)
    assert shown["outcome"] == "needs_review"
    assert shown["findings"][0]["message"] == reopen.REOPENED_FINDING
    last = shown["decisions"][-1]
    assert (last["actor"], last["action"], last["from"], last["to"], last["reason"]) == (
        "avery", "reopened", "accepted", "needs_review", "the PSP's supervisor phoned: wrong session")
    assert any("released: now accepted" in line for line in done.consequences())
    assert [(row["taken"], row["free"], row["wait_list"]) for row in schedule.session_seats(engine)] == [(1, 0, 0)]


def test_a_person_accepts_again_what_they_reopened(engine, record, doc, undo, accept):
    (plan,), _ = record(doc("PSP-ORP", {"supervisor_credential": "Other", "supervisor_credential_other": "LBSW"}))
    accept(plan.received_file_id)
    done = undo(plan.received_file_id, machine_outcomes=False)  # a person's decision: a reviewer may
    assert (done.decided_by, done.plan, done.plan_restored) == ("riley", 1, None)
    with Session(engine) as db:
        assert db.scalars(select(store.ReadinessPlanRecord)).all() == []
    accept(plan.received_file_id)  # the unique record per document is free again
    assert review.show(engine, plan.received_file_id)["outcome"] == "accepted"


def test_a_plan_is_reopened_only_when_no_registered_psp_is_left_without_one(engine, record, doc, undo):
    stored, _ = record(doc("PSP-ORP"), doc("PSP-REG", minutes=1))
    plan, packet = stored
    assert packet.outcome is Outcome.ACCEPTED
    before = snapshot(engine)
    with pytest.raises(BadInputError, match=r"PSPs are registered under the agency's plan from this form \(PSP #1\)") \
            as refused:
        undo(plan.received_file_id)
    assert "psp withdraw" in refused.value.hint and snapshot(engine) == before

    (update,), _ = record(doc("PSP-ORP", {"submission_type": "Update"}, minutes=5))
    assert update.outcome is Outcome.ACCEPTED
    with pytest.raises(BadInputError, match="was replaced by a later one since"):
        undo(plan.received_file_id)
    done = undo(update.received_file_id)  # the plan before it stands again: the PSP keeps a plan
    assert done.plan_restored is not None
    with Session(engine) as db:
        assert db.execute(select(store.ReadinessPlanRecord.document_id, store.ReadinessPlanRecord.status)).all() == [
            (1, PlanStatus.ACCEPTED)]
    assert registered_names(engine) == ["Jordan"]


def test_what_cannot_be_undone_is_refused_in_one_line_and_nothing_changes(engine, record, doc, undo, accept,
                                                                          validation_context):
    stored, _ = record(doc("PSP-ORP"), *(doc("PSP-REG", another_psp(n), minutes=n) for n in (1, 2, 3)),
                       doc("PSP-REG", {**another_psp(4), "psp_phone": "12"}, minutes=4),
                       doc("PSP-REG", {**another_psp(5)}, minutes=5, unsure="psp_city"))
    _, progressed, withdrawn, accepted, rejected, waiting = stored
    registrations = dict(zip(registered_names(engine), [1, 2, 3], strict=True))
    certification.update(engine, registrations["Pat1"], certification.Progress(coaching_months=1), actor="a", reason=None)
    certification.withdraw(engine, registrations["Pat2"], actor="a", reason="left", context=validation_context,
                           destination=record.destination)
    before = snapshot(engine)
    refusals = [
        (progressed.received_file_id, {}, "has progress recorded since"),
        (withdrawn.received_file_id, {}, "has withdrawn since"),
        (waiting.received_file_id, {}, "is needs review; only a document that is accepted or rejected can be reopened"),
        (accepted.received_file_id, {"reason": "  "}, "reopening a decision takes a reason"),
        (accepted.received_file_id, {"machine_outcomes": False}, "by the pipeline itself, not by a person"),
        (rejected.received_file_id, {"message_to_agency": "two\nlines"}, "line break"),
        (999, {}, "there is no received file #999"),
    ]
    for received_file_id, options, message in refusals:
        with pytest.raises(BadInputError, match=message) as refused:
            undo(received_file_id, **options)
        assert "\n" not in str(refused.value)
    assert snapshot(engine) == before


def test_a_reopened_rejection_waits_without_the_rejections_own_finding(engine, record, doc, undo):
    (plan,), _ = record(doc("PSP-ORP", {"supervisor_credential": "Other", "supervisor_credential_other": "LBSW"}))
    review.reject(engine, plan.received_file_id, actor="riley", reason="typo", destination=record.destination,
                  message_to_agency="Send the licence.")
    done = undo(plan.received_file_id, machine_outcomes=False)
    assert (done.undone, done.withdrawn_notice, done.corrected_notice) == (Outcome.REJECTED, None, None)
    shown = review.show(engine, plan.received_file_id)
    assert [f["rule"] for f in shown["findings"]] == [None, "ORP-R04"]
    assert shown["findings"][0]["message"] == reopen.REOPENED_FINDING
    with pytest.raises(BadInputError, match="is needs review"):
        reopen.preview(engine, plan.received_file_id)
    assert [f.message for f in review.reject(engine, plan.received_file_id, actor="riley", reason="again",
                                             destination=record.destination).result.findings].count(
        review.NO_MESSAGE_TO_AGENCY) == 1
