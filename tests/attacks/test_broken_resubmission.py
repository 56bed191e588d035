"""A broken resubmission cancelling a valid waiting form: a rejected (or doubtful) packet with the
same PSP name and email superseded a valid packet held for its agency's readiness plan, and the
held one was then never released; a rejected plan likewise superseded a plan waiting for a
reviewer, which could then no longer be accepted.

Before the fix any later form about the same subject superseded every earlier one not accepted.
Now only a form that is valid itself (accepted, by the rules or by a person, or held for nothing
but the same reasons) replaces a held one, and a rejected one never replaces a form waiting for
review; a correction that is valid still replaces the form before it as it did.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.errors import BadInputError
from pipeline.load import certification, queries, review, schedule, state, store
from pipeline.model import Outcome
from schemas.reference import TrainingSession
from tests.conftest import VALID_PLAN, form_as_read

_numbers = iter(range(1, 10_000))


def doc(form_id: str, changes: dict | None = None, *, minutes: int = 0, unsure: str | None = None):
    """A form as read, with bytes of its own (``form_as_read``)."""
    return form_as_read(form_id, changes, number=next(_numbers), minutes=minutes, unsure=unsure)


def superseded_by(engine, document_id: int) -> int | None:
    with Session(engine) as session:
        return session.get_one(store.Document, document_id).superseded_by_id


def registered_documents(engine) -> list[int]:
    with Session(engine) as session:
        return list(session.scalars(select(store.RegistrationRecord.document_id)))


def rules(stored) -> list[str]:
    return sorted({f.rule for f in stored.result.findings if f.rule})


# Resubmissions for the same PSP that are not valid themselves.
BROKEN = {
    "rejected": ({"psp_phone": "12"}, None, Outcome.REJECTED),
    "read unsure": ({"hours_per_week": "38"}, "hours_per_week", Outcome.NEEDS_REVIEW),
    "held, and a credential to confirm": ({"supervisor_credential": "Other"}, None, Outcome.HELD),
}


@pytest.mark.parametrize("together", [False, True], ids=["later run", "same batch"])
@pytest.mark.parametrize("case", list(BROKEN))
def test_a_broken_resubmission_leaves_the_held_packet_waiting_and_the_plan_releases_it(record, engine, case, together):
    changes, unsure, outcome = BROKEN[case]
    valid, broken = doc("PSP-REG", minutes=1), doc("PSP-REG", changes, minutes=5, unsure=unsure)
    if together:
        held, resubmitted = record(valid, broken)[0]
    else:
        (held,), _ = record(valid)
        (resubmitted,), _ = record(broken)
    assert (held.outcome, rules(held)) == (Outcome.HELD, ["REG-R10"])
    assert resubmitted.outcome is outcome
    assert superseded_by(engine, held.document_id) is None
    assert held.received_file_id in [w["id"] for w in queries.waiting_for_a_person(engine)]

    _, released = record(doc("PSP-ORP", minutes=10))
    assert (held.received_file_id, Outcome.ACCEPTED) in [(r.received_file_id, r.outcome) for r in released]
    assert registered_documents(engine) == [held.document_id]


def test_a_held_resubmission_for_the_same_reason_still_replaces_the_held_packet(record, engine):
    (held,), _ = record(doc("PSP-REG", minutes=1))
    (corrected,), _ = record(doc("PSP-REG", {"hours_per_week": "38"}, minutes=5))
    assert (corrected.outcome, rules(corrected)) == (Outcome.HELD, ["REG-R10"])
    assert superseded_by(engine, held.document_id) == corrected.document_id
    _, released = record(doc("PSP-ORP", minutes=10))
    assert [(r.received_file_id, r.outcome) for r in released] == [(corrected.received_file_id, Outcome.ACCEPTED)]


def test_an_accepted_resubmission_replaces_a_packet_waiting_for_a_seat(record, engine, validation_context):
    sessions = {
        "2027-01-LAN": TrainingSession("2027-01-LAN", date(2027, 1, 11), date(2027, 1, 15), 5, "Lansing", 1),
        "2027-03-GR": TrainingSession("2027-03-GR", date(2027, 3, 8), date(2027, 3, 12), 5, "Grand Rapids", 5),
    }
    schedule.import_schedule(engine, sessions, validation_context, "coordinator", record.destination)
    other = {"psp_first_name": "Pat", "psp_email": "pat@example.org"}
    _, full, held = record(doc("PSP-ORP"), doc("PSP-REG", other, minutes=1), doc("PSP-REG", minutes=2))[0]
    assert (full.outcome, held.outcome, rules(held)) == (Outcome.ACCEPTED, Outcome.HELD, ["REG-R11"])
    (moved,), _ = record(doc("PSP-REG", {"training_session": "2027-03-GR"}, minutes=5))
    assert moved.outcome is Outcome.ACCEPTED
    assert superseded_by(engine, held.document_id) == moved.document_id


def test_a_person_confirming_the_resubmission_replaces_the_held_packet(record, engine, validation_context):
    (held,), _ = record(doc("PSP-REG", minutes=1))
    (doubtful,), _ = record(doc("PSP-REG", {"hours_per_week": "38"}, minutes=5, unsure="hours_per_week"))
    assert doubtful.outcome is Outcome.NEEDS_REVIEW and superseded_by(engine, held.document_id) is None
    # Accepted as it waits, it would register the PSP before their agency's plan (REG-R10, left to
    # a person only by the unsure reading): refused. The person confirms the hours instead.
    with pytest.raises(BadInputError, match="breaks REG-R10"):
        review.accept(engine, doubtful.received_file_id, actor="coordinator", reason="38 hours, confirmed by phone",
                      context=validation_context, destination=record.destination)
    corrected = review.correct(engine, doubtful.received_file_id, "hours_per_week", "38", actor="coordinator",
                               reason="38 hours, confirmed by phone", context=validation_context,
                               destination=record.destination)
    assert corrected.outcome is Outcome.HELD
    assert superseded_by(engine, held.document_id) == doubtful.document_id
    assert held.received_file_id not in [w["id"] for w in queries.waiting_for_a_person(engine)]
    _, released = record(doc("PSP-ORP", minutes=10))
    assert [(r.received_file_id, r.outcome) for r in released] == [(doubtful.received_file_id, Outcome.ACCEPTED)]
    assert registered_documents(engine) == [doubtful.document_id]


def test_a_rejected_plan_leaves_the_plan_waiting_for_review_to_be_accepted(record, engine, validation_context):
    (packet,), _ = record(doc("PSP-REG", minutes=1))
    (waiting,), _ = record(doc("PSP-ORP", {"supervisor_credential": "Other", "supervisor_credential_other": "LBSW"},
                               minutes=2))
    (broken,), _ = record(doc("PSP-ORP", {"contact_phone": "12"}, minutes=3))
    assert (packet.outcome, waiting.outcome, broken.outcome) == (Outcome.HELD, Outcome.NEEDS_REVIEW, Outcome.REJECTED)
    assert superseded_by(engine, waiting.document_id) is None
    decision = review.accept(engine, waiting.received_file_id, actor="coordinator", reason="LBSW qualifies here",
                             context=validation_context, destination=record.destination)
    assert [(r.received_file_id, r.outcome) for r in decision.releases] == [(packet.received_file_id, Outcome.ACCEPTED)]
    # The rejected plan came after it: a form is replaced only by a later one, so it stays as it was.
    assert superseded_by(engine, broken.document_id) is None


def test_a_valid_plan_still_replaces_the_plan_waiting_for_review(record, engine, validation_context):
    (waiting,), _ = record(doc("PSP-ORP", {"supervisor_credential": "Other", "supervisor_credential_other": "LBSW"}))
    (corrected,), _ = record(doc("PSP-ORP", minutes=5))
    assert corrected.outcome is Outcome.ACCEPTED
    assert superseded_by(engine, waiting.document_id) == corrected.document_id
    with pytest.raises(BadInputError, match="replaced by a corrected form"):
        review.accept(engine, waiting.received_file_id, actor="coordinator", reason="too late",
                      context=validation_context, destination=record.destination)


# --- A resubmission waiting for review once the held packet is registered --------------------------
#
# The held packet and a doubtful resubmission for the same PSP both stand (neither replaces the
# other). The plan releases the held one into a registration; a reviewer then accepted the
# resubmission, and since `review accept` did not judge the program's rules again (REG-R12), the
# PSP was registered twice and took two seats. Now the accept is refused while the PSP is
# registered, with what to do; the resubmission keeps waiting (nothing is lost).


def registrations(engine) -> list[tuple[int, int, str, str]]:
    """(registration id, document id, session, status) of every registration."""
    with Session(engine) as session:
        return [(r.id, r.document_id, r.training_session, r.status)
                for r in session.scalars(select(store.RegistrationRecord).order_by(store.RegistrationRecord.id))]


def seats_taken(engine, session_id: str) -> int:
    """Seats of a training session taken (as REG-R11 counts them: registrations that stand)."""
    with Session(engine) as session:
        return state.read_snapshot(session).seats_taken.get(session_id, 0)


def test_a_resubmission_cannot_register_the_psp_again_once_the_held_packet_is_released(record, engine,
                                                                                     validation_context):
    (held,), _ = record(doc("PSP-REG", minutes=1))
    (doubtful,), _ = record(doc("PSP-REG", {"hours_per_week": "38"}, minutes=5, unsure="hours_per_week"))
    assert (held.outcome, doubtful.outcome) == (Outcome.HELD, Outcome.NEEDS_REVIEW)
    _, released = record(doc("PSP-ORP", minutes=10))
    assert [(r.received_file_id, r.outcome) for r in released] == [(held.received_file_id, Outcome.ACCEPTED)]
    (registration, _, session_id, _), = registrations(engine)

    with pytest.raises(BadInputError, match="already registered") as refused:
        review.accept(engine, doubtful.received_file_id, actor="coordinator", reason="38 hours, confirmed by phone",
                      context=validation_context, destination=record.destination)
    assert f"PSP #{registration}" in str(refused.value)
    assert f"review reject {doubtful.received_file_id}" in refused.value.hint
    assert f"psp withdraw {registration}" in refused.value.hint
    # One registration, one seat; the resubmission still waits for a person, as it was.
    assert registrations(engine) == [(registration, held.document_id, session_id, "registered")]
    assert seats_taken(engine, session_id) == 1
    assert doubtful.received_file_id in [w["id"] for w in queries.waiting_for_a_person(engine)]
    assert review.show(engine, doubtful.received_file_id)["outcome"] == Outcome.NEEDS_REVIEW.value

    # A correction judges it again: the same PSP is registered, so it still goes to a person.
    corrected = review.correct(engine, doubtful.received_file_id, "hours_per_week", "38", actor="coordinator",
                               reason="read again", context=validation_context, destination=record.destination)
    assert corrected.outcome is Outcome.NEEDS_REVIEW and "REG-R12" in rules(corrected)
    with pytest.raises(BadInputError, match="already registered"):
        review.accept(engine, doubtful.received_file_id, actor="coordinator", reason="38 hours",
                      context=validation_context, destination=record.destination)

    # The way the message names: the registration withdrawn first, the resubmission takes its place.
    certification.withdraw(engine, registration, actor="coordinator", reason="replaced by the resubmission",
                           context=validation_context, destination=record.destination)
    review.accept(engine, doubtful.received_file_id, actor="coordinator", reason="38 hours, confirmed by phone",
                  context=validation_context, destination=record.destination)
    assert [(d, s) for _, d, _, s in registrations(engine)] == [(held.document_id, "withdrawn"),
                                                                (doubtful.document_id, "registered")]
    assert seats_taken(engine, session_id) == 1


def test_a_resubmission_registered_first_leaves_the_held_packet_to_a_person(record, engine, validation_context):
    """The other order: the reviewer confirms the doubtful resubmission while the packet is held
    (an accept is refused: no plan yet); it replaces the held one, and the plan then releases it
    alone: one registration."""
    (held,), _ = record(doc("PSP-REG", minutes=1))
    (doubtful,), _ = record(doc("PSP-REG", {"hours_per_week": "38"}, minutes=5, unsure="hours_per_week"))
    with pytest.raises(BadInputError, match="breaks REG-R10"):
        review.accept(engine, doubtful.received_file_id, actor="coordinator", reason="38 hours",
                      context=validation_context, destination=record.destination)
    review.correct(engine, doubtful.received_file_id, "hours_per_week", "38", actor="coordinator", reason="38 hours",
                   context=validation_context, destination=record.destination)
    _, released = record(doc("PSP-ORP", minutes=10))
    assert [r.received_file_id for r in released] == [doubtful.received_file_id]
    assert [d for _, d, _, _ in registrations(engine)] == [doubtful.document_id]


def test_an_unsure_resubmission_in_the_plans_batch_is_refused_too(record, engine, validation_context):
    """The held packet, the doubtful resubmission and the plan in one batch: the same refusal."""
    held, doubtful, _ = record(doc("PSP-REG", minutes=1),
                               doc("PSP-REG", {"hours_per_week": "38"}, minutes=5, unsure="hours_per_week"),
                               doc("PSP-ORP", minutes=10))[0]
    assert (held.outcome, doubtful.outcome) == (Outcome.ACCEPTED, Outcome.NEEDS_REVIEW)
    with pytest.raises(BadInputError, match="already registered"):
        review.accept(engine, doubtful.received_file_id, actor="coordinator", reason="38 hours",
                      context=validation_context, destination=record.destination)
    assert [d for _, d, _, _ in registrations(engine)] == [held.document_id]


def test_a_packet_flagged_as_already_registered_is_not_accepted_while_the_psp_is(record, engine, validation_context):
    """REG-R12 on record when it was judged: accepting it would register the PSP twice all the same."""
    first, _ = record(doc("PSP-ORP"), doc("PSP-REG", minutes=1))
    (again,), _ = record(doc("PSP-REG", {"psp_first_name": "JORDAN", "hours_per_week": "39"}, minutes=5))
    assert (again.outcome, rules(again)) == (Outcome.NEEDS_REVIEW, ["REG-R12"])
    with pytest.raises(BadInputError, match="already registered"):
        review.accept(engine, again.received_file_id, actor="coordinator", reason="same person",
                      context=validation_context, destination=record.destination)
    assert [d for _, d, _, _ in registrations(engine)] == [first[1].document_id]
    review.reject(engine, again.received_file_id, actor="coordinator", reason="a duplicate",
                  destination=record.destination)


def test_a_plan_rule_that_came_since_it_was_judged_is_shown_before_it_is_accepted(validation_context):
    """The plan side (ORP-R10): an initial plan from an agency that has an accepted plan now.
    Not on record when it was judged, it refuses the accept; on record, the person decided on it."""
    from pipeline.validate.program import ProgramSnapshot, accept_conflicts
    from schemas import load_form_spec

    spec, reference = load_form_spec("PSP-ORP"), validation_context.reference
    snapshot = ProgramSnapshot(agencies_with_accepted_plan=frozenset({VALID_PLAN["cmhsp_name"]}))
    (conflict,) = accept_conflicts(spec, VALID_PLAN, [], snapshot, reference)
    assert conflict.rule == "ORP-R10"
    assert accept_conflicts(spec, VALID_PLAN, [conflict.model_dump(mode="json")], snapshot, reference) == []
    assert accept_conflicts(spec, VALID_PLAN, [], ProgramSnapshot(), reference) == []
