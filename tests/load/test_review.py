"""pipeline.load.review: what a reviewer sees of a document (show), and a reviewer's accept,
reject and correction with their refusals: a document that does not wait, a second decision, a
form replaced since, a file that is no form, values that cannot make a record."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pipeline.errors import BadInputError
from pipeline.load import outbox, review, store
from pipeline.model import InputKind, Outcome, ReadMethod
from schemas import load_form_spec
from tests.conftest import make_document

UNSURE_PLAN = {"supervisor_credential": "Other", "supervisor_credential_other": "LBSW"}  # ORP-R04: a person confirms


@pytest.fixture
def decide(engine, record, validation_context):
    """The review functions on this store, with the run's destination and reference data."""

    class Decide:
        def accept(self, received_file_id, actor="avery", reason="checked"):
            return review.accept(engine, received_file_id, actor=actor, reason=reason, context=validation_context,
                                 destination=record.destination)

        def reject(self, received_file_id, actor="avery", reason="checked", message_to_agency=None):
            return review.reject(engine, received_file_id, actor=actor, reason=reason, destination=record.destination,
                                 message_to_agency=message_to_agency)

        def correct(self, received_file_id, field, value, actor="avery", reason="phoned"):
            return review.correct(engine, received_file_id, field, value, actor=actor, reason=reason,
                                  context=validation_context, destination=record.destination)

    return Decide()


def decisions(engine) -> list[tuple[str, str, str | None, str | None]]:
    with Session(engine) as session:
        return [(d.actor, d.action, d.from_outcome, d.to_outcome)
                for d in session.scalars(select(store.DecisionRow).order_by(store.DecisionRow.id))]


def registrations(engine) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(store.RegistrationRecord))


def outcome_of(engine, received_file_id: int) -> str:
    return review.show(engine, received_file_id)["outcome"]


def test_show_gives_values_with_their_sources_findings_and_decisions(engine, record, doc, decide):
    (plan,), _ = record(doc("PSP-ORP", UNSURE_PLAN))
    shown = review.show(engine, plan.received_file_id)
    assert (shown["id"], shown["file"], shown["form_id"], shown["outcome"]) == (
        plan.received_file_id, "PSP-ORP-1.pdf", "PSP-ORP", "needs_review")
    assert [f["rule"] for f in shown["findings"]] == ["ORP-R04"]
    credential = next(f for f in shown["fields"] if f["key"] == "supervisor_credential")
    assert credential["value"] == "Other"
    assert credential["sources"] == ["acroform (page 1, confidence 1.00)"]
    assert shown["decisions"] == [] and shown["superseded_by"] is None

    decide.reject(plan.received_file_id, actor="riley", reason="our own note", message_to_agency="send the licence")
    (decision,) = review.show(engine, plan.received_file_id)["decisions"]
    assert {k: decision[k] for k in ("actor", "action", "from", "to", "reason", "message_to_agency")} == {
        "actor": "riley", "action": "rejected", "from": "needs_review", "to": "rejected", "reason": "our own note",
        "message_to_agency": "send the licence"}


def test_show_refuses_a_file_never_received_and_points_a_duplicate_to_its_first(engine, record, doc):
    first = doc("PSP-REG")
    again = first.model_copy(update={"received": first.received.model_copy(update={"original_name": "again.pdf"})})
    (stored, duplicate), _ = record(first, again)
    assert duplicate.outcome is Outcome.DUPLICATE
    with pytest.raises(BadInputError, match="there is no received file #999"):
        review.show(engine, 999)
    with pytest.raises(BadInputError, match=f"#{duplicate.received_file_id} is a duplicate of #{stored.received_file_id}") \
            as refused:
        review.show(engine, duplicate.received_file_id)
    assert refused.value.hint == f"Decide #{stored.received_file_id} instead."


# A person's accept took a held packet: a PSP registered before their agency's plan (REG-R10).
def test_a_held_packet_is_not_accepted_by_a_person_but_its_cause_is_named(engine, record, doc, decide):
    (held,), _ = record(doc("PSP-REG"))
    assert held.outcome is Outcome.HELD
    with pytest.raises(BadInputError, match="is held, not waiting for a person") as refused:
        decide.accept(held.received_file_id, reason="the plan is on paper")
    assert "accept the agency's readiness plan" in refused.value.hint and "sessions move" in refused.value.hint
    assert outcome_of(engine, held.received_file_id) == "held"
    assert registrations(engine) == 0 and decisions(engine) == []


