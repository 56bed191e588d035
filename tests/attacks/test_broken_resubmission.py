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

from datetime import date, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.errors import BadInputError
from pipeline.load import program, review, store
from pipeline.model import Outcome
from schemas.reference import TrainingSession
from tests.conftest import RECEIVED_AT, VALID_PACKET, VALID_PLAN, make_document

_numbers = iter(range(1, 10_000))


def doc(form_id: str, changes: dict | None = None, *, minutes: int = 0, unsure: str | None = None):
    """A form as read, with bytes of its own; ``unsure`` names a field read below the confidence
    a value is decided on (the document goes to a person)."""
    values = {**(VALID_PLAN if form_id == "PSP-ORP" else VALID_PACKET), **(changes or {})}
    number = next(_numbers)
    document = make_document(form_id, values, received_at=RECEIVED_AT + timedelta(minutes=minutes),
                             name=f"{form_id}-{number}.pdf")
    if unsure:
        fields = dict(document.fields)
        fields[unsure] = fields[unsure].model_copy(update={"confidence": 0.5})
        document = document.model_copy(update={"fields": fields})
    return document.model_copy(update={"received": document.received.model_copy(update={"sha256": f"{number:064d}"})})


@pytest.fixture
def engine(database_url):
    engine = store.open_store(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def record(engine, validation_context, tmp_path):
    run_id = store.start_run(engine)

    def destination(received, outcome):
        return tmp_path / outcome.value / received.original_name

    def run(*documents):
        return program.record_batch(engine, run_id, list(documents), validation_context, destination)

    run.destination = destination
    return run


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
    assert held.received_file_id in [w["id"] for w in store.waiting_for_a_person(engine)]

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
    program.import_schedule(engine, sessions, validation_context, "coordinator", record.destination)
    other = {"psp_first_name": "Pat", "psp_email": "pat@example.org"}
    _, full, held = record(doc("PSP-ORP"), doc("PSP-REG", other, minutes=1), doc("PSP-REG", minutes=2))[0]
    assert (full.outcome, held.outcome, rules(held)) == (Outcome.ACCEPTED, Outcome.HELD, ["REG-R11"])
    (moved,), _ = record(doc("PSP-REG", {"training_session": "2027-03-GR"}, minutes=5))
    assert moved.outcome is Outcome.ACCEPTED
    assert superseded_by(engine, held.document_id) == moved.document_id


def test_a_person_accepting_the_resubmission_replaces_the_held_packet(record, engine, validation_context):
    (held,), _ = record(doc("PSP-REG", minutes=1))
    (doubtful,), _ = record(doc("PSP-REG", {"hours_per_week": "38"}, minutes=5, unsure="hours_per_week"))
    assert doubtful.outcome is Outcome.NEEDS_REVIEW and superseded_by(engine, held.document_id) is None
    review.accept(engine, doubtful.received_file_id, actor="coordinator", reason="38 hours, confirmed by phone",
                  context=validation_context, destination=record.destination)
    assert superseded_by(engine, held.document_id) == doubtful.document_id
    assert held.received_file_id not in [w["id"] for w in store.waiting_for_a_person(engine)]
    _, released = record(doc("PSP-ORP", minutes=10))
    assert released == []


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
