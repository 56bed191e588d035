"""pipeline.load.entry: a reviewer types in every value of a document the machine could not read;
it is judged like any other, its values stored as the reviewer's, the decision recorded; the
preview writes nothing; a typed value its field cannot read is refused beside its field."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pipeline.errors import BadInputError
from pipeline.load import entry, review, store
from pipeline.model import ExtractionProblem, InputKind, Outcome
from schemas import FieldType, load_form_spec
from tests.conftest import VALID_VALUES, form_as_read


def typed(form_id: str, **changes) -> dict:
    """The valid form's values as a reviewer types them in: by field, a multichoice field's ticked choices."""
    valid = VALID_VALUES[form_id]
    values = {}
    for field in load_form_spec(form_id).fields:
        if field.type is FieldType.MULTICHOICE:
            values[field.key] = [c for c, w in zip(field.choices, field.widget_keys, strict=True) if valid[w]]
        else:
            values[field.key] = valid[field.key]
    return {**values, **changes}


def unreadable_scan(number: int, *, minutes: int = 30):
    """A scanned page no form was recognised on: it waits for a person."""
    document = form_as_read("PSP-REG", number=number, minutes=minutes)
    return document.model_copy(update={
        "form_id": None, "form_version": None, "fields": {}, "kind": InputKind.SCANNED_PDF,
        "problem": ExtractionProblem.UNKNOWN_FORM, "problem_detail": "no form was recognised on the pages"})


def state(engine) -> tuple:
    with Session(engine) as session:
        documents = session.execute(select(store.Document.id, store.Document.outcome, store.Document.form_id,
                                           store.Document.values, store.Document.extraction)).all()
        counts = [session.scalar(select(func.count()).select_from(t))
                  for t in (store.DecisionRow, store.RegistrationRecord, store.ReadinessPlanRecord)]
    return documents, counts


@pytest.fixture
def enter(engine, record, validation_context):
    def run(received_file_id, values, form_id=None, actor="riley", reason="typed from the fax"):
        return entry.enter(engine, received_file_id, values, actor=actor, reason=reason, context=validation_context,
                           destination=record.destination, form_id=form_id)
    return run


def test_a_scan_of_no_known_form_is_typed_in_judged_and_stored_as_the_reviewers(engine, record, enter,
                                                                                validation_context):
    (plan, scan), _ = record(form_as_read("PSP-ORP", number=1), unreadable_scan(2))
    assert (plan.outcome, scan.outcome) == (Outcome.ACCEPTED, Outcome.NEEDS_REVIEW)
    values = typed("PSP-REG")
    before = state(engine)
    preview = entry.preview_entry(engine, scan.received_file_id, values, actor="riley", context=validation_context,
                                  form_id="PSP-REG")
    assert preview.outcome is Outcome.ACCEPTED and preview.findings == ()
    assert state(engine) == before  # the preview wrote nothing

    decision = enter(scan.received_file_id, values, form_id="PSP-REG")
    assert decision.outcome is Outcome.ACCEPTED
    shown = review.show(engine, scan.received_file_id)
    assert (shown["form_id"], shown["form_version"], shown["outcome"]) == ("PSP-REG", "2025.1", "accepted")
    fields = {f["key"]: f for f in shown["fields"]}
    assert fields["hire_date"]["value"] == "2026-11-16" and fields["child_condition"]["value"] == ["SED", "Autism"]
    assert fields["psp_city"]["sources"] == ["reviewer (typed in by riley, confidence 1.00)"]
    last = shown["decisions"][-1]
    assert (last["actor"], last["action"], last["from"], last["to"], last["reason"]) == (
        "riley", "entered", "needs_review", "accepted", "typed from the fax")
    with Session(engine) as session:
        registration = session.scalars(select(store.RegistrationRecord)).one()
        document = session.get_one(store.Document, registration.document_id)
        assert (registration.psp_email, document.problem) == ("jordan.example@example.org", None)
        assert document.subject_key == "psp:jordan|example|jordan.example@example.org"
    with pytest.raises(BadInputError, match="is accepted; only a document that is"):
        enter(scan.received_file_id, values, form_id="PSP-REG")


def test_typed_values_are_judged_by_the_rules_and_release_what_they_hold(engine, record, enter):
    (scan,), _ = record(unreadable_scan(1))
    held = enter(scan.received_file_id, typed("PSP-REG"), form_id="PSP-REG")
    assert held.outcome is Outcome.HELD and [f.rule for f in held.result.findings] == ["REG-R10"]
    (plan,), _ = record(unreadable_scan(2).model_copy(update={"received": form_as_read(
        "PSP-ORP", number=2).received}))
    accepted = enter(plan.received_file_id, typed("PSP-ORP"), form_id="PSP-ORP")
    assert accepted.outcome is Outcome.ACCEPTED  # the plan typed in releases the packet held on it
    assert [(r.received_file_id, r.outcome) for r in accepted.releases] == [(scan.received_file_id, Outcome.ACCEPTED)]


def test_a_value_read_but_against_a_rule_rejects_as_the_rules_say(engine, record, enter):
    (plan, scan), _ = record(form_as_read("PSP-ORP", number=1), unreadable_scan(2))
    decision = enter(scan.received_file_id, typed("PSP-REG", psp_signature_date="01/02/2025"), form_id="PSP-REG")
    assert decision.outcome is Outcome.REJECTED and "REG-R07" in [f.rule for f in decision.result.findings]


def test_typed_values_their_fields_cannot_read_are_refused_by_field_and_nothing_changes(engine, record, enter,
                                                                                      validation_context):
    (scan,), _ = record(unreadable_scan(1))
    before = state(engine)
    wrong = typed("PSP-REG", hire_date="31/31/2027", hours_per_week="forty or so", position_type="Sometimes",
                  child_condition=["SED", "Flu"], commit_classroom="perhaps")
    with pytest.raises(entry.EntryRefused) as refused:
        enter(scan.received_file_id, wrong, form_id="PSP-REG")
    assert set(refused.value.errors) == {"hire_date", "hours_per_week", "position_type", "child_condition",
                                         "commit_classroom"}
    assert "not a date" in refused.value.errors["hire_date"] and "Date of hire as PSP" in str(refused.value)
    with pytest.raises(entry.EntryRefused):
        entry.preview_entry(engine, scan.received_file_id, wrong, actor="riley", context=validation_context,
                            form_id="PSP-REG")
    assert state(engine) == before


def test_the_form_is_the_documents_own_or_the_one_named(engine, record, enter):
    (scan, packet), _ = record(unreadable_scan(1), form_as_read("PSP-REG", number=2, unsure="psp_city"))
    with pytest.raises(BadInputError, match="is of no known form; say which form it is"):
        enter(scan.received_file_id, typed("PSP-REG"))
    with pytest.raises(BadInputError, match="was read as PSP-REG, not PSP-ORP"):
        enter(packet.received_file_id, typed("PSP-ORP"), form_id="PSP-ORP")
    with pytest.raises(BadInputError, match="has no field 'favourite_colour'"):
        enter(packet.received_file_id, {**typed("PSP-REG"), "favourite_colour": "blue"})
    # A form read unsurely, its values typed in again: every value is the reviewer's now.
    decision = enter(packet.received_file_id, typed("PSP-REG", psp_city="Okemos"))
    assert decision.outcome is Outcome.HELD  # no accepted plan: held, as a form received so would be
    assert {f["key"]: f["value"] for f in review.show(engine, packet.received_file_id)["fields"]}["psp_city"] == "Okemos"


# typed_readings had its own label map (exact label only) beside FormSpec.fields_named, which the
# correction and the desk use: the same name meant a field in one and no field in the other.
def test_typed_fields_are_named_as_a_correction_names_them(engine, record, enter):
    (packet,), _ = record(form_as_read("PSP-REG", number=1, unsure="psp_city"))
    values = typed("PSP-REG")
    del values["psp_city"], values["psp_zip"]
    with pytest.raises(BadInputError, match=r"has no field 'phone'") as refused:  # two labels hold it
        enter(packet.received_file_id, {**values, "phone": "517 555 0150"})
    assert "a part of one only when no other label holds it" in refused.value.hint
    with pytest.raises(BadInputError, match=r"PSP phone \(psp_phone\) is given twice"):
        enter(packet.received_file_id, {**values, "  psp   PHONE ": "517 555 0150"})
    decision = enter(packet.received_file_id, {**values, "home city": "Okemos", "Home ZIP": "48864"})
    assert decision.result.values["psp_city"] == "Okemos" and decision.result.values["psp_zip"] == "48864"


def test_a_decided_document_is_not_typed_in_again_but_reopened_first(engine, record, enter):
    (rejected,), _ = record(form_as_read("PSP-REG", {"psp_phone": "12"}, number=1))
    assert rejected.outcome is Outcome.REJECTED
    with pytest.raises(BadInputError, match="is rejected; only a document that is needs review or held can be entered"):
        enter(rejected.received_file_id, typed("PSP-REG"))
    assert review.show(engine, rejected.received_file_id)["decisions"] == []
