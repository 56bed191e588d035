"""Undo: a decision reopened, in the library with what follows every change (``after_change``) and
a real SMTP server, and in the desk. A notice not sent yet is withdrawn and never sent, and the
next decision's notice is a new one; a notice that went out is followed by a correction notice,
sent exactly once. In the desk: a page shows what reopening does first, the POST needs the CSRF
token, a reviewer reopens a person's decision and a coordinator also the pipeline's own."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.load import outbox, reopen, review, store
from pipeline.load.outbox import NoticeStatus
from pipeline.load.store import NOTICE_CORRECTION, utcnow
from pipeline.model import Outcome
from pipeline.report.sending import SmtpServer, send_notices
from pipeline.service import Changes, after_change
from tests.conftest import form_as_read
from tests.desk.conftest import COORDINATOR, REVIEWER
from tests.report.smtp import SmtpTestServer

HTML = {"Accept": "text/html"}
UNSURE_PLAN = {"supervisor_credential": "Other", "supervisor_credential_other": "LBSW"}  # ORP-R04: a person confirms


@pytest.fixture
def smtp_server():
    with SmtpTestServer() as server:
        yield server


def _send(desk, server: SmtpTestServer):
    return send_notices(desk.engine, SmtpServer(host="127.0.0.1", port=server.port, starttls=False, timeout=5))


def _reopen(desk, received_file_id: int, **options):
    done = reopen.reopen(desk.engine, received_file_id, actor="avery", reason="rejected by mistake",
                         context=desk.validation, destination=desk.router.destination, **options)
    after_change(desk, Changes(releases=done.releases))
    return done


def _rejected_by_a_person(desk, stored, message: str | None = None) -> int:
    (plan,) = stored(form_as_read("PSP-ORP", UNSURE_PLAN, number=1))
    review.reject(desk.engine, plan.received_file_id, actor="riley", reason="typo", destination=desk.router.destination,
                  message_to_agency=message)
    after_change(desk)
    return plan.received_file_id


def _items(desk, received_file_id: int) -> list[outbox.OutboxItem]:
    return [item for item in outbox.notices(desk.engine) if item.received_file_id == received_file_id]


def test_a_notice_not_sent_yet_is_withdrawn_never_sent_and_the_next_decision_writes_a_new_one(desk, stored, smtp_server):
    received_file_id = _rejected_by_a_person(desk, stored)
    (written,) = _items(desk, received_file_id)
    assert written.status(utcnow()) is NoticeStatus.PENDING and written.path.is_file()

    done = _reopen(desk, received_file_id)
    assert done.withdrawn_notice == written.id and done.corrected_notice is None
    (withdrawn,) = _items(desk, received_file_id)
    assert withdrawn.status(utcnow()) is NoticeStatus.WITHDRAWN and withdrawn.withdrawn_by == "avery"
    assert not written.path.exists() and withdrawn.path == reopen.aside_path(written.path, written.id)
    assert withdrawn.path.is_file()  # set aside, kept for the audit trail
    delivery = _send(desk, smtp_server)
    assert delivery.sent == [] and smtp_server.received == []
    assert not outbox.claim(desk.engine, withdrawn.id, "a sender")  # not even claimed by another sender

    review.reject(desk.engine, received_file_id, actor="riley", reason="now for real", destination=desk.router.destination,
                  message_to_agency="Send the licence.")
    after_change(desk)
    items = _items(desk, received_file_id)
    assert len(items) == 2 and items[1].path == written.path and items[1].status(utcnow()) is NoticeStatus.PENDING
    assert [i.id for i in _send(desk, smtp_server).sent] == [items[1].id]
    (received,) = smtp_server.received
    assert "Send the licence." in received.message.get_body().get_content()
    assert _send(desk, smtp_server).sent == [] and len(smtp_server.received) == 1


def test_a_notice_that_went_out_is_followed_by_a_correction_notice_sent_exactly_once(desk, stored, smtp_server):
    received_file_id = _rejected_by_a_person(desk, stored)
    (rejection,) = _send(desk, smtp_server).sent
    preview = reopen.preview(desk.engine, received_file_id)
    assert preview.corrected_notice == rejection.id and preview.correction_to == rejection.to_address

    done = _reopen(desk, received_file_id, message_to_agency="We will call you this week.")
    correction = next(i for i in _items(desk, received_file_id) if i.kind == NOTICE_CORRECTION)
    assert done.correction_notice == correction.id and correction.written and correction.to_address == rejection.to_address
    assert correction.status(utcnow()) is NoticeStatus.PENDING  # a correction stands whatever the outcome now
    assert correction.path != rejection.path and correction.path.is_file()
    sent_rejection = next(i for i in _items(desk, received_file_id) if i.id == rejection.id)
    assert sent_rejection.status(utcnow()) is NoticeStatus.SENT and sent_rejection.withdrawn_at is not None

    assert [i.id for i in _send(desk, smtp_server).sent] == [correction.id]
    assert _send(desk, smtp_server).sent == []  # exactly once
    assert len(smtp_server.received) == 2
    message = smtp_server.received[1].message
    body = message.get_body().get_content()
    assert message["X-PSP-Notice"] == "correction" and "withdrawn" in message["Subject"]
    assert "PSP-ORP-1.pdf" in body and "We will call you this week." in body and "is withdrawn" in body
    assert "rejected by mistake" not in body  # the reason stays in the office
    with Session(desk.engine) as session:
        decision = session.scalars(select(store.DecisionRow).where(store.DecisionRow.action == "reopened")).one()
    assert decision.detail["corrected_notice"] == rejection.id and decision.detail["correction_notice"] == correction.id


def test_the_desk_shows_what_reopening_does_then_reopens_as_the_account(reviewer, desk, stored):
    received_file_id = _rejected_by_a_person(desk, stored)
    page = reviewer.get(f"/documents/{received_file_id}", headers=HTML)
    assert f'action="/documents/{received_file_id}/reopen"' in page.text and "Reopen…" in page.text
    preview = reviewer.get(f"/documents/{received_file_id}/reopen", headers=HTML)
    assert preview.status_code == 200 and "was not sent yet: it is withdrawn and never sent" in preview.text
    assert review.show(desk.engine, received_file_id)["outcome"] == Outcome.REJECTED  # nothing changed

    refused = reviewer.post(f"/documents/{received_file_id}/reopen", data={"note": "slip"}, headers=HTML)
    assert refused.status_code == 403 and review.show(desk.engine, received_file_id)["outcome"] == Outcome.REJECTED
    no_reason = reviewer.post_form(f"/documents/{received_file_id}/reopen", note=" ")
    assert no_reason.status_code == 400 and "takes a reason" in no_reason.text

    done = reviewer.post_form(f"/documents/{received_file_id}/reopen", note="rejected the wrong file")
    assert done.status_code == 200 and "Reopened: the document waits for a decision again." in done.text
    last = review.show(desk.engine, received_file_id)["decisions"][-1]
    assert (last["actor"], last["action"], last["reason"]) == (REVIEWER, "reopened", "rejected the wrong file")
    assert "Notice to avery.sample@example.org: withdrawn." in done.text
    kept = Path(review.show(desk.engine, received_file_id)["stored_path"])
    assert kept.is_file() and kept.parent.parent.name == "needs_review"  # refiled by after_change
    again = reviewer.get(f"/documents/{received_file_id}/rejection", headers=HTML)  # its withdrawn notice is no more
    assert again.status_code == 200 and "please correct and resend" in again.text


def test_the_pipelines_own_outcome_is_a_coordinators_to_reopen(client, desk, stored):
    (plan,) = stored(form_as_read("PSP-ORP", number=1))
    assert plan.outcome is Outcome.ACCEPTED
    client.sign_in(REVIEWER)
    refused = client.post_form(f"/documents/{plan.received_file_id}/reopen", note="the agency asked")
    assert refused.status_code == 400 and "Ask a coordinator to reopen it." in refused.text
    assert client.get(f"/documents/{plan.received_file_id}/reopen", headers=HTML).status_code == 400
    client.post_form("/logout")
    client.sign_in(COORDINATOR)
    preview = client.get(f"/documents/{plan.received_file_id}/reopen", headers=HTML)
    assert "accepted plan (#1) is taken back" in preview.text and "by the pipeline itself" in preview.text
    done = client.post_form(f"/documents/{plan.received_file_id}/reopen", note="the agency sent the wrong plan")
    assert done.status_code == 200 and review.show(desk.engine, plan.received_file_id)["outcome"] == "needs_review"
    assert review.show(desk.engine, plan.received_file_id)["decisions"][-1]["actor"] == COORDINATOR


def test_a_notice_being_sent_is_withdrawn_before_it_is_handed_over_or_corrected_after(desk, stored):
    first = _rejected_by_a_person(desk, stored)
    (claimed,) = _items(desk, first)
    assert outbox.claim(desk.engine, claimed.id, "sender-1", kind=claimed.kind)
    assert _reopen(desk, first).withdrawn_notice == claimed.id  # claimed, not handed over yet: withdrawn
    assert not outbox.mark_possibly_sent(desk.engine, claimed.id, "sender-1", kind=claimed.kind)  # so never handed over

    (second,) = stored(form_as_read("PSP-ORP", {**UNSURE_PLAN, "cmhsp_name": "DWIHN"}, number=2))
    review.reject(desk.engine, second.received_file_id, actor="riley", reason="typo", destination=desk.router.destination)
    after_change(desk)
    (handed,) = _items(desk, second.received_file_id)
    assert outbox.claim(desk.engine, handed.id, "sender-1", kind=handed.kind)
    assert outbox.mark_possibly_sent(desk.engine, handed.id, "sender-1", kind=handed.kind)  # DATA under way
    done = _reopen(desk, second.received_file_id)
    assert done.corrected_notice == handed.id and done.correction_notice is not None  # it may arrive: corrected
    assert outbox.mark_sent(desk.engine, handed.id, "sender-1", kind=handed.kind)  # the server's answer still counts


def test_the_desk_previews_the_correction_notice_and_lists_it_to_send(coordinator, desk, stored, smtp_server):
    received_file_id = _rejected_by_a_person(desk, stored)
    _send(desk, smtp_server)
    preview = coordinator.get(f"/documents/{received_file_id}/reopen", params={"message_to_agency": "We will call."},
                              headers=HTML)
    assert preview.status_code == 200 and "a correction notice to avery.sample@example.org" in preview.text
    assert "our earlier message is withdrawn" in preview.text and "We will call." in preview.text
    assert not [i for i in _items(desk, received_file_id) if i.kind == NOTICE_CORRECTION]  # nothing written yet
    done = coordinator.post_form(f"/documents/{received_file_id}/reopen", note="wrong file", message_to_agency="We will call.")
    assert done.status_code == 200 and "Notice to avery.sample@example.org: sent." in done.text
    (correction,) = [i for i in _items(desk, received_file_id) if i.kind == NOTICE_CORRECTION]
    listed = coordinator.get("/notices", headers=HTML)
    assert f"#{correction.id}</a> (correction)" in listed.text
    assert "We will call." in correction.path.read_text()
