"""Cross-document rules against the store: REG-R10 held and released (same batch, later run,
reviewer), REG-R11 wait list moving up, REG-R12, ORP-R10, and resubmission chains."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.load import certification, program, queries, review, schedule, state, store
from pipeline.model import Outcome
from schemas.reference import TrainingSession
from tests.conftest import RECEIVED_AT, VALID_PACKET, VALID_PLAN, make_document

_counter = iter(range(1, 10_000))


def doc(form_id, changes=None, *, minutes=0, name=None):
    values = {**(VALID_PLAN if form_id == "PSP-ORP" else VALID_PACKET), **(changes or {})}
    number = next(_counter)
    document = make_document(form_id, values, received_at=RECEIVED_AT + timedelta(minutes=minutes),
                             name=name or f"{form_id}-{number}.pdf")
    return document.model_copy(update={"received": document.received.model_copy(update={"sha256": f"{number:064d}"})})


def psp(n):
    return {"psp_first_name": f"Pat{n}", "psp_email": f"pat{n}@example.org"}


def outcomes(stored):
    return [s.outcome for s in stored]


def rules(result):
    return sorted({f.rule for f in result.findings if f.rule})


def test_reg_r10_a_packet_without_an_accepted_plan_is_held(record):
    stored, _ = record(doc("PSP-REG"))
    assert outcomes(stored) == [Outcome.HELD]
    assert rules(stored[0].result) == ["REG-R10"]


def test_reg_r10_released_in_the_same_run_when_the_plan_comes_later(record, engine):
    stored, _ = record(doc("PSP-REG", minutes=1), doc("PSP-ORP", minutes=2))
    assert outcomes(stored) == [Outcome.ACCEPTED, Outcome.ACCEPTED]
    with Session(engine) as session:
        decision = session.scalars(select(store.DecisionRow).where(store.DecisionRow.action == "released")).one()
        assert (decision.actor, decision.from_outcome, decision.to_outcome) == ("pipeline", "held", "accepted")
        assert session.scalar(select(store.RegistrationRecord.psp_last_name)) == "Example"


def test_reg_r10_released_in_a_later_run(record, engine):
    held, _ = record(doc("PSP-REG"))
    assert outcomes(held) == [Outcome.HELD]
    stored, released = record(doc("PSP-ORP", minutes=60))
    assert outcomes(stored) == [Outcome.ACCEPTED]
    assert [(r.received_file_id, r.outcome) for r in released] == [(held[0].received_file_id, Outcome.ACCEPTED)]
    rows = {r["file"]: r["outcome"] for r in queries.export_rows(engine)}
    assert rows[held[0].result.document.received.original_name] == "accepted"


def test_reg_r10_released_by_a_reviewer_accepting_the_plan(record, engine, validation_context):
    record(doc("PSP-REG", minutes=1))
    plan, _ = record(doc("PSP-ORP", {"supervisor_credential": "Other", "supervisor_credential_other": "LBSW"}, minutes=2))
    assert outcomes(plan) == [Outcome.NEEDS_REVIEW]
    decision = review.accept(engine, plan[0].received_file_id, actor="coordinator", reason="LBSW qualifies here",
                             context=validation_context, destination=record.destination)
    assert decision.outcome is Outcome.ACCEPTED
    assert [r.outcome for r in decision.releases] == [Outcome.ACCEPTED]


def test_reg_r11_past_capacity_the_psp_is_wait_listed_and_moves_up(record, engine, validation_context):
    small = {"2027-01-LAN": TrainingSession("2027-01-LAN", date(2027, 1, 11), date(2027, 1, 15), 5, "Lansing", 1)}
    schedule.import_schedule(engine, small, validation_context, "coordinator", record.destination)
    stored, _ = record(doc("PSP-ORP"), doc("PSP-REG", psp(1), minutes=1), doc("PSP-REG", psp(2), minutes=2),
                       doc("PSP-REG", psp(3), minutes=3))
    assert outcomes(stored) == [Outcome.ACCEPTED, Outcome.ACCEPTED, Outcome.HELD, Outcome.HELD]
    assert rules(stored[2].result) == ["REG-R11"]
    seats = {row["session_id"]: row for row in schedule.session_seats(engine)}["2027-01-LAN"]
    assert (seats["taken"], seats["free"], seats["wait_list"]) == (1, 0, 2)

    with Session(engine) as session:
        first = session.scalars(select(store.RegistrationRecord)).one()
    releases = certification.withdraw(engine, first.id, actor="coordinator", reason="left the agency",
                                      context=validation_context, destination=record.destination)
    # First come, first served: the earlier of the two waiting moves up; the other still waits.
    assert [(r.received_file_id, r.outcome) for r in releases] == [(stored[2].received_file_id, Outcome.ACCEPTED)]

    bigger = {"2027-01-LAN": TrainingSession("2027-01-LAN", date(2027, 1, 11), date(2027, 1, 15), 5, "Lansing", 3)}
    _, _, releases = schedule.import_schedule(engine, bigger, validation_context, "coordinator", record.destination)
    assert [(r.received_file_id, r.outcome) for r in releases] == [(stored[3].received_file_id, Outcome.ACCEPTED)]


def test_reg_r12_the_same_psp_registered_again_goes_to_a_person(record):
    first, _ = record(doc("PSP-ORP"), doc("PSP-REG", minutes=1))
    again, _ = record(doc("PSP-REG", {"psp_first_name": "JORDAN", "hours_per_week": "39"}, minutes=5))
    assert outcomes(first) == [Outcome.ACCEPTED, Outcome.ACCEPTED]
    assert outcomes(again) == [Outcome.NEEDS_REVIEW]
    assert rules(again[0].result) == ["REG-R12"]


def test_orp_r10_update_without_a_plan_and_initial_with_one(record):
    update, _ = record(doc("PSP-ORP", {"submission_type": "Update: change in model implementation or hiring practices"}))
    assert outcomes(update) == [Outcome.NEEDS_REVIEW] and rules(update[0].result) == ["ORP-R10"]
    accepted, _ = record(doc("PSP-ORP", {"cmhsp_name": "DWIHN", "counties_served": "Wayne", "agency_city": "Detroit"}))
    again, _ = record(doc("PSP-ORP", {"cmhsp_name": "DWIHN", "counties_served": "Wayne", "psp_positions_planned": "5"}))
    assert outcomes(accepted) == [Outcome.ACCEPTED]
    assert outcomes(again) == [Outcome.NEEDS_REVIEW] and rules(again[0].result) == ["ORP-R10"]
    later_update, _ = record(doc("PSP-ORP", {"cmhsp_name": "DWIHN", "counties_served": "Wayne",
                                            "submission_type": "Update: change in model implementation or hiring practices"}))
    assert outcomes(later_update) == [Outcome.ACCEPTED]


def test_a_resubmission_chain_supersedes_and_keeps_history(record, engine):
    record(doc("PSP-ORP"))
    first, _ = record(doc("PSP-REG", {"psp_phone": "12"}, minutes=1))
    second, _ = record(doc("PSP-REG", {"psp_phone": "34"}, minutes=2))
    third, _ = record(doc("PSP-REG", minutes=3))
    assert outcomes(first + second + third) == [Outcome.REJECTED, Outcome.REJECTED, Outcome.ACCEPTED]
    with Session(engine) as session:
        documents = {d.id: d for d in session.scalars(select(store.Document))}
        assert documents[first[0].document_id].superseded_by_id == second[0].document_id
        assert documents[second[0].document_id].superseded_by_id == third[0].document_id
        assert documents[third[0].document_id].superseded_by_id is None
        # Nothing overwritten: each keeps its own outcome and findings.
        assert documents[first[0].document_id].outcome == "rejected"
        assert documents[first[0].document_id].values["psp_phone"] == "12"
        actions = [d.action for d in session.scalars(select(store.DecisionRow).order_by(store.DecisionRow.id))]
        assert actions == ["superseded", "superseded"]
    shown = review.show(engine, first[0].received_file_id)
    assert shown["superseded_by"] == second[0].received_file_id


def test_a_resubmission_chain_within_one_batch_supersedes_in_arrival_order(record, engine):
    """The batch is flushed once at its end: the chain must still link each to the next."""
    record(doc("PSP-ORP"))
    stored, _ = record(doc("PSP-REG", {"psp_phone": "12"}, minutes=1), doc("PSP-REG", {"psp_phone": "34"}, minutes=2),
                       doc("PSP-REG", minutes=3))
    first, second, third = (s.document_id for s in stored)
    assert outcomes(stored) == [Outcome.REJECTED, Outcome.REJECTED, Outcome.ACCEPTED]
    assert first < second < third  # ids in arrival order, as the receipts' are
    assert [s.received_file_id for s in stored] == sorted(s.received_file_id for s in stored)
    with Session(engine) as session:
        documents = {d.id: d for d in session.scalars(select(store.Document))}
        assert [documents[i].superseded_by_id for i in (first, second, third)] == [second, third, None]
        decisions = session.scalars(select(store.DecisionRow).order_by(store.DecisionRow.id)).all()
        assert [(d.action, d.document_id, d.detail) for d in decisions] == [
            ("superseded", first, {"superseded_by_document": second}),
            ("superseded", second, {"superseded_by_document": third}),
        ]
        registration = session.scalars(select(store.RegistrationRecord)).one()
        assert registration.document_id == third
        assert registration.certification is not None


def test_a_batch_returns_its_receipts_as_the_store_reads_them_back(record, engine):
    """A batch's notices are written from what ``record_batch`` returns, not read back: both agree."""
    duplicate = doc("PSP-REG", psp(7), minutes=4)
    stored, _ = record(
        doc("PSP-REG", minutes=1),  # held until the plan of minute 3, released in this batch
        doc("PSP-REG", {"psp_phone": "12", **psp(5)}, minutes=2),  # rejected
        doc("PSP-ORP", minutes=3),
        duplicate,
        duplicate.model_copy(update={"received": duplicate.received.model_copy(update={"original_name": "again.pdf"})}),
    )
    assert outcomes(stored) == [Outcome.ACCEPTED, Outcome.REJECTED, Outcome.ACCEPTED, Outcome.ACCEPTED,
                                Outcome.DUPLICATE]
    again = {r.received_file_id: r for r in program.stored_receipts(engine, [s.received_file_id for s in stored])}
    for receipt in stored:
        back = again[receipt.received_file_id]
        assert (back.document_id, back.outcome, back.stored_path) == (receipt.document_id, receipt.outcome,
                                                                     receipt.stored_path)
        assert back.result.values == receipt.result.values
        assert back.result.findings == receipt.result.findings
        sent, kept = receipt.result.document, back.result.document
        assert (kept.form_id, kept.form_version) == (sent.form_id, sent.form_version)
        assert (kept.received.original_name, kept.received.received_at, kept.received.sender) == (
            sent.received.original_name, sent.received.received_at, sent.received.sender)


