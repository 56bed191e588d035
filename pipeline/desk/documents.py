"""The desk's queue, a document beside its original, and the decisions on it.

Each decision is the command line's own library call (``pipeline.load.review``) made as the
signed-in account, followed by ``service.after_change`` (originals moved, notices written, the
overview written again), one decision at a time. A correction is previewed first with
``review.preview_correction``, which judges exactly as ``review.correct`` does and writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from pipeline.desk import pages
from pipeline.desk.app import desk_app, form_fields, page, signed_in
from pipeline.desk.drafts import drafted_notice
from pipeline.errors import BadInputError
from pipeline.load import outbox, review
from pipeline.load.program import stored_receipts
from pipeline.load.queue import QueueFilter, review_queue
from pipeline.load.store import NOTICE_CORRECTION, StoredReceipt, utcnow
from pipeline.model import DecisionAction, FormId, Outcome
from pipeline.report.document_report import document_summary
from pipeline.report.models import Notice
from pipeline.service import Changes, Desk, after_change
from schemas import load_form_spec

router = APIRouter()

LARGEST_ID = 2**31 - 1  # the store's ids are INTEGER columns
ReceivedFileId = Annotated[int, Path(ge=1, le=LARGEST_ID)]
QUEUE_OUTCOMES = (Outcome.NEEDS_REVIEW, Outcome.HELD)
DONE = {
    DecisionAction.ACCEPTED: "Accepted. The record is in the store.",
    DecisionAction.REJECTED: "Rejected. The notice to the agency is written (see below).",
    DecisionAction.CORRECTED: "Corrected and judged again.",
    DecisionAction.ENTERED: "The values typed in are saved, and the document judged with them.",
    DecisionAction.RELEASED: "Released from its hold.",
    DecisionAction.MOVED: "Moved to the other session.",
    DecisionAction.REOPENED: "Reopened: the document waits for a decision again.",
}


def _chosen(value: str | None) -> str | None:
    """A filter's value as the form sends it: an empty choice is no filter."""
    return value.strip() if value and value.strip() else None


def _queue_filter(form: str | None, agency: str | None, outcome: str | None, rule: str | None,
                  older_than: str | None, search: str) -> QueueFilter:
    """The queue's filter from the query string; HTTP 400 for an outcome or an age that is none."""
    outcome, older_than = _chosen(outcome), _chosen(older_than)
    if outcome is not None and outcome not in QUEUE_OUTCOMES:
        raise HTTPException(400, "The queue holds held and needs-review documents only.")
    if older_than is not None and not (older_than.isdigit() and len(older_than) <= 5):
        raise HTTPException(400, "The age is a number of days.")
    return QueueFilter(form=_chosen(form), agency=_chosen(agency), outcome=Outcome(outcome) if outcome else None,
                       rule=_chosen(rule), older_than_days=int(older_than) if older_than else None,
                       search=search.strip())


