"""pipeline.report.document_report: what the run report shows of one received file: every field in
form order as normalised and as read, where and how surely it was read, the findings beside the
values they are about, and its outcome and why in one line."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from pipeline.model import Outcome, ReadMethod, Severity
from pipeline.report.document_report import document_summary
from pipeline.validate.program import ProgramSnapshot
from tests.conftest import DETROIT, VALID_PACKET, VALID_PLAN, make_document
from tests.report.conftest import stored_receipt


def summary(document, validation_context, **options):
    return document_summary(stored_receipt(1, document, validation_context, **options), None, DETROIT)


def field_row(report, key: str):
    return next(f for section in report.sections for f in section.fields if f.key == key)


def test_the_json_twin_explains_each_document(demo_home):
    report = json.loads(max(demo_home.data_home.reports.glob("run-*.json")).read_text("utf-8"))
    by_file = {d["file"]: d for d in report["documents"]}
    rejected = by_file["orp_r01_missing_fields.pdf"]
    assert rejected["why"].startswith("2 problems the agency must correct (ORP-R01)")
    phone = next(f for f in rejected["findings"] if f["field"] == "contact_phone")
    assert phone["label"] == "Contact phone" and phone["read"] == "" and phone["where"] == "page 1 · PDF form field"
    assert phone["confidence"] == 1.0
    dates = next(f for s in by_file["orp_valid_cei.pdf"]["sections"] for f in s["fields"] if f["key"] == "planned_start_date")
    assert dates["shown"] != dates["read"]  # normalised 2027-03-01, as written 03/01/2027
    assert by_file["orp_valid_cei.pdf"]["why"].startswith("Every rule holds")
    waiting = report["waiting"]
    assert [w["received_at"] for w in waiting] == sorted(w["received_at"] for w in waiting)
    assert {w["outcome"] for w in waiting} <= {"held", "needs_review"}


def test_an_accepted_form_shows_every_field_in_form_order_where_and_how_it_was_read(validation_context):
    report = summary(make_document("PSP-ORP", VALID_PLAN, name="plan.pdf"), validation_context)
    assert report.outcome is Outcome.ACCEPTED and report.why == "Every rule holds; the record is in the store."
    assert (report.form_title, report.file, report.findings) == ("PSP Organizational Readiness Plan", "plan.pdf", ())
    assert report.received_local == "2026-12-02 10:00"  # the office's time
    start = field_row(report, "planned_start_date")
    assert (start.value, start.read) == ("2027-03-01", "March 1, 2027")  # normalised, and as written
    assert (start.where, start.source, start.confidence) == ("page 1 · PDF form field", "acroform (page 1)", 1.0)
    assert field_row(report, "commit_employ").shown == "☒ checked"
    assert report.lowest_confidence == 1.0


def test_a_rejection_counts_the_problems_the_agency_must_correct(validation_context):
    report = summary(make_document("PSP-ORP", {**VALID_PLAN, "contact_phone": ""}), validation_context)
    assert report.outcome is Outcome.REJECTED
    assert report.why == "1 problem the agency must correct (ORP-R01); a notice goes back to them."
    (finding,) = report.findings
    assert (finding.field, finding.read, finding.where) == ("contact_phone", "", "page 1 · PDF form field")
    assert field_row(report, "contact_phone").findings == (finding,)  # beside the value it is about


def test_a_held_form_waits_and_says_for_what(validation_context):
    report = summary(make_document("PSP-REG", VALID_PACKET), validation_context, program=ProgramSnapshot())
    assert report.outcome is Outcome.HELD
    assert report.why.startswith("Waits. REG-R10: ") and "(+" not in report.why


def test_a_value_read_unsurely_goes_to_a_person_with_the_first_reason(validation_context):
    document = make_document("PSP-REG", VALID_PACKET)
    fields = {**document.fields, "psp_phone": document.fields["psp_phone"].model_copy(update={"confidence": 0.5}),
              "psp_city": document.fields["psp_city"].model_copy(update={"confidence": 0.4})}
    report = summary(document.model_copy(update={"fields": fields}), validation_context)
    assert report.outcome is Outcome.NEEDS_REVIEW and report.lowest_confidence == 0.4
    assert report.why.startswith("A person decides. ") and report.why.endswith("(+1 more)")
    assert [f.severity for f in report.findings] == [Severity.REVIEW, Severity.REVIEW]


def test_a_duplicate_shows_nothing_of_what_it_holds(validation_context):
    report = summary(make_document("PSP-REG", VALID_PACKET), validation_context, duplicate_of="ab12" * 16)
    assert report.outcome is Outcome.DUPLICATE
    assert report.why == "The same file was received before (sha256 ab12ab12ab12…); nothing changed."
    assert (report.sections, report.findings, report.lowest_confidence) == ((), (), None)


def test_a_multichoice_field_is_shown_as_its_boxes_were_read(validation_context):
    ticked = summary(make_document("PSP-REG", VALID_PACKET), validation_context)
    assert field_row(ticked, "child_condition").read == "SED, Autism"
    none = {**VALID_PACKET, "child_condition_sed": False, "child_condition_autism": False}
    unticked = summary(make_document("PSP-REG", none), validation_context)
    assert field_row(unticked, "child_condition").read == "none checked"
    unread = {k: v for k, v in VALID_PACKET.items() if not k.startswith("child_condition")}
    row = field_row(summary(make_document("PSP-REG", unread), validation_context), "child_condition")
    assert (row.read, row.where, row.confidence) == ("", "not found on the form", None)


def test_how_a_value_was_read_is_said_in_the_reviewer_s_words(validation_context):
    document = make_document("PSP-REG", VALID_PACKET, method=ReadMethod.LEGACY_FORM_FIELD)
    report = summary(document, validation_context)
    assert field_row(report, "psp_city").where == "page 1 · Word legacy form field"


def test_a_file_that_is_no_form_is_an_unknown_document(validation_context):
    document = make_document("PSP-REG", {}).model_copy(update={"form_id": None, "form_version": None, "fields": {}})
    report = summary(document, validation_context)
    assert (report.form_id, report.form_title, report.sections) == (None, "Unknown document", ())
    assert report.received_at == datetime(2026, 12, 2, 15, 0, tzinfo=UTC)
