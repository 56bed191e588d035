"""Undo in the desk: a decided document reopened (``pipeline.load.reopen``), to wait for a person
again. A page shows what reopening does before anything changes (the record taken back, the seat
freed, the notice withdrawn, or the correction notice the agency gets, as it will read it); its
POST reopens as the signed-in account with the reason given, then ``service.after_change`` (the
original refiled, the correction notice written, the overview written again).

Who may: a reviewer reopens a person's decision (their own slip, a colleague's); disputing the
pipeline's own outcome (a form it accepted or rejected by its rules) is a coordinator's call.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from pipeline.desk.app import desk_app, form_fields, page, signed_in
from pipeline.desk.documents import ReceivedFileId, _decide, _receipt
from pipeline.load import reopen
from pipeline.load.accounts import Role
from pipeline.load.review import MESSAGE_TO_AGENCY_LIMIT, checked_message_to_agency
from pipeline.model import DecisionAction
from pipeline.report.correction_notice import draft_correction

router = APIRouter()


def _may_dispute_the_pipeline(request: Request) -> bool:
    """Whether the signed-in account may reopen the pipeline's own outcome (a coordinator)."""
    return signed_in(request).account.role is Role.COORDINATOR


@router.get("/documents/{received_file_id}/reopen", response_class=HTMLResponse)
def reopen_page(
    request: Request,
    received_file_id: ReceivedFileId,
    message_to_agency: Annotated[str, Query(max_length=MESSAGE_TO_AGENCY_LIMIT * 2)] = "",
) -> Response:
    """What reopening the document does, and the correction notice it writes when its notice went
    out; the same refusals as the reopening itself. Nothing is changed."""
    desk = desk_app(request).desk
    receipt = _receipt(desk, received_file_id)
    message = checked_message_to_agency(message_to_agency)
    planned = reopen.preview(desk.engine, received_file_id, machine_outcomes=_may_dispute_the_pipeline(request))
    correction = None
    if planned.corrected_notice is not None and planned.corrected_notice_at is not None:
        drafted = draft_correction(desk.settings, desk.engine, received_file_id, notice_at=planned.corrected_notice_at,
                                   to_address=planned.correction_to, message=message)
        body = drafted.get_body(preferencelist=("plain",))
        correction = {"to": str(drafted.get("To") or ""), "subject": str(drafted["Subject"]),
                      "body": body.get_content() if body is not None else ""}
    return page(request, "reopen.html", id=received_file_id, file=receipt.result.document.received.original_name,
                planned=planned, correction=correction, message_to_agency=message or "")


@router.post("/documents/{received_file_id}/reopen")
async def reopen_document(request: Request, received_file_id: ReceivedFileId) -> Response:
    """Reopen the document (``reopen.reopen``) with the reason given (the note, never sent) and the
    optional message to the agency (in the correction notice, when one follows)."""
    fields = await form_fields(request)
    reason, message = fields.get("note", ""), fields.get("message_to_agency") or None
    machine_outcomes = _may_dispute_the_pipeline(request)
    return await _decide(request, received_file_id, lambda desk, actor: reopen.reopen(
        desk.engine, received_file_id, actor=actor, reason=reason, context=desk.validation,
        destination=desk.router.destination, message_to_agency=message, machine_outcomes=machine_outcomes),
        DecisionAction.REOPENED)