@pytest.mark.parametrize("verb", ["accept", "reject"])
def test_a_document_that_does_not_wait_is_neither_accepted_nor_rejected(engine, record, doc, decide, verb):
    (rejected, accepted), _ = record(doc("PSP-REG", {"psp_phone": "12"}), doc("PSP-ORP", minutes=1))
    assert (rejected.outcome, accepted.outcome) == (Outcome.REJECTED, Outcome.ACCEPTED)
    past = {"accept": "accepted", "reject": "rejected"}[verb]
    waits = {"accept": "needs review", "reject": "needs review or held"}[verb]
    with pytest.raises(BadInputError, match=f"is rejected; only a document that is {waits} can be {past}"):
        getattr(decide, verb)(rejected.received_file_id)
    with pytest.raises(BadInputError, match=f"is accepted; only a document that is {waits} can be {past}"):
        getattr(decide, verb)(accepted.received_file_id)
    assert decisions(engine) == []
    assert (outcome_of(engine, rejected.received_file_id), outcome_of(engine, accepted.received_file_id)) == (
        "rejected", "accepted")


@pytest.mark.parametrize("first, second", [("accept", "accept"), ("accept", "reject"), ("reject", "accept"),
                                           ("reject", "reject")])
def test_a_second_decision_on_a_document_is_refused(engine, record, doc, decide, first, second):
    (plan,), _ = record(doc("PSP-ORP", UNSURE_PLAN))
    getattr(decide, first)(plan.received_file_id, actor="first reviewer")
    decided = outcome_of(engine, plan.received_file_id)
    with pytest.raises(BadInputError, match=f"is {decided}; only a document that is needs review"):
        getattr(decide, second)(plan.received_file_id, actor="second reviewer")
    assert [d[0] for d in decisions(engine)] == ["first reviewer"]
    assert outcome_of(engine, plan.received_file_id) == decided


def test_a_file_that_is_no_form_can_be_rejected_but_not_accepted_or_corrected(engine, record, decide):
    (unread,), _ = record(make_document(None, {}, name="scan.pdf"))
    assert unread.outcome is Outcome.NEEDS_REVIEW
    with pytest.raises(BadInputError, match="is not one of the two forms and cannot be accepted"):
        decide.accept(unread.received_file_id)
    with pytest.raises(BadInputError, match="is not one of the two forms; there is no field to correct"):
        decide.correct(unread.received_file_id, "psp_phone", "517 555 0150")
    assert decisions(engine) == []
    decision = decide.reject(unread.received_file_id)
    assert decision.outcome is Outcome.REJECTED
    assert decision.result.findings[0].message == review.NO_MESSAGE_TO_AGENCY
    assert unread.received_file_id in outbox.missing_notices(engine)  # its notice is owed


def test_a_form_whose_values_make_no_record_is_not_accepted(engine, record, doc, decide):
    (unsure,), _ = record(doc("PSP-REG", {"hours_per_week": "3B"}, unsure="hours_per_week"))
    assert unsure.outcome is Outcome.NEEDS_REVIEW
    label = load_form_spec("PSP-REG").field("hours_per_week").label
    with pytest.raises(BadInputError, match=f"cannot be accepted: {label} has no usable value") as refused:
        decide.accept(unsure.received_file_id)
    assert "review correct ID FIELD VALUE" in refused.value.hint
    assert registrations(engine) == 0 and decisions(engine) == []
    assert outcome_of(engine, unsure.received_file_id) == "needs_review"


