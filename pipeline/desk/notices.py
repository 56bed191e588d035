"""The desk's notices: the outbox as the agency will read it, sending it (coordinators only), and
the notice a rejection writes, previewed before the reviewer confirms.

Sending is ``psp-pipeline notices send``'s own library call (``sending.send_notices``, each notice
exactly once, whoever sends at the same moment), with the SMTP server of the desk's settings and
the signed-in coordinator recorded as who had each notice sent; ``resend`` of a possibly sent
notice is ``notices resend``'s (``sending.resend_notice``). Both run in a worker thread: the
server may take its time (up to ``PSP_SMTP_DATA_TIMEOUT`` for its answer to a message).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from pipeline.desk.app import desk_app, form_fields, page, require_role, signed_in
from pipeline.desk.drafts import NoticeView, drafted_notice, read_notice
from pipeline.errors import ConfigurationError, DeliveryError
from pipeline.load import outbox, review
from pipeline.load.accounts import Role
from pipeline.load.outbox import NoticeStatus, OutboxItem
from pipeline.load.program import stored_receipts
from pipeline.load.store import utcnow
from pipeline.report.sending import Delivery, SmtpServer, resend_notice, send_notices

router = APIRouter()

LARGEST_ID = 2**31 - 1  # the store's ids are INTEGER columns
NoticeId = Annotated[int, Path(ge=1, le=LARGEST_ID)]
SENT_SHOWN = 100  # the latest notices sent that the page lists
WAITING = (NoticeStatus.PENDING, NoticeStatus.FAILED, NoticeStatus.SENDING, NoticeStatus.NO_ADDRESS)
# What a person should do about a notice in each state that needs one.
TO_DO = {
    NoticeStatus.PENDING: "Goes with the next sending.",
    NoticeStatus.FAILED: "Goes again with the next sending; if it keeps failing, check the address and the server.",
    NoticeStatus.SENDING: "Being sent right now.",
    NoticeStatus.NO_ADDRESS: "No usable address: send it by hand, from the text below.",
    NoticeStatus.POSSIBLY_SENT: "Handed to the server without its answer: it may have been delivered. Ask the "
    "agency, or look for its Message-ID in the server's log; once you know it was not delivered, send it again.",
    NoticeStatus.WITHDRAWN: "Not sent: the document's outcome changed since it was written.",
    NoticeStatus.NOT_WRITTEN: "Its file was never completed; the next decision or run writes it again.",
}
# A withdrawn notice that was handed to the server first (``status`` says withdrawn whatever came before).
WITHDRAWN_AFTER_HANDING_OVER = ("Withdrawn: the document's outcome changed since. It was handed to the server and "
                                "may have been delivered; it is not sent again.")


def to_do(item: OutboxItem, status: NoticeStatus) -> str:
    """What a person should do about the notice, as it stands (``TO_DO``)."""
    if status is NoticeStatus.WITHDRAWN and item.possibly_sent_at is not None:
        return WITHDRAWN_AFTER_HANDING_OVER
    return TO_DO.get(status, "")


@dataclass(frozen=True)
class ShownNotice:
    """One notice on the page: where it stands, what to do, and (for those that may still go) its text."""

    item: OutboxItem
    status: NoticeStatus
    to_do: str
    preview: NoticeView | None = None


@dataclass
class Outbox:
    """The notices by what they need: waiting to go, possibly sent, sent (newest first), the rest."""

    waiting: list[ShownNotice] = field(default_factory=list)
    possibly_sent: list[ShownNotice] = field(default_factory=list)
    sent: list[ShownNotice] = field(default_factory=list)
    others: list[ShownNotice] = field(default_factory=list)


def _outbox(request: Request) -> Outbox:
    """Every notice of the store, sorted for the page; those that may still go previewed from their file."""
    now = utcnow()
    shown = Outbox()
    for item in outbox.notices(desk_app(request).desk.engine):
        status = item.status(now)
        if status is NoticeStatus.SENT:
            shown.sent.append(ShownNotice(item, status, ""))
            continue
        to_do_now = to_do(item, status)
        if status in WAITING or status is NoticeStatus.POSSIBLY_SENT:
            group = shown.waiting if status in WAITING else shown.possibly_sent
            group.append(ShownNotice(item, status, to_do_now, read_notice(item.path)))
        else:
            shown.others.append(ShownNotice(item, status, to_do_now))
    shown.sent = sorted(shown.sent, key=lambda n: n.item.sent_at or now, reverse=True)[:SENT_SHOWN]
    return shown


def _outbox_page(request: Request, **context: Any) -> Response:
    return page(request, "notices.html", outbox=_outbox(request), sent_shown=SENT_SHOWN,
                can_send=signed_in(request).account.role is Role.COORDINATOR, **context)


@router.get("/notices", response_class=HTMLResponse)
def notices_page(request: Request) -> Response:
    """The notices waiting to go, each as the agency will read it; those possibly sent, with what to
    do; those sent, with when and by whom."""
    return _outbox_page(request)


@router.get("/notices/{notice_id}", response_class=HTMLResponse)
def notice_page(request: Request, notice_id: NoticeId) -> Response:
    """One notice, whatever its state, as the agency reads (or read) it."""
    item = next((i for i in outbox.notices(desk_app(request).desk.engine) if i.id == notice_id), None)
    if item is None:
        raise HTTPException(404, f"There is no notice #{notice_id}.")
    status = item.status(utcnow())
    return page(request, "notice.html", notice=ShownNotice(item, status, to_do(item, status), read_notice(item.path)))


@dataclass(frozen=True)
class Sending:
    """What one press of "send" did: the delivery, or why it could not be made."""

    delivery: Delivery | None
    problem: str | None = None

    @property
    def without_address(self) -> int:
        """The notices left for a person to send by hand."""
        return sum(1 for _, reason in self.delivery.skipped if reason.startswith("no address")) if self.delivery else 0


def _chosen_notice(fields: dict[str, str]) -> set[int] | None:
    """The one notice to send (the form's ``notice``), or None for every notice that is due."""
    chosen = fields.get("notice", "").strip()
    if not chosen:
        return None
    if not chosen.isdigit() or not 1 <= int(chosen) <= LARGEST_ID:
        raise HTTPException(400, "There is no such notice.")
    return {int(chosen)}


@router.post("/notices/send")
async def send(request: Request) -> Response:
    """Send every notice that is due, or the one chosen (coordinators only), as `notices send` does:
    each exactly once, the signed-in coordinator recorded as who had it sent."""
    require_role(request, Role.COORDINATOR)
    only = _chosen_notice(await form_fields(request))
    desk = desk_app(request).desk
    actor = signed_in(request).account.name

    def deliver() -> Delivery:
        server = SmtpServer.from_settings(desk.settings)  # ConfigurationError when none is set
        return send_notices(desk.engine, server, sent_by=actor, only=only)

    try:
        sending = Sending(await run_in_threadpool(deliver))
    except (ConfigurationError, DeliveryError) as exc:
        sending = Sending(None, str(exc))
    return _outbox_page(request, sending=sending)


@router.post("/notices/{notice_id}/resend")
async def resend(request: Request, notice_id: NoticeId) -> Response:
    """Put a possibly sent notice back to send again (coordinators only), as `notices resend` does,
    recorded as the signed-in coordinator's say. The next sending sends it."""
    require_role(request, Role.COORDINATOR)
    await form_fields(request)
    desk = desk_app(request).desk
    item = await run_in_threadpool(resend_notice, desk.engine, notice_id, signed_in(request).account.name)
    return _outbox_page(request, put_back=item)


@router.get("/documents/{received_file_id}/rejection", response_class=HTMLResponse)
def rejection_preview(
    request: Request,
    received_file_id: Annotated[int, Path(ge=1, le=LARGEST_ID)],
    message_to_agency: Annotated[str, Query(max_length=2000)] = "",
) -> Response:
    """The notice a rejection would write, as the agency will read it, with the reviewer's message
    in it; nothing is written until the reviewer confirms (``POST .../reject``)."""
    desk = desk_app(request).desk
    if not stored_receipts(desk.engine, [received_file_id]):
        raise HTTPException(404, f"There is no received file #{received_file_id}.")
    result = review.preview_rejection(desk.engine, received_file_id, message_to_agency or None)
    return page(request, "rejection.html", received_file_id=received_file_id,
                file=result.document.received.original_name, message_to_agency=message_to_agency.strip(),
                notice=drafted_notice(desk, received_file_id, result))
