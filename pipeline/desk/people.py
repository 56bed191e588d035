"""Who uses the desk and what they did: the accounts (coordinators only) and the audit trail of
every decision, who made it, when, what and why."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from pipeline.desk import auth
from pipeline.desk.app import desk_app, form_fields, page, require_role, signed_in
from pipeline.errors import BadInputError
from pipeline.load import accounts
from pipeline.load.accounts import Role
from pipeline.load.queries import decision_trail

router = APIRouter()


@router.get("/users", response_class=HTMLResponse)
def users_page(request: Request) -> Response:
    """The accounts, and a form to add one (coordinators only)."""
    require_role(request, Role.COORDINATOR)
    return page(request, "users.html", accounts=accounts.list_accounts(desk_app(request).desk.engine), roles=list(Role))


@router.post("/users")
async def add_user(request: Request) -> Response:
    """Add an account (coordinators only), recorded as made by the signed-in coordinator."""
    require_role(request, Role.COORDINATOR)
    fields = await form_fields(request)
    try:
        role = Role(fields.get("role", ""))
    except ValueError:
        raise BadInputError("choose the account's role.", hint="reviewer or coordinator") from None
    await run_in_threadpool(auth.add_user, desk_app(request).desk.engine, fields.get("username", ""), role,
                            fields.get("password", ""), by=signed_in(request).account.name)
    return RedirectResponse("/users", status_code=303)


@router.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request) -> Response:
    """Every decision, newest first: who, when, what and why."""
    return page(request, "audit.html", decisions=decision_trail(desk_app(request).desk.engine))
