"""Deciding in the desk: a document beside its original, accept and reject changing the store
and writing the notice through the library's own calls, a correction previewed without writing
anything then saved, and values from documents shown as text on every page."""

from __future__ import annotations

from email import message_from_bytes, policy
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pipeline.load import review, store
from pipeline.model import Outcome
from tests.conftest import form_as_read
from tests.desk.conftest import REVIEWER, with_real_pdf

HTML = {"Accept": "text/html"}
UNSURE_PLAN = {"supervisor_credential": "Other", "supervisor_credential_other": "LBSW"}  # ORP-R04: a person confirms
HOSTILE = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'


def _store_state(engine) -> tuple:
    """Everything a decision would change: documents, receipts, decisions, notices, records."""
    with Session(engine) as session:
        documents = session.execute(select(store.Document.id, store.Document.outcome, store.Document.values,
                                           store.Document.findings).order_by(store.Document.id)).all()
        counts = [session.scalar(select(func.count()).select_from(table)) for table in
                  (store.DecisionRow, store.NoticeRow, store.ReadinessPlanRecord, store.RegistrationRecord)]
        return documents, counts


def _decision(engine, received_file_id: int) -> dict:
    return review.show(engine, received_file_id)["decisions"][-1]


def test_a_document_shows_its_values_findings_and_original_page_by_page(reviewer, stored):
    (packet,) = stored(with_real_pdf(form_as_read("PSP-REG", number=1, unsure="psp_city")))
    page = reviewer.get(f"/documents/{packet.received_file_id}", headers=HTML)
    assert page.status_code == 200
    assert "Home city" in page.text and "page 1 · PDF form field" in page.text and "0.50" in page.text
    assert "REG-R10" in page.text and "Community Mental Health Services Program (CMHSP)" in page.text
    assert f'src="/documents/{packet.received_file_id}/pages/2"' in page.text
    assert f"/documents/{packet.received_file_id}/pages/3" not in page.text

    picture = reviewer.get(f"/documents/{packet.received_file_id}/pages/1")
    assert picture.headers["content-type"] == "image/png" and picture.content.startswith(b"\x89PNG")
    assert reviewer.get(f"/documents/{packet.received_file_id}/pages/3").status_code == 404
    original = reviewer.get(f"/documents/{packet.received_file_id}/original")
    assert original.content.startswith(b"%PDF-") and "attachment" in original.headers["content-disposition"]
    assert reviewer.get("/documents/999", headers=HTML).status_code == 404


def test_accepting_in_the_desk_records_the_account_and_files_the_original(reviewer, desk, stored):
    (plan,) = stored(form_as_read("PSP-ORP", UNSURE_PLAN, number=1))
    assert plan.outcome is Outcome.NEEDS_REVIEW
    done = reviewer.post_form(f"/documents/{plan.received_file_id}/accept", note="LBSW approved by the office")
    assert done.status_code == 200 and "Accepted." in done.text
    assert review.show(desk.engine, plan.received_file_id)["outcome"] == Outcome.ACCEPTED
    decision = _decision(desk.engine, plan.received_file_id)
    assert (decision["actor"], decision["action"], decision["reason"]) == (REVIEWER, "accepted", "LBSW approved by the office")
    kept = Path(review.show(desk.engine, plan.received_file_id)["stored_path"])
    assert kept.is_file() and kept.parent.parent.name == "accepted"  # moved by after_change
    assert f'action="/documents/{plan.received_file_id}/accept"' not in done.text  # no decision left to make
    assert reviewer.post_form(f"/documents/{plan.received_file_id}/accept", note="again").status_code == 400


def test_rejecting_in_the_desk_writes_the_notice_with_the_message_and_not_the_note(reviewer, desk, stored):
    (plan,) = stored(form_as_read("PSP-ORP", UNSURE_PLAN, number=1))
    done = reviewer.post_form(f"/documents/{plan.received_file_id}/reject", note="our own note, internal",
                              message_to_agency="Please send the supervisor's licence.")
    assert done.status_code == 200 and "Rejected." in done.text
    assert review.show(desk.engine, plan.received_file_id)["outcome"] == Outcome.REJECTED
    decision = _decision(desk.engine, plan.received_file_id)
    assert (decision["actor"], decision["message_to_agency"]) == (REVIEWER, "Please send the supervisor's licence.")
    (notice,) = list(desk.settings.data_home.notices.rglob("*.eml"))
    body = message_from_bytes(notice.read_bytes(), policy=policy.default).get_body().get_content()
    assert "Please send the supervisor's licence." in body and "our own note" not in body
    assert "Notice to avery.sample@example.org: pending." in done.text


