"""Releasing a hold by hand and moving a wait-listed PSP, in the desk: each a page that shows
what the decision would do before it is made, and a POST that makes it through the library
(``pipeline.load.holds``) as the signed-in account, then ``service.after_change``.

A release whose hold's cause is still there is not offered: the page lists each rule that still
holds the form and what clears it, and the library refuses it (``holds.HoldRemains``).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from pipeline.desk.app import desk_app, form_fields, page
from pipeline.desk.documents import ReceivedFileId, _decide, _note, _receipt
from pipeline.desk.drafts import drafted_notice
from pipeline.errors import BadInputError
from pipeline.load import holds, schedule
from pipeline.load.store import StoredReceipt
from pipeline.model import DecisionAction, Outcome
from pipeline.service import Desk

router = APIRouter()

def _held(request: Request, received_file_id: int) -> tuple[Desk, StoredReceipt]:
    desk = desk_app(request).desk
    receipt = _receipt(desk, received_file_id)
    if receipt.outcome is not Outcome.HELD:
        raise BadInputError(f"#{received_file_id} is {receipt.outcome.value.replace('_', ' ')}, not held.",
                            hint="Only a held document is released or moved.")
    return desk, receipt


@router.get("/documents/{received_file_id}/release", response_class=HTMLResponse)
def release_page(request: Request, received_file_id: ReceivedFileId) -> Response:
    """What releasing the hold would do: decided as the rules say now, or, while a hold's cause is
    still there, the rules that hold it and what clears each."""
    desk, receipt = _held(request, received_file_id)
    remaining = holds.holds_now(desk.engine, received_file_id, context=desk.validation)
    result = None if remaining else holds.preview_release(desk.engine, received_file_id, context=desk.validation)
    return page(request, "release.html", id=received_file_id, file=receipt.result.document.received.original_name,
                holds=remaining, clears=holds.CLEARS, result=result,
                notice=drafted_notice(desk, received_file_id, result) if result is not None else None)


@router.post("/documents/{received_file_id}/release")
async def release(request: Request, received_file_id: ReceivedFileId) -> Response:
    """Release the hold (``holds.release_hold``): refused while its cause is still there."""
    fields = await form_fields(request)
    note = _note(fields)
    return await _decide(request, received_file_id, lambda desk, actor: holds.release_hold(
        desk.engine, received_file_id, actor=actor, reason=note, context=desk.validation,
        destination=desk.router.destination), DecisionAction.RELEASED)


def _session_choices(desk: Desk, current: str) -> list[dict[str, Any]]:
    """The other sessions, with their free seats and wait lists (``schedule.session_seats``)."""
    return [row for row in schedule.session_seats(desk.engine) if row["session_id"] != current]


@router.get("/documents/{received_file_id}/move", response_class=HTMLResponse)
def move_page(request: Request, received_file_id: ReceivedFileId) -> Response:
    """The sessions a wait-listed PSP can be moved to, each with its free seats and wait list."""
    desk, receipt = _held(request, received_file_id)
    current = str(receipt.result.values.get(holds.SESSION_FIELD) or "")
    values = receipt.result.values
    return page(request, "move.html", id=received_file_id, file=receipt.result.document.received.original_name,
                current=current, psp=f"{values.get('psp_first_name') or ''} {values.get('psp_last_name') or ''}".strip(),
                sessions=_session_choices(desk, current))


@router.post("/documents/{received_file_id}/move")
async def move(request: Request, received_file_id: ReceivedFileId) -> Response:
    """Move the wait-listed PSP to the session chosen (``holds.move_to_session``)."""
    fields = await form_fields(request)
    note, session_id = _note(fields), fields.get("session", "")
    return await _decide(request, received_file_id, lambda desk, actor: holds.move_to_session(
        desk.engine, received_file_id, session_id, actor=actor, reason=note, context=desk.validation,
        destination=desk.router.destination), DecisionAction.MOVED)
