"""The desk's web application: its safety (sessions, CSRF, headers), signing in and out, and
rendering pages. The pages themselves are in ``documents`` (the queue, a document, decisions)
and ``people`` (accounts, the audit trail).

Safety, as the desk holds personal data and changes the program:

- every route but ``/login`` and ``/static`` refuses a request without a session: HTML requests
  are sent to ``/login``, others get 401;
- the session cookie is HttpOnly and SameSite=Strict, and Secure when the desk is reached over
  HTTPS (``secure_cookies``, or the request's own scheme behind a proxy that says so);
- every POST carries a CSRF token: the session's, or for the sign-in form the one of its cookie;
- failed sign-ins are throttled (``auth.Throttle``);
- a Content-Security-Policy allows scripts, styles and pictures from the desk alone (no inline
  script), and pages are not cached nor framed;
- values from documents are escaped by Jinja2 (and bidirectional controls shown as escapes).
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources
from typing import Any
from urllib.parse import parse_qsl

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import (
    HTMLResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool

from pipeline.desk import auth
from pipeline.errors import BadInputError
from pipeline.load.accounts import Role
from pipeline.report.html import visible_bidi
from pipeline.service import Desk

SESSION_COOKIE = "psp_desk_session"
LOGIN_COOKIE = "psp_desk_login"  # the sign-in form's CSRF token, before there is a session
OPEN_PATHS = ("/login",)
STATIC_PREFIX = "/static/"
REPORTS_PREFIX = "/reports/"  # the run reports and the overview, served by ``runs``
FORM_LIMIT = 64 * 1024  # bytes of a posted form; the longest is a message to the agency
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


def _finalize(value: Any) -> Any:
    """Every ``{{ value }}``: text from a document shows its bidirectional controls as escapes."""
    if isinstance(value, str) and not isinstance(value, Markup):
        return visible_bidi(value)
    return value


@dataclass
class DeskApp:
    """What the routes share: the desk (settings, store, reference data), the sessions, the
    sign-in throttle, the templates, and the lock that lets one decision at a time move files
    and write notices."""

    desk: Desk
    secure_cookies: bool = False
    sessions: auth.Sessions = field(default_factory=auth.Sessions)
    throttle: auth.Throttle = field(default_factory=auth.Throttle)
    deciding: threading.Lock = field(default_factory=threading.Lock)
    templates: Environment = field(default_factory=lambda: Environment(
        loader=PackageLoader("pipeline.desk", "templates"),
        autoescape=select_autoescape(default=True),
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=_finalize,
    ))

    def local(self, at: datetime | None) -> str:
        """A time as the desk shows it: in the office's zone (Michigan), the zone named."""
        return at.astimezone(self.desk.settings.zone).strftime("%Y-%m-%d %H:%M %Z") if at else ""


def desk_app(request: Request) -> DeskApp:
    """The application's shared state, from a request."""
    return request.app.state.desk_app


def signed_in(request: Request) -> auth.SignedIn:
    """Who makes the request (the guard has refused requests without a session already)."""
    return request.state.signed_in


def page(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """A page rendered with who is signed in (and their CSRF token for its forms)."""
    shared = desk_app(request)
    who = getattr(request.state, "signed_in", None)
    html = shared.templates.get_template(template).render(
        signed_in=who, csrf_token=who.csrf_token if who else "", local=shared.local, request_path=request.url.path,
        **context)
    return HTMLResponse(html, status_code=status_code, headers={"Cache-Control": "no-store"})


def require_role(request: Request, role: Role) -> None:
    """HTTP 403 unless the signed-in account has ``role`` (reviewers decide; coordinators also
    send notices and manage accounts)."""
    if signed_in(request).account.role is not role:
        raise HTTPException(403, f"This needs a {role.value}'s account.")


async def form_fields(request: Request) -> dict[str, str]:
    """A posted form's fields, once its CSRF token is checked against the session's: HTTP 403
    without it, 413 for a form too large."""
    return await _posted(request, signed_in(request).csrf_token)


async def _posted(request: Request, expected_token: str | None) -> dict[str, str]:
    """A posted form's fields, once its ``csrf_token`` is checked against ``expected_token``."""
    body = await request.body()
    if len(body) > FORM_LIMIT:
        raise HTTPException(413, "The form is too large.")
    fields = dict(parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True))
    if not auth.same_token(fields.get("csrf_token"), expected_token):
        raise HTTPException(403, "The form has expired or did not come from the desk; open the page again.")
    return fields


def _wants_html(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "")


def _secure(request: Request) -> bool:
    return desk_app(request).secure_cookies or request.url.scheme == "https"


