"""The desk's safety: signing in and out, sessions' cookies, every route refused without a
session, every POST refused without its CSRF token, sign-in throttling, the
Content-Security-Policy, and what a reviewer may not do that a coordinator may."""

from __future__ import annotations

import re

import pytest
from fastapi.routing import APIRoute
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from cli.main import app as cli_app
from pipeline.desk import auth
from pipeline.desk.app import (
    CONTENT_SECURITY_POLICY,
    LOGIN_COOKIE,
    SESSION_COOKIE,
    create_app,
)
from pipeline.load import accounts, review, store
from tests.conftest import form_as_read
from tests.desk.conftest import COORDINATOR, CSRF_FIELD, PASSWORD, REVIEWER, DeskClient

HTML = {"Accept": "text/html"}
UNSURE = {"psp_city": "Mason"}


def _routes(client: DeskClient) -> list[tuple[str, str]]:
    """Every (method, path) of the app, its ids filled in with 1."""
    return sorted(
        (method, re.sub(r"\{[^}]+\}", "1", route.path))
        for route in client.app.routes if isinstance(route, APIRoute)
        for method in route.methods
    )


def _decisions(engine) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(store.DecisionRow))


def test_signing_in_gives_a_strict_httponly_session_and_signing_out_ends_it(client):
    response = client.sign_in(REVIEWER)
    assert response.status_code == 200 and "riley.reviewer (reviewer)" in response.text
    cookie = next(h for h in response.history[0].headers.get_list("set-cookie") if h.startswith(SESSION_COOKIE))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Secure" not in cookie
    assert client.get("/", headers=HTML).status_code == 200

    signed_out = client.post_form("/logout")
    assert signed_out.url.path == "/login"
    refused = client.get("/", headers=HTML, follow_redirects=False)
    assert (refused.status_code, refused.headers["location"]) == (303, "/login")


def test_a_wrong_password_or_an_unknown_name_signs_nobody_in(client):
    for name, password in ((REVIEWER, "not the password"), ("nobody", PASSWORD)):
        response = client.sign_in(name, password)
        assert response.status_code == 401 and "The name or the password is wrong." in response.text
    assert client.get("/", headers={"Accept": "application/json"}).status_code == 401


def test_cookies_are_secure_behind_https(desk):
    with DeskClient(create_app(desk, secure_cookies=True)) as client:
        login = client.get("/login")
        assert "Secure" in login.headers["set-cookie"] and login.headers["set-cookie"].startswith(LOGIN_COOKIE)


def test_every_route_but_sign_in_refuses_a_request_without_a_session(client):
    routes = [(method, path) for method, path in _routes(client) if path != "/login"]
    assert ("GET", "/") in routes and ("POST", "/documents/1/accept") in routes
    for method, path in routes:
        as_script = client.request(method, path, headers={"Accept": "application/json"}, follow_redirects=False)
        as_browser = client.request(method, path, headers=HTML, follow_redirects=False)
        assert as_script.status_code == 401, (method, path)
        assert (as_browser.status_code, as_browser.headers["location"]) == (303, "/login"), (method, path)
    assert client.get("/static/desk.css").status_code == 200


def test_every_post_is_refused_without_its_csrf_token_and_changes_nothing(client, desk, stored):
    (waiting,) = stored(form_as_read("PSP-REG", number=1, unsure="psp_city"))
    client.sign_in(COORDINATOR)
    posts = [path for method, path in _routes(client) if method == "POST"]
    assert {"/login", "/logout", "/users", "/documents/1/accept", "/documents/1/reject", "/documents/1/correct"} <= set(posts)
    fields = {"note": "n", "username": "someone.else", "password": PASSWORD * 2, "role": "reviewer",
              "field": "psp_city", "value": "Lansing"}
    for path in posts:
        for token in (None, "forged"):
            data = fields if token is None else {**fields, "csrf_token": token}
            assert client.post(path, data=data).status_code == 403, (path, token)
    assert client.get("/", headers=HTML).status_code == 200  # still signed in: logout was refused too
    assert review.show(desk.engine, waiting.received_file_id)["outcome"] == "needs_review"
    assert _decisions(desk.engine) == 0 and len(accounts.list_accounts(desk.engine)) == 2


