"""pipeline.load.queries: the questions asked of the store in more than one place, each written
once: seats taken, what waits for a person, counts by outcome, the export's rows, and the decisions
since the last run and in the desk's trail (on SQLite, and PostgreSQL under ``make test-postgres``)."""

from __future__ import annotations

from datetime import date

from pipeline.load import certification, program, queries, review, store
from pipeline.model import DecisionAction, Outcome
from tests.conftest import RECEIVED_AT, VALID_PACKET, VALID_PLAN, make_document
from tests.load.conftest import another_psp


def with_digest(form_id: str, values: dict, sha256: str, name: str):
    """The form as read from a file called ``name`` whose bytes have this digest."""
    document = make_document(form_id, values, name=name)
    return document.model_copy(update={"received": document.received.model_copy(update={"sha256": sha256})})


def test_export_rows_follow_the_contract(record, engine):
    rejected = with_digest("PSP-REG", {**VALID_PACKET, "psp_phone": "1"}, "1" * 64, "reg.pdf")
    duplicate = with_digest("PSP-REG", {**VALID_PACKET, "psp_phone": "1"}, "1" * 64, "reg-again.pdf")
    record(with_digest("PSP-ORP", VALID_PLAN, "2" * 64, "plan.pdf"), rejected, duplicate)
    rows = [r for r in queries.export_rows(engine) if r["form_id"] == "PSP-REG"]
    assert [r["outcome"] for r in rows] == ["rejected", "duplicate"]
    row = rows[0]
    assert set(row) == {"id", "file", "sha256", "received_at", "form_id", "form_version", "outcome", "findings", "fields"}
    assert row["file"] == "reg.pdf" and row["form_id"] == "PSP-REG" and row["form_version"] == "2025.1"
    assert row["received_at"] == RECEIVED_AT  # aware: the export writes it in the office's time
    assert row["findings"] == [
        {"rule": "REG-R05", "field": "psp_phone", "severity": "error", "message": row["findings"][0]["message"]}
    ]
    fields = row["fields"]
    assert fields["hire_date"] == "2026-11-16"
    assert fields["lodging_needed"] == "No"
    assert fields["commit_classroom"] is True
    assert fields["hours_per_week"] == 40
    assert fields["child_condition"] == ["SED", "Autism"]
    assert fields["cmhsp_name"] == "Community Mental Health Authority of Clinton-Eaton-Ingham Counties"
    assert fields["psp_phone"] == "1"  # as read, since it did not parse
    assert rows[1]["fields"] == {} and rows[1]["findings"] == []


def test_a_seat_is_taken_by_each_psp_registered_until_withdrawn(engine, registered, validation_context, record):
    with store.transaction(engine) as session:
        assert queries.seats_taken(session) == {}
    first, _, _ = registered(3)
    certification.withdraw(engine, first, actor="coordinator", reason="left", context=validation_context,
                           destination=record.destination)
    with store.transaction(engine) as session:
        assert queries.seats_taken(session) == {"2027-01-LAN": 2}


def test_outcomes_are_counted_over_everything_or_one_run(engine, record, doc, validation_context):
    record(doc("PSP-ORP"), doc("PSP-REG", {"psp_phone": "1"}))
    later = store.start_run(engine)
    program.record_batch(engine, later, [doc("PSP-REG", minutes=5)], validation_context, record.destination)
    assert queries.outcome_counts(engine) == {Outcome.ACCEPTED: 2, Outcome.REJECTED: 1}
    assert queries.outcome_counts(engine, later) == {Outcome.ACCEPTED: 1}


def test_what_waits_for_a_person_oldest_first_with_its_first_reason(engine, record, doc):
    stored, _ = record(doc("PSP-REG", minutes=10),  # held: no accepted plan of its agency yet
                       doc("PSP-REG", another_psp(1), minutes=5, unsure="psp_phone"))  # and a person reads its phone
    waiting = queries.waiting_for_a_person(engine)
    assert [(w["id"], w["outcome"]) for w in waiting] == [(stored[1].received_file_id, Outcome.NEEDS_REVIEW),
                                                          (stored[0].received_file_id, Outcome.HELD)]
    assert waiting[0]["received_at"] < waiting[1]["received_at"]
    assert waiting[1]["reason"].startswith("REG-R10: ") and waiting[1]["more"] == 0  # a rule's finding names it
    assert "low confidence" in waiting[0]["reason"] and waiting[0]["more"] == 1  # held too: one shown, one counted


def test_a_form_replaced_by_a_later_one_no_longer_waits(engine, record, doc):
    held, _ = record(doc("PSP-REG"))
    again, _ = record(doc("PSP-REG", {"hours_per_week": "35"}, minutes=5))  # its correction, held in its place
    assert [w["id"] for w in queries.waiting_for_a_person(engine)] == [again[0].received_file_id]


def test_decisions_since_the_last_run_finished_with_what_they_were_about(engine, record, doc, registered):
    (psp,) = registered(1)
    first_run = store.start_run(engine)
    certification.update(engine, psp, certification.Progress(classroom_attended_on=date(2027, 1, 15)),
                         actor="coordinator", reason="before the run finished")
    store.finish_run(engine, first_run, files_seen=0, report_path=None)
    stored, _ = record(doc("PSP-REG", another_psp(2), unsure="psp_phone"))
    review.reject(engine, stored[0].received_file_id, actor="avery", reason="phoned", destination=record.destination)
    next_run = store.start_run(engine)
    decisions = queries.decisions_since_last_run(engine, next_run)
    assert [(d["action"], d["actor"], d["reason"]) for d in decisions] == [(DecisionAction.REJECTED, "avery", "phoned")]
    rejected = stored[0]
    assert decisions[0]["id"] == rejected.received_file_id
    assert decisions[0]["file"] == rejected.result.document.received.original_name
    assert (decisions[0]["from"], decisions[0]["to"]) == (Outcome.NEEDS_REVIEW, Outcome.REJECTED)
    everything = queries.decisions_since_last_run(engine, first_run)  # no run finished before it: every decision
    assert [d["subject"] for d in everything][:1] == [f"PSP #{psp}"]


def test_the_trail_is_the_latest_decisions_newest_first_with_the_message_sent(engine, record, doc):
    stored, _ = record(*(doc("PSP-REG", another_psp(n), minutes=n, unsure="psp_phone") for n in range(3)))
    for number, receipt in enumerate(stored):
        message = "Please send the phone number." if number else None
        review.reject(engine, receipt.received_file_id, actor="avery", reason=f"decision {number}",
                      destination=record.destination, message_to_agency=message)
    trail = queries.decision_trail(engine, limit=2)
    assert [d["reason"] for d in trail] == ["decision 2", "decision 1"]
    assert trail[0]["message_to_agency"] == "Please send the phone number."
    assert [d["message_to_agency"] for d in queries.decision_trail(engine)][-1] is None
