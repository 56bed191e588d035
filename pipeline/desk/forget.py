"""Forgetting a PSP in the desk, a coordinator's call: the same work as ``psp-pipeline forget``
(``pipeline.forget_psp``). A form takes the PSP's email and the reason; its preview is the dry run
(what would be deleted and rewritten, nothing changed); confirmed, it forgets them as the signed-in
account, under the run lock the CLI takes and one change at a time with the desk's decisions, and
shows what was done and the self-check's outcome.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from pipeline.desk.app import desk_app, form_fields, page, require_role, signed_in
from pipeline.errors import InboxBusyError
from pipeline.forget_psp import forget_lock, forget_psp
from pipeline.load.accounts import Role

router = APIRouter()


@dataclass
class Said:
    """The lines forgetting said, each with whether it is something that could not be done."""

    lines: list[tuple[str, bool]] = field(default_factory=list)

    def __call__(self, line: str, problem: bool = False, /) -> None:
        self.lines.append((line, problem))


@router.get("/forget", response_class=HTMLResponse)
def forget_form(request: Request) -> Response:
    """The form: the PSP's email and why they are forgotten."""
    require_role(request, Role.COORDINATOR)
    return page(request, "forget.html", email="", reason="", said=None, dry_run=True, incomplete=False)


@router.post("/forget/preview", response_class=HTMLResponse)
async def forget_preview(request: Request) -> Response:
    """The dry run: what forgetting the PSP would delete and rewrite; nothing is changed."""
    return await _forget(request, dry_run=True)


@router.post("/forget", response_class=HTMLResponse)
async def forget(request: Request) -> Response:
    """Forget the PSP as the signed-in account, then what the self-check still finds of them."""
    return await _forget(request, dry_run=False)


async def _forget(request: Request, *, dry_run: bool) -> Response:
    require_role(request, Role.COORDINATOR)
    fields = await form_fields(request)
    shared = desk_app(request)
    email, reason = fields.get("email", "").strip(), fields.get("reason", "").strip()
    actor = signed_in(request).account.name
    said = Said()

    def work() -> bool:
        # Deleting files and rewriting reports: not while a decision moves files, nor during a run.
        with shared.deciding, forget_lock(shared.desk.settings, dry_run=dry_run):
            return forget_psp(shared.desk, email, reason=reason, actor=actor, dry_run=dry_run, say=said)

    try:
        incomplete = await run_in_threadpool(work)
    except InboxBusyError as busy:
        raise HTTPException(409, f"Not now: {busy}") from None
    return page(request, "forget.html", email=email, reason=reason, said=said.lines, dry_run=dry_run,
                incomplete=incomplete)