def test_a_held_packet_superseded_by_its_correction_no_longer_waits(record, engine):
    held, _ = record(doc("PSP-REG", {"training_session": "2027-03-GR"}))
    corrected, _ = record(doc("PSP-REG", minutes=5))
    assert outcomes(held + corrected) == [Outcome.HELD, Outcome.HELD]
    waiting = [w["id"] for w in queries.waiting_for_a_person(engine)]
    assert waiting == [corrected[0].received_file_id]
    _, released = record(doc("PSP-ORP", minutes=10))
    assert [r.received_file_id for r in released] == [corrected[0].received_file_id]


def test_two_writers_at_once_never_take_the_same_last_seat(database_url, validation_context, tmp_path):
    """Two processes' worth of writers (separate engines) store packets for a one-seat session at once."""
    import threading

    setup = store.open_store(database_url)
    small = {"2027-01-LAN": TrainingSession("2027-01-LAN", date(2027, 1, 11), date(2027, 1, 15), 5, "Lansing", 1)}

    def destination(received, outcome):
        return tmp_path / outcome.value / received.original_name

    schedule.import_schedule(setup, small, validation_context, "coordinator", destination)
    program.record_batch(setup, store.start_run(setup), [doc("PSP-ORP")], validation_context, destination)
    barrier = threading.Barrier(4)
    results: list[Outcome] = []
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        engine = store.open_store(database_url)
        try:
            barrier.wait()
            stored, _ = program.record_batch(engine, None, [doc("PSP-REG", psp(100 + n))], validation_context, destination)
            results.extend(s.outcome for s in stored)
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(results) == sorted([Outcome.ACCEPTED, Outcome.HELD, Outcome.HELD, Outcome.HELD])
    seats = {row["session_id"]: row for row in schedule.session_seats(setup)}["2027-01-LAN"]
    assert (seats["taken"], seats["wait_list"]) == (1, 3)
    setup.dispose()


