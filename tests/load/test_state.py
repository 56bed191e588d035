"""pipeline.load.state: the program's state as the judge sees it, read from the store (SQLite, and
PostgreSQL under ``make test-postgres``): the snapshot, the contents stored before, the standing
forms a later one may replace, and the held forms as they were read."""

from __future__ import annotations

from sqlalchemy.orm import Session

from pipeline.load import state
from pipeline.model import Outcome
from pipeline.validate.judge import FormRef
from tests.conftest import form_as_read


def test_the_state_holds_what_the_judge_needs_and_nothing_accepted_stands(engine, record):
    held, rejected = form_as_read("PSP-REG", number=1), form_as_read("PSP-REG", {"psp_phone": "555"}, number=2)
    stored, _ = record(held, rejected, form_as_read("PSP-ORP", number=3, minutes=10))
    # The plan came last: it releases the held packet in the same batch, so nothing is held after it.
    outcomes = [receipt.outcome for receipt in stored]
    assert outcomes == [Outcome.ACCEPTED, Outcome.REJECTED, Outcome.ACCEPTED]
    with Session(engine) as session:
        read = state.read_state(session, [held, form_as_read("PSP-REG", number=9)])
    assert read.known == {held.received.sha256: stored[0].document_id}  # only the contents stored before
    assert read.held == ()
    (standing,) = read.standing
    assert standing.ref == FormRef.stored(stored[1].document_id) and standing.outcome is Outcome.REJECTED
    assert standing.subject_key.startswith("psp:") and standing.findings  # the findings as kept
    assert read.snapshot.agencies_with_accepted_plan and read.snapshot.seats_taken == {"2027-01-LAN": 1}


def test_a_held_form_is_read_back_as_it_was_read_with_its_findings(engine, record):
    packet = form_as_read("PSP-REG", number=4)
    (stored,), _ = record(packet)
    assert stored.outcome is Outcome.HELD
    with Session(engine) as session:
        read = state.read_state(session)
    (held,) = read.held
    assert held.ref == FormRef.stored(stored.document_id) and held.subject_key is not None
    assert [f["rule"] for f in held.findings] == ["REG-R10"]
    assert {key: value.value for key, value in held.document.fields.items()} == {
        key: value.value for key, value in packet.fields.items()
    }
    assert held.document.received.sha256 == packet.received.sha256
    assert read.known == {}  # no documents asked about
