"""Values not read surely enough decide nothing by themselves: conflicts, low confidence and labels
not found send the document to a person, never to a rejection or an acceptance; a label found with
nothing beside it is an empty field, judged as usual."""

from __future__ import annotations

from pipeline.model import FieldValue, InputKind, Outcome, ReadMethod
from pipeline.validate import validate_document
from pipeline.validate.reading import LOW_CONFIDENCE, reading_findings
from schemas import load_form_spec
from schemas.spec import Severity
from tests.conftest import VALID_PLAN, make_document

ORP = load_form_spec("PSP-ORP")


def flat(values: dict, *, drop: tuple[str, ...] = (), confidence: float = 0.95, **reads: FieldValue):
    """A plan read from a flat PDF by its labels."""
    document = make_document("PSP-ORP", {k: v for k, v in values.items() if k not in drop}, method=ReadMethod.LABEL)
    fields = {k: v.model_copy(update={"confidence": confidence}) for k, v in document.fields.items()}
    fields.update(reads)
    return document.model_copy(update={"kind": InputKind.FLAT_PDF, "fields": fields})


def read(key: str, value, confidence: float, **extra) -> FieldValue:
    return FieldValue(key=key, value=value, method=ReadMethod.LABEL, location="page 1", confidence=confidence, **extra)


def test_a_clean_flat_reading_is_judged_like_a_fillable_form(validation_context):
    result = validate_document(flat(VALID_PLAN), validation_context)
    assert (result.outcome, result.findings) == (Outcome.ACCEPTED, ())


def test_a_label_found_with_nothing_beside_it_really_is_empty(validation_context):
    result = validate_document(flat(VALID_PLAN, contact_phone=read("contact_phone", "", 0.95)), validation_context)
    assert result.outcome is Outcome.REJECTED
    assert [(f.rule, f.field) for f in result.findings] == [("ORP-R01", "contact_phone")]


def test_a_required_label_not_found_is_for_a_person_not_a_rejection(validation_context):
    result = validate_document(flat(VALID_PLAN, drop=("contact_phone", "commit_equipment")), validation_context)
    assert result.outcome is Outcome.NEEDS_REVIEW
    assert not any(f.rule for f in result.findings)  # no "ORP-R01: this is empty"
    missing = {f.field: f for f in result.findings}
    assert set(missing) == {"contact_phone", "commit_equipment"}
    assert missing["contact_phone"].label == "Contact phone" and "not found" in missing["contact_phone"].message


def test_a_fillable_pdf_without_a_field_still_breaks_r01(validation_context):
    document = make_document("PSP-ORP", {k: v for k, v in VALID_PLAN.items() if k != "contact_phone"})
    assert validate_document(document, validation_context).outcome is Outcome.REJECTED


def test_low_confidence_required_values_are_for_a_person_even_when_valid(validation_context):
    loose = read("agency_zip", "48910", 0.7, note="the printed label 'ZIP' was taken for 'ZIP code'")
    result = validate_document(flat(VALID_PLAN, agency_zip=loose), validation_context)
    assert result.outcome is Outcome.NEEDS_REVIEW
    (finding,) = result.findings
    assert (finding.rule, finding.field, finding.label, finding.severity) == (None, "agency_zip", "ZIP code", "review")
    assert "'ZIP' was taken for 'ZIP code'" in finding.message


def test_low_confidence_never_rejects_even_when_a_rule_fails(validation_context):
    """A misread value may be why a rule failed: the rule's finding is kept for the person, as review."""
    loose = read("contact_email", "avery.sample.example.org", 0.7)
    result = validate_document(flat(VALID_PLAN, contact_email=loose), validation_context)
    assert result.outcome is Outcome.NEEDS_REVIEW
    assert {(f.rule, f.severity) for f in result.findings} == {(None, "review"), ("ORP-R06", "review")}


def test_conflicting_readings_name_both_values(validation_context):
    other = read("agency_city", "Mason", 0.95)
    conflicted = read("agency_city", "Lansing", 0.3, conflicts=(other,))
    result = validate_document(flat(VALID_PLAN, agency_city=conflicted), validation_context)
    assert result.outcome is Outcome.NEEDS_REVIEW
    (finding,) = result.findings
    assert finding.label == "City" and "'Lansing'" in finding.message and "'Mason'" in finding.message


def test_an_optional_field_not_found_is_only_a_problem_when_a_rule_needs_it(validation_context):
    plain = flat(VALID_PLAN, drop=("provider_agency_name",))
    assert validate_document(plain, validation_context).outcome is Outcome.ACCEPTED
    contract = flat({**VALID_PLAN, "employment_model": "Contract provider agency"}, drop=("provider_agency_name",))
    result = validate_document(contract, validation_context)
    assert result.outcome is Outcome.NEEDS_REVIEW  # ORP-R03 might only be the reader's miss
    assert {f.rule for f in result.findings} == {None, "ORP-R03"}


def test_confidence_threshold_sits_between_loose_and_clean_labels():
    from pipeline.extract.labels import LOOSE_CONFIDENCE, UNDER_CONFIDENCE

    assert LOOSE_CONFIDENCE < LOW_CONFIDENCE <= UNDER_CONFIDENCE


def test_content_controls_and_acroform_values_need_no_reading_findings():
    document = make_document("PSP-ORP", VALID_PLAN)
    assert reading_findings(document, ORP) == []


def test_a_value_read_off_a_picture_that_is_not_of_its_type_goes_to_a_person(validation_context):
    # Every field read surely by text recognition, the CMHSP misread by a letter ("CMHA-CEl"): not
    # a rejection (ORP-R02 would say the agency named no CMHSP), a person reads it.
    misread = FieldValue(key="cmhsp_name", value="CMHA-CEl", method=ReadMethod.OCR, location="page 1", confidence=0.95)
    document = flat(VALID_PLAN, cmhsp_name=misread)
    fields = {k: v.model_copy(update={"method": ReadMethod.OCR}) for k, v in document.fields.items()}
    result = validate_document(document.model_copy(update={"kind": InputKind.SCANNED_PDF, "fields": fields}),
                               validation_context)
    assert result.outcome is Outcome.NEEDS_REVIEW
    # the rule's finding stays, for the desk's queue and a person's accept; a person decides
    assert [(f.rule, f.field, f.severity) for f in result.findings] == [
        (None, "cmhsp_name", Severity.REVIEW), ("ORP-R02", "cmhsp_name", Severity.REVIEW)]
    message = result.findings[0].message
    assert "CMHA-CEl" in message and "misread" in message
    assert "perhaps Community Mental Health Authority of Clinton-Eaton-Ingham Counties" in message  # for the reviewer
    # the same value typed (read as text) is the agency's own: rejected for what it says
    typed = validate_document(flat(VALID_PLAN, cmhsp_name=read("cmhsp_name", "CMHA-CEl", 0.95)), validation_context)
    assert typed.outcome is Outcome.REJECTED