def set_cookie(request: Request, response: Response, name: str, value: str, path: str = "/") -> None:
    """A cookie only the desk's own pages send back, and only over HTTPS when the desk is reached so."""
    response.set_cookie(name, value, path=path, httponly=True, samesite="strict", secure=_secure(request))


async def _guard(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    """Refuse a request without a session (but for sign-in and static files), then add the
    security headers to whatever is answered."""
    path = request.url.path
    if path not in OPEN_PATHS and not path.startswith(STATIC_PREFIX):
        who = desk_app(request).sessions.find(request.cookies.get(SESSION_COOKIE))
        if who is None:
            if _wants_html(request):
                response: Response = RedirectResponse("/login", status_code=303)
            else:
                response = PlainTextResponse("Sign in first.", status_code=401)
            response.headers.update(SECURITY_HEADERS)
            return response
        request.state.signed_in = who
    response = await call_next(request)
    # The pipeline's own report pages carry a policy of their own (``runs.report_policy``: their
    # inline style sheets by hash); every other answer gets the desk's.
    own_policy = response.headers.get("Content-Security-Policy") if path.startswith(REPORTS_PREFIX) else None
    response.headers.update(SECURITY_HEADERS)
    if own_policy:
        response.headers["Content-Security-Policy"] = own_policy
    return response


async def _http_error(request: Request, error: HTTPException) -> Response:
    if _wants_html(request):
        return page(request, "error.html", status_code=error.status_code, message=error.detail, hint=None)
    return PlainTextResponse(str(error.detail), status_code=error.status_code)


async def _bad_input(request: Request, error: BadInputError) -> Response:
    """What the library refused (a decision no longer possible, a value that is no choice), as a page."""
    return page(request, "error.html", status_code=400, message=str(error), hint=error.hint)


def create_app(desk: Desk, *, secure_cookies: bool = False) -> FastAPI:
    """The desk's application over ``desk`` (its store, settings and reference data)."""
    from starlette.exceptions import HTTPException as StarletteHTTPException

    from pipeline.desk import documents, entry, holds, notices, people, runs, undo
    from pipeline.desk import forget as forget_page

    app = FastAPI(title="PSP review desk", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.desk_app = DeskApp(desk, secure_cookies=secure_cookies)
    app.mount("/static", StaticFiles(directory=str(resources.files("pipeline.desk") / "static")), name="static")
    app.middleware("http")(_guard)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(BadInputError, _bad_input)
    app.add_api_route("/login", login_page, methods=["GET"], response_class=HTMLResponse)
    app.add_api_route("/login", login, methods=["POST"])
    app.add_api_route("/logout", logout, methods=["POST"])
    for router in (documents.router, people.router, notices.router, runs.router, entry.router, holds.router,
                   undo.router, forget_page.router):  # flat, so that app.routes lists every route (the tests walk it)
        app.router.routes.extend(router.routes)
    return app


def login_page(request: Request) -> Response:
    """The sign-in form, with a fresh CSRF token in it and in its cookie."""
    if desk_app(request).sessions.find(request.cookies.get(SESSION_COOKIE)) is not None:
        return RedirectResponse("/", status_code=303)
    return _login_form(request)


def _login_form(request: Request, status_code: int = 200, message: str | None = None) -> Response:
    token = auth.new_token()
    response = page(request, "login.html", status_code=status_code, login_token=token, message=message)
    set_cookie(request, response, LOGIN_COOKIE, token, path="/login")
    return response


async def login(request: Request) -> Response:
    """Sign in with ``username`` and ``password`` (and the form's ``csrf_token``)."""
    shared = desk_app(request)
    fields = await _posted(request, request.cookies.get(LOGIN_COOKIE))
    name = fields.get("username", "").strip()
    keys = (f"name:{name.casefold()}", f"address:{request.client.host if request.client else ''}")
    wait = shared.throttle.wait_seconds(*keys)
    if wait:
        return _login_form(request, 429, f"Too many failed sign-ins. Try again in {wait // 60 + 1} minutes.")
    account = await run_in_threadpool(auth.check_password, shared.desk.engine, name, fields.get("password", ""))
    if account is None:
        shared.throttle.failed(*keys)
        return _login_form(request, 401, "The name or the password is wrong.")
    shared.throttle.succeeded(keys[0])
    response = RedirectResponse("/", status_code=303)
    set_cookie(request, response, SESSION_COOKIE, shared.sessions.open(account))
    response.delete_cookie(LOGIN_COOKIE, path="/login")
    return response


async def logout(request: Request) -> Response:
    """Sign out: the session ends here and its cookie is dropped."""
    await form_fields(request)
    desk_app(request).sessions.close(request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