def test_a_value_read_off_a_picture_that_is_not_of_its_type_is_not_accepted_past(engine, record, doc, decide):
    # Read surely by text recognition, "Cook County" goes to a person (it may be misread), not to a
    # rejection; a person's accept does not take it as it stands: it makes no record.
    plan = doc("PSP-ORP", {"counties_served": "Cook County"})
    recognised = {k: v.model_copy(update={"method": ReadMethod.OCR}) for k, v in plan.fields.items()}
    (waiting,), _ = record(plan.model_copy(update={"kind": InputKind.SCANNED_PDF, "fields": recognised}))
    assert waiting.outcome is Outcome.NEEDS_REVIEW
    label = load_form_spec("PSP-ORP").field("counties_served").label
    with pytest.raises(BadInputError, match=f"cannot be accepted: {label} has no usable value"):
        decide.accept(waiting.received_file_id)
    assert outcome_of(engine, waiting.received_file_id) == "needs_review"


def test_a_rejection_says_the_message_to_the_agency_first_and_keeps_the_findings(engine, record, doc, decide):
    (held,), _ = record(doc("PSP-REG"))
    decision = decide.reject(held.received_file_id, reason="not employed there", message_to_agency="  Not our PSP.  ")
    assert decision.outcome is Outcome.REJECTED
    assert [(f.rule, f.message) for f in decision.result.findings][0] == (None, f"{review.REVIEW_FINDING}Not our PSP.")
    assert [f.rule for f in decision.result.findings][1:] == ["REG-R10"]
    assert review.show(engine, held.received_file_id)["decisions"][0]["message_to_agency"] == "Not our PSP."


def test_a_correction_judges_the_form_again_with_the_reviewers_value(engine, record, doc, decide):
    (waiting,), _ = record(doc("PSP-REG", {"psp_phone": "12"}, unsure="psp_phone"))
    assert waiting.outcome is Outcome.NEEDS_REVIEW
    decision = decide.correct(waiting.received_file_id, "psp_phone", "517 555 0150", actor="riley")
    # Valid now; its agency has no accepted plan yet: held, as a form received so would be.
    assert decision.outcome is Outcome.HELD
    assert sorted({f.rule for f in decision.result.findings if f.rule}) == ["REG-R10"]
    assert decisions(engine) == [("riley", "corrected", "needs_review", "held")]
    phone = next(f for f in review.show(engine, waiting.received_file_id)["fields"] if f["key"] == "psp_phone")
    assert phone["sources"] == ["reviewer (corrected by riley, confidence 1.00)"]


# A correction changed a rejected form: a reviewer's correction that left it rejected then counted
# as the reviewer's decision, and the reviewer could reopen the pipeline's own rejection.
def test_a_rejected_form_is_not_corrected_but_reopened_first(engine, record, doc, decide):
    (rejected,), _ = record(doc("PSP-REG", {"psp_phone": "12"}))
    assert rejected.outcome is Outcome.REJECTED
    with pytest.raises(BadInputError, match="is rejected; only a document that is needs review or held can be "
                                            "corrected"):
        decide.correct(rejected.received_file_id, "psp_phone", "517 555 0150")
    assert decisions(engine) == [] and outcome_of(engine, rejected.received_file_id) == "rejected"


def test_a_correction_names_its_field_by_key_or_printed_label_and_records_the_key(engine, record, doc, decide):
    (waiting,), _ = record(doc("PSP-REG", {"psp_phone": "12"}, unsure="psp_phone"))
    decide.correct(waiting.received_file_id, "  psp   PHONE ", "517 555 0150")
    with Session(engine) as session:
        (decision,) = session.scalars(select(store.DecisionRow)).all()
    assert decision.detail == {"field": "psp_phone"}
    spec = load_form_spec("PSP-REG")
    assert [f.key for f in spec.fields_named("Home ZIP")] == ["psp_zip"]  # a part of one label
    assert [f.key for f in spec.fields_named("psp_zip")] == ["psp_zip"] and spec.fields_named("  ") == ()
    assert review.field_named(spec, "home city").key == "psp_city"


def condition(engine, received_file_id: int) -> list[str]:
    return sorted(next(f["value"] for f in review.show(engine, received_file_id)["fields"] if f["key"] == "child_condition"))