def test_a_decision_without_a_note_is_refused_and_changes_nothing(reviewer, desk, stored):
    (plan,) = stored(form_as_read("PSP-ORP", UNSURE_PLAN, number=1))
    before = _store_state(desk.engine)
    refused = reviewer.post_form(f"/documents/{plan.received_file_id}/reject", note="  ")
    assert refused.status_code == 400 and "internal note" in refused.text
    assert _store_state(desk.engine) == before


def test_a_correction_is_previewed_without_writing_then_saved(reviewer, desk, stored):
    _, packet = stored(form_as_read("PSP-ORP", number=2), form_as_read("PSP-REG", number=1, unsure="psp_city"))
    assert packet.outcome is Outcome.NEEDS_REVIEW
    document = reviewer.get(f"/documents/{packet.received_file_id}", headers=HTML)
    assert '<option value="psp_city">Home city</option>' in document.text  # chosen by its printed label
    before = _store_state(desk.engine)
    files_before = sorted(desk.settings.data_home.root.rglob("*"))

    preview = reviewer.get(f"/documents/{packet.received_file_id}/correction",
                           params={"field": "psp_city", "value": "Mason"}, headers=HTML)
    assert preview.status_code == 200 and "would be" in preview.text
    assert '<span class="outcome accepted">accepted</span>' in preview.text and "Nothing is saved yet." in preview.text
    refusal = reviewer.get(f"/documents/{packet.received_file_id}/correction",
                           params={"field": "psp_email", "value": "not an email"}, headers=HTML)
    assert "REG-R05</strong> review · PSP email" in refusal.text and "outcome accepted" not in refusal.text
    assert _store_state(desk.engine) == before and sorted(desk.settings.data_home.root.rglob("*")) == files_before

    saved = reviewer.post_form(f"/documents/{packet.received_file_id}/correct", field="psp_city", value="Mason",
                               note="checked against the scan")
    assert saved.status_code == 200 and "Corrected and judged again." in saved.text
    assert review.show(desk.engine, packet.received_file_id)["outcome"] == Outcome.ACCEPTED
    assert _decision(desk.engine, packet.received_file_id)["actor"] == REVIEWER


def test_a_preview_of_a_value_that_is_no_choice_says_so(reviewer, stored):
    (packet,) = stored(form_as_read("PSP-REG", number=1, unsure="psp_city"))
    page = reviewer.get(f"/documents/{packet.received_file_id}/correction",
                        params={"field": "lived_experience_parent", "value": "perhaps"}, headers=HTML)
    assert page.status_code == 400 and "is not a box state" in page.text
    assert reviewer.get(f"/documents/{packet.received_file_id}/correction",
                        params={"field": "no_such_field", "value": "x"}, headers=HTML).status_code == 400


@pytest.mark.parametrize("where", ["file", "value"])
def test_a_hostile_value_stays_text_on_every_page(reviewer, desk, stored, where):
    document = form_as_read("PSP-ORP", {**UNSURE_PLAN, "contact_name": HOSTILE, "agency_city": HOSTILE}, number=1)
    if where == "file":
        document = document.model_copy(update={"received": document.received.model_copy(
            update={"original_name": f"{HOSTILE}.pdf", "sender": HOSTILE})})
    (plan,) = stored(document)
    rid = plan.received_file_id
    reviewer.post_form(f"/documents/{rid}/reject", note=HOSTILE, message_to_agency="Resend it, please.")
    pages = [
        reviewer.get("/", headers=HTML),
        reviewer.get("/", params={"q": HOSTILE}, headers=HTML),
        reviewer.get(f"/documents/{rid}", headers=HTML),
        reviewer.get(f"/documents/{rid}/correction", params={"field": "contact_name", "value": HOSTILE}, headers=HTML),
        reviewer.get("/audit", headers=HTML),
    ]
    for page in pages:
        assert "<script>alert" not in page.text and "<img src=x" not in page.text, page.url
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in pages[2].text and "&lt;script&gt;" in pages[4].text