def test_failed_sign_ins_are_throttled_even_for_the_right_password(client):
    for _ in range(auth.FAILURES_ALLOWED):
        assert client.sign_in(REVIEWER, "wrong password").status_code == 401
    throttled = client.sign_in(REVIEWER, PASSWORD)
    assert throttled.status_code == 429 and "Too many failed sign-ins" in throttled.text
    assert client.get("/", headers={"Accept": "application/json"}).status_code == 401


def test_the_throttle_lets_a_name_try_again_once_its_failures_leave_the_window():
    now = [0.0]
    throttle = auth.Throttle(clock=lambda: now[0])
    for _ in range(auth.FAILURES_ALLOWED):
        throttle.failed("name:x", "address:1")
    assert throttle.wait_seconds("name:x") > 0 and throttle.wait_seconds("address:1") > 0
    assert throttle.wait_seconds("name:y") == 0
    now[0] = auth.FAILURE_WINDOW_SECONDS + 1
    assert throttle.wait_seconds("name:x", "address:1") == 0


def test_pages_carry_a_policy_without_inline_script(reviewer, stored):
    stored(form_as_read("PSP-REG", number=1, unsure="psp_city"))
    assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY and "script-src 'self'" in CONTENT_SECURITY_POLICY
    for path in ("/login", "/", "/documents/1", "/audit"):
        response = reviewer.get(path, headers=HTML)
        assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert response.headers["x-frame-options"] == "DENY"
        assert not re.search(r"<script(?![^>]*\bsrc=)", response.text)
        assert not re.search(r"<[^>]+\son[a-z]+=", response.text)  # no inline event handler


def test_a_reviewer_may_not_manage_accounts_a_coordinator_may(client, desk):
    client.sign_in(REVIEWER)
    assert "/users" not in client.get("/", headers=HTML).text
    assert client.get("/users", headers=HTML).status_code == 403
    refused = client.post_form("/users", username="new.person", role="coordinator", password=PASSWORD)
    assert refused.status_code == 403 and len(accounts.list_accounts(desk.engine)) == 2
    client.post_form("/logout")

    client.sign_in(COORDINATOR)
    assert client.post_form("/users", username="new.person", role="reviewer", password=PASSWORD).status_code == 200
    assert {"name": "new.person", "role": "reviewer", "created_by": COORDINATOR}.items() <= next(
        a for a in accounts.list_accounts(desk.engine) if a["name"] == "new.person").items()
    client.post_form("/logout")
    assert "new.person (reviewer)" in client.sign_in("new.person").text


def test_users_add_reads_the_password_from_stdin_and_keeps_only_its_hash(settings, desk):
    runner = CliRunner(env={"PSP_DATABASE_URL": settings.database_url})
    home = ["--home", str(settings.home)]
    made = runner.invoke(cli_app, ["users", "add", "sam.sample", "--role", "coordinator", "--password-stdin", *home],
                         input="a long enough password\n")
    assert made.exit_code == 0, made.output
    assert "sam.sample (coordinator) added" in made.output
    hashed = accounts.password_hash_of(desk.engine, "sam.sample")
    assert hashed is not None and hashed[1].startswith("$argon2") and "long enough" not in hashed[1]
    assert auth.check_password(desk.engine, "sam.sample", "a long enough password").role == "coordinator"
    assert auth.check_password(desk.engine, "sam.sample", "another password") is None

    again = runner.invoke(cli_app, ["users", "add", "sam.sample", "--role", "reviewer", "--password-stdin", *home],
                          input="a long enough password\n")
    short = runner.invoke(cli_app, ["users", "add", "kim", "--role", "reviewer", "--password-stdin", *home], input="short\n")
    assert (again.exit_code, short.exit_code) == (2, 2)
    assert "already" in again.output and "at least 10" in short.output


@pytest.mark.parametrize("name", ["", "two words", "x" * 65])
def test_an_account_name_must_be_one_printable_word(desk, name):
    from pipeline.errors import BadInputError

    with pytest.raises(BadInputError):
        auth.add_user(desk.engine, name, accounts.Role.REVIEWER, PASSWORD, by="tests")


def test_the_login_form_has_the_fields_scripts_post(client):
    form = client.get("/login").text
    assert all(f'name="{name}"' in form for name in ("username", "password", "csrf_token"))
    assert CSRF_FIELD.search(form)