def test_two_reviewers_deciding_the_same_document_at_once_cannot_both_win(record, engine, validation_context, database_url):
    import threading

    plan, _ = record(doc("PSP-ORP", {"referral_process": "Case managers refer families."}))
    assert outcomes(plan) == [Outcome.NEEDS_REVIEW]
    barrier = threading.Barrier(2)
    won: list[str] = []
    refused: list[str] = []

    def reviewer(name: str, decide) -> None:
        own = store.open_store(database_url)
        try:
            barrier.wait()
            decide(own, name)
            won.append(name)
        except Exception as exc:  # BadInputError: it was decided already
            refused.append(type(exc).__name__)
        finally:
            own.dispose()

    accept = lambda own, name: review.accept(own, plan[0].received_file_id, actor=name, reason="fine",  # noqa: E731
                                             context=validation_context, destination=record.destination)
    reject = lambda own, name: review.reject(own, plan[0].received_file_id, actor=name, reason="too short",  # noqa: E731
                                             destination=record.destination)
    threads = [threading.Thread(target=reviewer, args=("ann", accept)), threading.Thread(target=reviewer, args=("bo", reject))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(won) == 1 and refused == ["BadInputError"]
    with Session(engine) as session:
        decisions = session.scalars(select(store.DecisionRow).where(store.DecisionRow.action.in_(["accepted", "rejected"]))).all()
        assert [d.actor for d in decisions] == won


def test_a_stored_document_keeps_its_readings_conflicts_and_notes(record, engine):
    from pipeline.model import FieldValue, ReadMethod

    document = doc("PSP-REG", minutes=1)
    conflicting = FieldValue(key="psp_phone", value="(517) 555-0199", method=ReadMethod.LABEL, location="page 1",
                             confidence=0.9, note="the text beside the label")
    fields = dict(document.fields)
    fields["psp_phone"] = fields["psp_phone"].model_copy(update={"confidence": 0.3, "conflicts": (conflicting,), "note": "two readings"})
    stored, _ = record(document.model_copy(update={"fields": fields}))
    with Session(engine) as session:
        row = session.get_one(store.Document, stored[0].document_id)
        receipt = session.get_one(store.ReceivedFileRow, stored[0].received_file_id)
        again = state.document_from_row(row, receipt)
    assert again.fields["psp_phone"] == fields["psp_phone"]