def test_a_correction_of_a_multichoice_field_sets_each_of_its_boxes(engine, record, doc, decide):
    (held,), _ = record(doc("PSP-REG"))
    assert condition(engine, held.received_file_id) == ["Autism", "SED"]
    decision = decide.correct(held.received_file_id, "child_condition", "autism")
    assert decision.result.document.fields["child_condition_sed"].value is False
    assert condition(engine, held.received_file_id) == ["Autism"]
    with pytest.raises(BadInputError, match="adhd is not a choice of") as refused:
        decide.correct(held.received_file_id, "child_condition", "SED, ADHD")
    assert "SED, I/DD, Autism" in refused.value.hint
    assert condition(engine, held.received_file_id) == ["Autism"]


# review._widget_values split the reviewer's value on "/" too: "I/DD" became "I" and "DD", and was refused.
def test_a_correction_may_choose_a_choice_with_a_slash_in_its_name(engine, record, doc, decide):
    (held,), _ = record(doc("PSP-REG"))
    decide.correct(held.received_file_id, "child_condition", "SED, I/DD")
    assert condition(engine, held.received_file_id) == ["I/DD", "SED"]


def test_a_correction_refuses_what_it_cannot_write(engine, record, doc, decide):
    (held, decided), _ = record(doc("PSP-REG"), doc("PSP-REG", {"psp_first_name": "Sam", "psp_email": "s@example.org"},
                                                    minutes=1))
    with pytest.raises(BadInputError, match="'maybe' is not a box state"):
        decide.correct(held.received_file_id, "ack_confidentiality", "maybe")
    with pytest.raises(BadInputError, match="PSP-REG has no field 'fax'"):
        decide.correct(held.received_file_id, "fax", "517 555 0150")
    with pytest.raises(BadInputError, match=r"'phone' could be any of 2 fields of PSP-REG: PSP phone \(psp_phone\); "
                                            r"Supervisor phone \(supervisor_phone\)\. Give more"):
        decide.correct(held.received_file_id, "phone", "517 555 0150")
    decide.reject(decided.received_file_id)
    with pytest.raises(BadInputError, match="is rejected; only a document that is needs review or held can be "
                                            "corrected"):
        decide.correct(decided.received_file_id, "psp_phone", "517 555 0150")
    assert [d[1] for d in decisions(engine)] == ["rejected"]


def test_a_form_replaced_by_a_later_one_is_decided_there(engine, record, doc, decide):
    (rejected,), _ = record(doc("PSP-REG", {"psp_phone": "12"}))
    (resubmitted,), _ = record(doc("PSP-REG", minutes=5))
    assert resubmitted.outcome is Outcome.HELD
    assert review.show(engine, rejected.received_file_id)["superseded_by"] == resubmitted.received_file_id
    before = decisions(engine)
    assert before == [("pipeline", "superseded", "rejected", "rejected")]
    with pytest.raises(BadInputError, match="was replaced by a corrected form that came later") as refused:
        decide.correct(rejected.received_file_id, "psp_phone", "517 555 0150")
    assert "review list" in refused.value.hint
    assert decisions(engine) == before
    assert outcome_of(engine, resubmitted.received_file_id) == "held"


def test_the_message_to_the_agency_is_one_line_of_at_most_the_limit():
    check = review.checked_message_to_agency
    assert check(None) is None and check("   ") is None
    assert check("  Send page 2 again.  ") == "Send page 2 again."
    assert check("x" * review.MESSAGE_TO_AGENCY_LIMIT) == "x" * review.MESSAGE_TO_AGENCY_LIMIT
    for refused in ("a\tb", "a\u2028b", "a\u0000b", "a\u202eb"):
        with pytest.raises(BadInputError, match="line break or a control character"):
            check(refused)
    with pytest.raises(BadInputError, match=f"is {review.MESSAGE_TO_AGENCY_LIMIT + 1} characters long"):
        check("x" * (review.MESSAGE_TO_AGENCY_LIMIT + 1))


def test_a_message_that_cannot_be_sent_refuses_the_rejection_before_anything_changes(engine, record, doc, decide):
    (held,), _ = record(doc("PSP-REG"))
    with pytest.raises(BadInputError):
        decide.reject(held.received_file_id, message_to_agency="x" * 401)
    assert outcome_of(engine, held.received_file_id) == "held" and decisions(engine) == []