@router.get("/", response_class=HTMLResponse)
def queue_page(
    request: Request,
    form: str | None = None,
    agency: str | None = None,
    outcome: str | None = None,
    rule: str | None = None,
    older_than: str | None = None,
    q: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    """What waits for a person, oldest first, filtered and searched."""
    wanted = _queue_filter(form, agency, outcome, rule, older_than, q)
    queue = review_queue(desk_app(request).desk.engine, wanted, utcnow())
    return page(request, "queue.html", queue=queue, wanted=wanted, outcomes=QUEUE_OUTCOMES)


def _receipt(desk: Desk, received_file_id: int) -> StoredReceipt:
    found = stored_receipts(desk.engine, [received_file_id])
    if not found:
        raise HTTPException(404, f"There is no received file #{received_file_id}.")
    return found[0]


def _notice_of(desk: Desk, received_file_id: int) -> tuple[Notice | None, str | None]:
    """The latest notice written for the document, and where it stands."""
    items = [item for item in outbox.notices(desk.engine)  # its correction notices are on the notices page
             if item.received_file_id == received_file_id and item.kind != NOTICE_CORRECTION]
    if not items:
        return None, None
    item = items[-1]
    notice = Notice(received_file_id=received_file_id, outcome=Outcome(item.kind), path=item.path, to=item.to_address)
    return notice, item.status(utcnow()).value.replace("_", " ")


def _original(desk: Desk, receipt: StoredReceipt) -> dict[str, Any]:
    """Whether the original is kept, and its pages as drawn (a Word file converted once), or why none are."""
    present = pages.original_of(receipt) is not None
    drawn = pages.page_count(desk.settings.data_home.root, receipt) if present else pages.Pages(0)
    return {"present": present, "pages": drawn.count, "problem": drawn.problem}


@router.get("/documents/{received_file_id}", response_class=HTMLResponse)
def document_page(request: Request, received_file_id: ReceivedFileId, done: str | None = None) -> Response:
    """One document: its original page by page beside its values as read (where, how surely),
    its findings, its decisions, and the decisions that can still be made."""
    desk = desk_app(request).desk
    receipt = _receipt(desk, received_file_id)
    notice, notice_status = _notice_of(desk, received_file_id)
    report = document_summary(receipt, notice, desk.settings.zone)
    shown = None if receipt.outcome is Outcome.DUPLICATE else review.show(desk.engine, received_file_id)
    open_to = shown is not None and shown["superseded_by"] is None
    form_fields_ = load_form_spec(FormId(report.form_id)).fields if report.form_id else ()
    return page(
        request, "document.html", report=report, shown=shown, notice_status=notice_status,
        original=_original(desk, receipt),
        can_decide=open_to and receipt.outcome in review.WAITING,
        can_correct=open_to and bool(form_fields_) and receipt.outcome in review.CORRECTABLE,
        fields=form_fields_, done=DONE.get(DecisionAction(done)) if done in DONE else None,
    )


@router.get("/documents/{received_file_id}/pages/{number}")
def page_picture(request: Request, received_file_id: ReceivedFileId, number: Annotated[int, Path(ge=1)]) -> Response:
    """A page of the original as a PNG (drawn once, in a process of its own, then kept)."""
    desk = desk_app(request).desk
    picture = pages.page_png(desk.settings.data_home.root, _receipt(desk, received_file_id), number)
    if picture is None:
        raise HTTPException(404, "There is no such page.")
    return Response(picture, media_type="image/png", headers={"Cache-Control": "private, no-store"})


@router.get("/documents/{received_file_id}/original")
def download_original(request: Request, received_file_id: ReceivedFileId) -> Response:
    """The original as it was received, to download (never shown inline: it is the sender's file)."""
    receipt = _receipt(desk_app(request).desk, received_file_id)
    path = pages.original_of(receipt)
    if path is None:
        raise HTTPException(404, "The original is not where the store says it is kept.")
    return FileResponse(path, media_type="application/octet-stream", filename=receipt.result.document.received.original_name,
                        content_disposition_type="attachment", headers={"Cache-Control": "private, no-store"})


@router.get("/documents/{received_file_id}/correction", response_class=HTMLResponse)
def correction_preview(
    request: Request,
    received_file_id: ReceivedFileId,
    field: Annotated[str, Query(max_length=100)],
    value: Annotated[str, Query(max_length=2000)] = "",
) -> Response:
    """The outcome and findings the document would get with one value corrected, before anything
    is saved (``review.preview_correction`` writes nothing)."""
    shared = desk_app(request)
    receipt = _receipt(shared.desk, received_file_id)
    form_id = receipt.result.document.form_id
    if not form_id:
        raise BadInputError(f"#{received_file_id} is not one of the two forms; there is no field to correct.")
    named = review.field_named(load_form_spec(FormId(form_id)), field)  # its key, or its printed label
    field, label = named.key, named.label
    result = review.preview_correction(shared.desk.engine, received_file_id, field, value,
                                       actor=signed_in(request).account.name, context=shared.desk.validation)
    return page(request, "preview.html", received_file_id=received_file_id, file=receipt.result.document.received.original_name,
                field=field, label=label, value=value, before=receipt.outcome, result=result,
                notice=drafted_notice(shared.desk, received_file_id, result))


def _note(fields: dict[str, str]) -> str:
    note = fields.get("note", "").strip()
    if not note:
        raise BadInputError("every decision takes an internal note.",
                            hint="Write why in the note; it stays in the office and is never sent.")
    return note


async def _decide(request: Request, received_file_id: int, decide: Callable[[Desk, str], review.Decision],
                  action: DecisionAction) -> Response:
    """Make one decision as the signed-in account, then what follows every change, one decision at
    a time; back to the document, saying what was done."""
    shared = desk_app(request)
    actor = signed_in(request).account.name

    def work() -> None:
        with shared.deciding:
            decision = decide(shared.desk, actor)
            after_change(shared.desk, Changes(releases=decision.releases))

    await run_in_threadpool(work)
    return RedirectResponse(f"/documents/{received_file_id}?done={action.value}", status_code=303)


@router.post("/documents/{received_file_id}/accept")
async def accept(request: Request, received_file_id: ReceivedFileId) -> Response:
    """Accept a document that waits for a person (``review.accept``, which refuses a held one:
    it is released when its cause clears, ``pipeline.desk.holds``)."""
    note = _note(await form_fields(request))
    return await _decide(request, received_file_id, lambda desk, actor: review.accept(
        desk.engine, received_file_id, actor=actor, reason=note, context=desk.validation,
        destination=desk.router.destination), DecisionAction.ACCEPTED)


@router.post("/documents/{received_file_id}/reject")
async def reject(request: Request, received_file_id: ReceivedFileId) -> Response:
    """Reject a waiting document (``review.reject``): the note stays in the office, the optional
    message goes to the agency in the notice."""
    fields = await form_fields(request)
    note, message = _note(fields), fields.get("message_to_agency") or None
    return await _decide(request, received_file_id, lambda desk, actor: review.reject(
        desk.engine, received_file_id, actor=actor, reason=note, destination=desk.router.destination,
        message_to_agency=message), DecisionAction.REJECTED)


@router.post("/documents/{received_file_id}/correct")
async def correct(request: Request, received_file_id: ReceivedFileId) -> Response:
    """Save a correction previewed (``review.correct``): the document is judged again with it."""
    fields = await form_fields(request)
    note, field, value = _note(fields), fields.get("field", ""), fields.get("value", "")
    return await _decide(request, received_file_id, lambda desk, actor: review.correct(
        desk.engine, received_file_id, field, value, actor=actor, reason=note, context=desk.validation,
        destination=desk.router.destination), DecisionAction.CORRECTED)
